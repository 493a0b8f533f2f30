import { chartFigure } from '../chart-figure.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import { formatCount, formatMs, formatRate, percent } from '../format.js';
import type { Comparison, Figures } from './learning-types.js';

export function totalsTable(figures: Figures[], name: (r: string) => string): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'totals-h' },
    h('h2', { id: 'totals-h' }, 'Each release over the period'),
    dataTable(
      figures,
      [
        { label: 'Release', value: (f) => name(f.release), rowHeader: true, nowrap: true },
        {
          label: 'Evaluations',
          value: (f) => f.evaluations,
          numeric: true,
          render: (f) => formatCount(f.evaluations),
        },
        { label: 'Fired', value: (f) => f.results.fired, numeric: true },
        {
          label: 'Firing rate',
          value: (f) => percent(f.firingRate),
          numeric: true,
          render: (f) => formatRate(f.firingRate),
        },
        { label: 'Cards shown', value: (f) => f.cardsShown, numeric: true },
        {
          label: 'Accepted',
          value: (f) => percent(f.acceptanceRate),
          numeric: true,
          render: (f) => formatRate(f.acceptanceRate),
        },
        {
          label: 'Overridden',
          value: (f) => percent(f.overrideRate),
          numeric: true,
          render: (f) => formatRate(f.overrideRate),
        },
        { label: 'Suggestions taken', value: (f) => f.suggestionsTaken, numeric: true },
        {
          label: 'Incomplete data',
          value: (f) => percent(f.incompleteDataRate),
          numeric: true,
          render: (f) => formatRate(f.incompleteDataRate),
        },
        { label: 'Errors', value: (f) => f.results.error, numeric: true },
        {
          label: 'Median time',
          value: (f) => f.evaluationMs.median,
          numeric: true,
          render: (f) => formatMs(f.evaluationMs.median),
        },
        {
          label: '95th percentile time',
          value: (f) => f.evaluationMs.p95,
          numeric: true,
          render: (f) => formatMs(f.evaluationMs.p95),
        },
      ],
      { caption: 'Figures by release', id: 'release-totals', sortable: true },
    ),
  );
}

export function overrideReasons(figures: Figures[], name: (r: string) => string): HTMLElement {
  const reasonName = (r: Figures['overrideReasons'][number]) => r.display ?? r.code ?? 'comment only';
  const reasons = [...new Set(figures.flatMap((f) => f.overrideReasons.map(reasonName)))];
  const shown = figures.filter((f) => f.overridden > 0);
  const rows = shown.flatMap((f) =>
    f.overrideReasons.map((r) => ({
      release: f.release,
      reason: reasonName(r),
      code: r.code,
      count: r.count,
    })),
  );
  if (rows.length === 0)
    return h(
      'section',
      {},
      h('h2', {}, 'Override reasons'),
      h('p', {}, 'No card was overridden in this period.'),
    );
  return chartFigure({
    id: 'override-reasons',
    title: 'Override reasons',
    summary: 'How many overridden cards gave each reason, per release.',
    type: 'bar',
    labels: reasons,
    yTitle: 'Cards',
    integer: true,
    series: shown.map((f, i) => ({
      label: name(f.release),
      data: reasons.map((reason) =>
        f.overrideReasons.filter((r) => reasonName(r) === reason).reduce((s, r) => s + r.count, 0),
      ),
      colour: i,
    })),
    table: dataTable(
      rows,
      [
        { label: 'Release', value: (x) => name(x.release), rowHeader: true, nowrap: true },
        { label: 'Reason', value: (x) => x.reason },
        { label: 'Code', value: (x) => x.code },
        { label: 'Cards', value: (x) => x.count, numeric: true },
      ],
      { caption: 'Override reasons', id: 'override-reasons', sortable: true },
    ),
  });
}

export function bySiteChart(
  figures: Figures[],
  releases: string[],
  name: (r: string) => string,
): HTMLElement {
  const sites = [...new Set(figures.map((f) => f.site ?? '(unknown)'))].sort();
  const at = (r: string, s: string) => figures.find((f) => f.release === r && (f.site ?? '(unknown)') === s);
  return chartFigure({
    id: 'firing-by-site',
    title: 'By site',
    summary: 'Firing rate of each release at each site; the table has acceptance and override rates too.',
    type: 'bar',
    labels: sites,
    yTitle: 'Firing rate (%)',
    yMax: 100,
    series: releases.map((r, i) => ({
      label: name(r),
      data: sites.map((s) => percent(at(r, s)?.firingRate)),
      colour: i,
    })),
    table: dataTable(
      figures,
      [
        { label: 'Site', value: (f) => f.site ?? '(unknown)', rowHeader: true },
        { label: 'Release', value: (f) => name(f.release), nowrap: true },
        { label: 'Evaluations', value: (f) => f.evaluations, numeric: true },
        { label: 'Firing rate (%)', value: (f) => percent(f.firingRate), numeric: true },
        { label: 'Acceptance (%)', value: (f) => percent(f.acceptanceRate), numeric: true },
        { label: 'Override (%)', value: (f) => percent(f.overrideRate), numeric: true },
        { label: 'Incomplete (%)', value: (f) => percent(f.incompleteDataRate), numeric: true },
      ],
      { caption: 'Figures by site', id: 'firing-by-site', sortable: true },
    ),
  });
}

export function comparisonSection(
  totals: Figures[],
  comparisons: Comparison[],
  name: (r: string) => string,
): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'compare-h' },
    h('h2', { id: 'compare-h' }, 'Active and shadow releases'),
  );
  if (comparisons.length === 0) {
    section.append(h('p', {}, 'No shadow release ran beside an active one in this period.'));
    return section;
  }
  const content = h('div', {});
  replaceChildren(
    content,
    chartFigure({
      id: 'active-vs-shadow',
      title: 'Firing rate: active against shadow',
      summary: 'Firing rate of each release over the same calls.',
      type: 'bar',
      labels: totals.map((f) => name(f.release)),
      yTitle: 'Firing rate (%)',
      yMax: 100,
      series: [{ label: 'Firing rate', data: totals.map((f) => percent(f.firingRate)) }],
      table: dataTable(
        comparisons,
        [
          { label: 'Active', value: (c) => c.a, rowHeader: true, nowrap: true },
          { label: 'Shadow', value: (c) => c.b, nowrap: true },
          { label: 'Calls', value: (c) => c.calls, numeric: true },
          { label: 'Disagreed', value: (c) => c.disagreed, numeric: true },
          { label: 'Disagreement (%)', value: (c) => percent(c.disagreementRate), numeric: true },
          { label: 'Only active fired', value: (c) => c.onlyAFired, numeric: true },
          { label: 'Only shadow fired', value: (c) => c.onlyBFired, numeric: true },
          { label: 'Different card count', value: (c) => c.cardCountDiffered, numeric: true },
        ],
        { caption: 'Disagreements on the same calls', id: 'comparisons', sortable: true },
      ),
    }),
  );
  section.append(content);
  return section;
}
