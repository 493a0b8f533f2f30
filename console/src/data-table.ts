import { csvFileName, toCsv, type CsvValue } from './csv.js';
import { h, type Child } from './element.js';

/** A column of a {@link dataTable}. */
export interface Column<R> {
  label: string;
  /** The value for sorting and CSV. */
  value: (row: R) => CsvValue;
  /** What the cell shows (default: the value as text). */
  render?: (row: R) => Child;
  /** Right-aligned, compared as numbers. */
  numeric?: boolean;
  /** Header cell of the row (`<th scope="row">`). */
  rowHeader?: boolean;
  /** Never wrapped (identifiers such as `pincer-a@1.0.0` or `2026-W10`). */
  nowrap?: boolean;
  /**
   * Sentences (a hazard, its evidence): kept readably wide, so that on a narrow screen the table scrolls
   * sideways rather than squeezing them into a column a word wide.
   */
  prose?: boolean;
}

export interface TableOptions {
  caption: string;
  /** Sortable by clicking a column's header (aria-sort says how it is sorted). */
  sortable?: boolean;
  /** What to show when there are no rows. */
  empty?: string;
  /** A name for tests and the CSV file. */
  id?: string;
}

/**
 * An accessible data table: a caption, column headers with scope, row headers, an optional sort by
 * header buttons (WAI-ARIA Authoring Practices "Sortable Table"), inside a focusable scroll region for
 * narrow screens, with a "Download CSV" button for exactly the rows shown.
 */
export function dataTable<R>(
  rows: readonly R[],
  columns: ReadonlyArray<Column<R>>,
  options: TableOptions,
): HTMLElement {
  let order: { index: number; direction: 'ascending' | 'descending' } | undefined;
  const tbody = h('tbody');
  const headers = columns.map((c, index) => {
    const th = h('th', { scope: 'col', class: c.numeric === true ? 'num' : undefined });
    if (options.sortable === true) {
      const button = h(
        'button',
        { type: 'button', class: 'sort', onclick: () => sortBy(index) },
        c.label,
        h('span', { 'aria-hidden': 'true', class: 'sort-mark' }),
      );
      th.append(button);
    } else th.append(c.label);
    return th;
  });
  const sorted = (): R[] => {
    if (order === undefined) return [...rows];
    const column = columns[order.index];
    if (column === undefined) return [...rows];
    const sign = order.direction === 'ascending' ? 1 : -1;
    return [...rows].sort((a, b) => sign * compare(column.value(a), column.value(b)));
  };
  const render = () => {
    tbody.replaceChildren(
      ...(rows.length === 0
        ? [
            h(
              'tr',
              {},
              h('td', { colspan: columns.length, class: 'empty' }, options.empty ?? 'Nothing to show.'),
            ),
          ]
        : sorted().map((row) =>
            h(
              'tr',
              {},
              columns.map((c) => {
                const content = c.render === undefined ? text(c.value(row)) : c.render(row);
                const cls =
                  [
                    c.numeric === true ? 'num' : '',
                    c.nowrap === true ? 'nowrap' : '',
                    c.prose === true ? 'prose' : '',
                  ]
                    .join(' ')
                    .trim() || undefined;
                return c.rowHeader === true
                  ? h('th', { scope: 'row', class: cls }, content)
                  : h('td', { class: cls }, content);
              }),
            ),
          )),
    );
    headers.forEach((th, i) => {
      if (order?.index === i) th.setAttribute('aria-sort', order.direction);
      else th.removeAttribute('aria-sort');
    });
  };
  const sortBy = (index: number) => {
    order = {
      index,
      direction: order?.index === index && order.direction === 'ascending' ? 'descending' : 'ascending',
    };
    render();
  };
  render();
  const table = h(
    'table',
    { 'data-table': options.id },
    h('caption', {}, options.caption),
    h('thead', {}, h('tr', {}, headers)),
    tbody,
  );
  const download = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () =>
        downloadCsv(
          options.id ?? options.caption,
          columns.map((c) => c.label),
          sorted().map((r) => columns.map((c) => c.value(r))),
        ),
    },
    'Download CSV',
  );
  download.setAttribute('aria-label', `Download CSV: ${options.caption}`);
  return h(
    'div',
    { class: 'table-block' },
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': options.caption }, table),
    h('div', { class: 'table-actions' }, download),
  );
}

function text(value: CsvValue): string {
  return value === null || value === undefined ? '—' : String(value);
}

function compare(a: CsvValue, b: CsvValue): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en-GB', { numeric: true });
}

/** Saves rows as a CSV file (made in the browser: the rows shown are the rows saved). */
export function downloadCsv(
  title: string,
  header: readonly string[],
  rows: ReadonlyArray<readonly CsvValue[]>,
): void {
  const blob = new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: csvFileName(title) });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
