import { api, query } from '../api.js';
import { fill } from '../async-region.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import type { Page, PageContext } from '../page.js';
import type { Listing } from './rules-types.js';

export function rulesPage(ctx: PageContext): Page {
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () => {
    const { artefacts } = await api<{ artefacts: Listing[] }>('rules');
    const results = h('div', {});
    const filter = h('input', { id: 'rule-filter', type: 'search', autocomplete: 'off' });
    const show = () => {
      const q = filter.value.trim().toLowerCase();
      const rows = artefacts.filter(
        (a) => q === '' || `${a.ref} ${a.title} ${a.status}`.toLowerCase().includes(q),
      );
      replaceChildren(results, listingTable(rows, 'Artefact releases'));
    };
    filter.addEventListener('input', show);
    show();
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'field inline' },
        h('label', { for: 'rule-filter' }, 'Filter by id, title or status'),
        filter,
      ),
      results,
      compareForm(artefacts, ctx),
    );
  });
  return { title: 'Rules', body, ready };
}

export function listingTable(rows: readonly Listing[], caption: string): HTMLElement {
  return dataTable(
    rows,
    [
      {
        label: 'Release',
        value: (r) => r.ref,
        rowHeader: true,
        nowrap: true,
        render: (r) => h('a', { href: `/console/rules/${encodeURIComponent(r.ref)}` }, r.ref),
      },
      { label: 'Title', value: (r) => r.title },
      {
        label: 'Status',
        value: (r) => r.status,
        render: (r) => h('span', { class: `badge status-${r.status}` }, r.status),
      },
      { label: 'Source', value: (r) => (r.source === 'release' ? 'frozen release' : 'working copy') },
      {
        label: 'Services',
        value: (r) => r.services.map((s) => `${s.service} (${s.role})`).join('; ') || '—',
      },
      {
        label: 'Tests',
        value: (r) => (r.tests === null ? null : `${r.tests.passed}/${r.tests.total}`),
        render: (r) => testBadge(r.tests),
      },
    ],
    { caption, id: 'artefacts', sortable: true, empty: 'No artefact matches.' },
  );
}

function testBadge(t: Listing['tests']): HTMLElement | string {
  if (t === null) return 'not run';
  const text = `${t.passed} of ${t.total} pass${t.current ? '' : ' (older content)'}`;
  return h('span', { class: `badge ${t.failed > 0 ? 'status-retired' : 'status-active'}` }, text);
}

function compareForm(artefacts: readonly Listing[], ctx: PageContext): HTMLElement {
  const ids = [...new Set(artefacts.map((a) => a.id))].filter(
    (id) => artefacts.filter((a) => a.id === id).length > 1,
  );
  const a = h('select', { id: 'diff-a', required: true });
  const b = h('select', { id: 'diff-b', required: true });
  const options = (sel: HTMLSelectElement, refs: string[], pick: number) => {
    sel.replaceChildren(...refs.map((r, i) => h('option', { value: r, selected: i === pick }, r)));
  };
  const artefact = h(
    'select',
    { id: 'diff-artefact' },
    ids.map((id) => h('option', { value: id }, id)),
  );
  const update = () => {
    const refs = artefacts.filter((x) => x.id === artefact.value).map((x) => x.ref);
    options(a, refs, Math.max(0, refs.length - 2));
    options(b, refs, refs.length - 1);
  };
  artefact.addEventListener('change', update);
  update();
  const form = h(
    'form',
    { class: 'inline-form' },
    h('div', { class: 'field' }, h('label', { for: 'diff-artefact' }, 'Artefact'), artefact),
    h('div', { class: 'field' }, h('label', { for: 'diff-a' }, 'From release'), a),
    h('div', { class: 'field' }, h('label', { for: 'diff-b' }, 'To release'), b),
    h('button', { type: 'submit' }, 'Compare'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate(`/console/rules/diff${query({ a: a.value, b: b.value })}`);
  });
  return h(
    'section',
    { 'aria-labelledby': 'compare-h' },
    h('h2', { id: 'compare-h' }, 'Compare two releases'),
    ids.length === 0
      ? h(
          'p',
          { class: 'hint' },
          'No artefact has two releases yet (`loopcds knowledge release <artefact>` freezes one).',
        )
      : form,
  );
}

/** One release in full: metadata, sources, changelog, tests (and running them), cards, value sets, CQL. */
