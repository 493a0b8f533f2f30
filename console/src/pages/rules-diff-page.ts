import { api, ApiError, query } from '../api.js';
import { errorMessage, fill } from '../async-region.js';
import { diffView } from '../cql-view.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import type { Page, PageContext } from '../page.js';
import { section } from '../page-section.js';

interface Changes {
  a: string;
  b: string;
  metadata: string[];
  changelog: Array<{ version: string; date: string; changes: string[] }>;
  libraries: Array<{ name: string; a: string | null; b: string | null; hunks: string[] }>;
  valueSets: Array<{
    url: string;
    added: Array<{ system: string; code: string; display?: string }>;
    removed: Array<{ system: string; code: string; display?: string }>;
  }>;
  cards: Array<{ id: string; change: string; fields: string[] }>;
  tests: { added: string[]; removed: string[]; changed: string[] };
}

/** The diff of two releases: what the author says changed, the CQL, value-set codes, cards and tests. */
export function rulesDiffPage(ctx: PageContext): Page {
  const a = ctx.params.get('a') ?? '';
  const b = ctx.params.get('b') ?? '';
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () => {
    if (a === '' || b === '') throw new ApiError(400, 'Choose two releases on the Rules page.');
    const { changes: c } = await api<{ changes: Changes }>(`rules/diff${query({ a, b })}`);
    const codes = c.valueSets.flatMap((v) => [
      ...v.added.map((x) => ({ url: v.url, change: 'added', ...x })),
      ...v.removed.map((x) => ({ url: v.url, change: 'removed', ...x })),
    ]);
    return h(
      'div',
      {},
      section(
        'What the author says changed',
        c.changelog.length === 0
          ? h('p', {}, 'No new changelog entry.')
          : h(
              'ul',
              {},
              c.changelog.map((e) => h('li', {}, `${e.version} (${e.date}): ${e.changes.join(' ')}`)),
            ),
      ),
      section(
        'Metadata',
        c.metadata.length === 0
          ? h('p', {}, 'No metadata change.')
          : h(
              'ul',
              {},
              c.metadata.map((x) => h('li', {}, x)),
            ),
      ),
      section(
        'CQL',
        c.libraries.length === 0
          ? h('p', {}, 'No CQL change.')
          : h(
              'div',
              {},
              c.libraries.map((l) =>
                h(
                  'div',
                  {},
                  h('h3', {}, `${l.name}: ${l.a ?? 'absent'} → ${l.b ?? 'absent'}`),
                  diffView(l.hunks, `Changes to ${l.name}`),
                ),
              ),
            ),
      ),
      section(
        'Value-set codes',
        dataTable(
          codes,
          [
            { label: 'Value set', value: (r) => r.url, rowHeader: true },
            { label: 'Change', value: (r) => r.change },
            { label: 'System', value: (r) => r.system },
            { label: 'Code', value: (r) => r.code },
            { label: 'Display', value: (r) => r.display },
          ],
          {
            caption: 'Codes added and removed',
            id: 'code-changes',
            sortable: true,
            empty: 'No code added or removed.',
          },
        ),
      ),
      section(
        'Cards',
        dataTable(
          c.cards,
          [
            { label: 'Card', value: (r) => r.id, rowHeader: true },
            { label: 'Change', value: (r) => r.change },
            { label: 'Fields', value: (r) => r.fields.join(', ') },
          ],
          { caption: 'Card templates changed', id: 'card-changes', empty: 'No card template changed.' },
        ),
      ),
      section(
        'Test cases',
        h(
          'ul',
          {},
          h('li', {}, `Added: ${c.tests.added.join(', ') || 'none'}`),
          h('li', {}, `Removed: ${c.tests.removed.join(', ') || 'none'}`),
          h('li', {}, `Changed: ${c.tests.changed.join(', ') || 'none'}`),
        ),
      ),
      h(
        'p',
        { class: 'hint' },
        'What the change does to patients: `loopcds knowledge diff` runs both releases on the test cases and a population.',
      ),
    );
  }).catch((error: unknown) => replaceChildren(body, errorMessage(error)));
  return { title: `Compare ${a} with ${b}`, body, ready };
}

/** A card template value: a string, or conditional values `[{when, unless, value}]` read as "if …: …; otherwise: …". */
