import { api } from '../api.js';
import { fill } from '../async-region.js';
import { cqlView } from '../cql-view.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import { formatInstant } from '../format.js';
import type { Page, PageContext } from '../page.js';
import { fact, section } from '../page-section.js';
import { listingTable } from './rules-page.js';
import type { Detail } from './rules-types.js';

export function ruleDetailPage(ctx: PageContext, m: RegExpExecArray): Page {
  const ref = decodeURIComponent(m[1] ?? '');
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () =>
    renderDetail(await api<Detail>(`rules/${encodeURIComponent(ref)}`), ctx),
  );
  return { title: ref, body, ready };
}

function renderDetail(d: Detail, ctx: PageContext): HTMLElement {
  const def = d.definition;
  const libSelect = h(
    'select',
    { id: 'library' },
    d.libraries.map((l) =>
      h('option', { value: l.name }, `${l.name} ${l.version}${l.main ? ' (this artefact)' : ''}`),
    ),
  );
  const cql = h('div', {});
  const showCql = () => {
    const lib = d.libraries.find((l) => l.name === libSelect.value) ?? d.libraries[0];
    replaceChildren(cql, lib === undefined ? 'No CQL.' : cqlView(lib.cql, `CQL of ${lib.name}`));
  };
  libSelect.addEventListener('change', showCql);
  showCql();
  return h(
    'div',
    {},
    h('p', { class: 'lede' }, def.title),
    h('p', {}, def.description),
    h(
      'dl',
      { class: 'facts' },
      fact('Status', h('span', { class: `badge status-${def.status}` }, def.status)),
      fact('Version', def.version),
      fact(
        'Source',
        d.source === 'release'
          ? 'frozen release (knowledge/releases)'
          : 'working copy (knowledge/' + def.id + ')',
      ),
      fact('Content hash', h('code', { class: 'wrap' }, d.hash)),
      fact('Owner', def.owner),
      fact('Authors', def.authors.join(', ')),
      fact(
        'Cards cite',
        h(
          'a',
          { href: def.cardSource.url, rel: 'noopener noreferrer', target: '_blank' },
          def.cardSource.label,
        ),
      ),
    ),
    section('Releases', listingTable(d.releases, `Releases of ${def.id}`)),
    section(
      'Sources',
      h(
        'ul',
        {},
        def.sources.map((s) =>
          h(
            'li',
            {},
            h('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, s.label),
            s.citation ? ` — ${s.citation}` : '',
          ),
        ),
      ),
    ),
    section(
      'Changelog',
      h(
        'ol',
        { class: 'changelog', reversed: true },
        [...def.changelog].map((c) =>
          h(
            'li',
            {},
            h('strong', {}, `${c.version} (${c.date})`),
            h(
              'ul',
              {},
              c.changes.map((x) => h('li', {}, x)),
            ),
          ),
        ),
      ),
    ),
    section('Test cases', testsSection(d, ctx)),
    section(
      'Cards',
      dataTable(
        def.cards,
        [
          { label: 'Card', value: (c) => c.id, rowHeader: true },
          { label: 'Indicator', value: (c) => conditional(c.indicator) },
          { label: 'Summary template', value: (c) => conditional(c.summary) },
        ],
        { caption: 'Card templates', id: 'cards' },
      ),
    ),
    section(
      'Value sets',
      dataTable(
        d.valueSets,
        [
          { label: 'Value set', value: (v) => v.url, rowHeader: true },
          { label: 'Version', value: (v) => v.version },
          { label: 'Codes', value: (v) => v.codes, numeric: true },
          { label: 'Built from', value: (v) => v.source },
        ],
        { caption: 'Value sets the libraries declare', id: 'value-sets', sortable: true },
      ),
    ),
    section(
      'CQL',
      h(
        'div',
        {},
        d.libraries.length > 1
          ? h('div', { class: 'field inline' }, h('label', { for: 'library' }, 'Library'), libSelect)
          : null,
        cql,
      ),
    ),
  );
}

function testsSection(d: Detail, ctx: PageContext): HTMLElement {
  const results = h('div', { 'aria-live': 'polite' });
  const canRun = ctx.session.permissions.includes('rules:test');
  const run = h('button', { type: 'button' }, `Run the ${d.tests.length} test cases`);
  run.addEventListener('click', () => {
    run.disabled = true;
    void fill(results, async () => {
      const r = await api<{
        status: { passed: number; total: number } | null;
        cases: Array<{
          case: string;
          pass: boolean;
          failures: Array<{ what: string; expected: unknown; actual: unknown }>;
        }>;
      }>(`rules/${encodeURIComponent(d.ref)}/tests`, { method: 'POST' });
      return h(
        'div',
        {},
        h(
          'p',
          { class: r.cases.every((c) => c.pass) ? 'ok' : 'error' },
          `${r.status?.passed ?? 0} of ${r.status?.total ?? 0} cases pass.`,
        ),
        dataTable(
          r.cases,
          [
            { label: 'Case', value: (c) => c.case, rowHeader: true },
            {
              label: 'Result',
              value: (c) => (c.pass ? 'pass' : 'fail'),
              render: (c) =>
                h(
                  'span',
                  { class: `badge ${c.pass ? 'status-active' : 'status-retired'}` },
                  c.pass ? 'pass' : 'fail',
                ),
            },
            {
              label: 'What differed',
              value: (c) =>
                c.failures
                  .map(
                    (f) =>
                      `${f.what}: expected ${JSON.stringify(f.expected)}, got ${JSON.stringify(f.actual)}`,
                  )
                  .join('; '),
            },
          ],
          { caption: 'Test results', id: 'test-results', sortable: true },
        ),
      );
    }).finally(() => {
      run.disabled = false;
    });
  });
  const last = d.releases.find((r) => r.ref === d.ref && r.source === d.source)?.tests ?? null;
  return h(
    'div',
    {},
    h(
      'p',
      {},
      last === null
        ? 'Not run yet.'
        : `Last run ${formatInstant(last.ranAt)}: ${last.passed} of ${last.total} pass${last.current ? '' : ' (on older content)'}.`,
    ),
    canRun ? run : null,
    results,
    dataTable(
      d.tests,
      [
        { label: 'Case', value: (t) => t.name, rowHeader: true },
        { label: 'Hook', value: (t) => t.hook },
        { label: 'Evaluated at', value: (t) => t.now },
        { label: 'Expected result', value: (t) => t.expect },
      ],
      { caption: 'Test cases', id: 'test-cases', sortable: true, empty: 'No test case.' },
    ),
  );
}

function conditional(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return JSON.stringify(value);
  return value
    .map((v: { when?: string; unless?: string; value?: unknown }) =>
      v.when !== undefined
        ? `if "${v.when}": ${String(v.value)}`
        : v.unless !== undefined
          ? `unless "${v.unless}": ${String(v.value)}`
          : `otherwise: ${String(v.value)}`,
    )
    .join('; ');
}
