import { api, query } from '../api.js';
import { fill } from '../async-region.js';
import { chartFigure, type Series } from '../chart-figure.js';
import { dataTable } from '../data-table.js';
import { h } from '../element.js';
import { percent } from '../format.js';
import type { Page, PageContext } from '../page.js';
import type { Comparison, Figures } from './learning-types.js';
import { bySiteChart, comparisonSection, overrideReasons, totalsTable } from './learning-views.js';

export function learningPage(ctx: PageContext): Page {
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () => {
    const { artefacts } = await api<{ artefacts: Array<{ id: string }> }>('rules');
    const ids = [...new Set(artefacts.map((a) => a.id))];
    const chosen = ctx.params.get('artefact') ?? ids[0] ?? '';
    const artefact = h(
      'select',
      { id: 'learning-artefact', name: 'artefact' },
      ids.map((id) => h('option', { value: id, selected: id === chosen }, id)),
    );
    const from = h('input', {
      id: 'learning-from',
      name: 'from',
      type: 'date',
      value: ctx.params.get('from') ?? '',
    });
    const to = h('input', { id: 'learning-to', name: 'to', type: 'date', value: ctx.params.get('to') ?? '' });
    const site = h('input', {
      id: 'learning-site',
      name: 'site',
      type: 'text',
      value: ctx.params.get('site') ?? '',
      placeholder: 'every site',
    });
    const form = h(
      'form',
      { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'learning-artefact' }, 'Rule'), artefact),
      h('div', { class: 'field' }, h('label', { for: 'learning-from' }, 'From'), from),
      h('div', { class: 'field' }, h('label', { for: 'learning-to' }, 'To'), to),
      h('div', { class: 'field' }, h('label', { for: 'learning-site' }, 'Site'), site),
      h('button', { type: 'submit' }, 'Show'),
    );
    const results = h('div', {});
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      ctx.navigate(
        `/console/learning${query({ artefact: artefact.value, from: from.value, to: to.value, site: site.value.trim() })}`,
      );
    });
    const filter = { artefact: chosen, from: from.value, to: to.value, site: site.value.trim() };
    void fill(results, () => dashboard(filter));
    return h('div', {}, form, results);
  });
  return { title: 'Learning dashboard', body, ready };
}

async function dashboard(filter: Record<string, string>): Promise<HTMLElement> {
  if (filter['artefact'] === '') return h('p', {}, 'No rule to show.');
  const [byWeek, bySite, totals, comparisons] = await Promise.all([
    api<{ figures: Figures[] }>(`outcomes/figures${query({ ...filter, groupBy: 'week' })}`),
    api<{ figures: Figures[] }>(`outcomes/figures${query({ ...filter, groupBy: 'site' })}`),
    api<{ figures: Figures[] }>(`outcomes/figures${query({ ...filter, groupBy: 'release' })}`),
    api<{ comparisons: Comparison[] }>(`outcomes/comparisons${query(filter)}`),
  ]);
  if (totals.figures.length === 0)
    return h(
      'p',
      { class: 'notice' },
      `No evaluation of ${filter['artefact'] ?? ''} is recorded for this period.`,
    );
  const releases = totals.figures.map((f) => f.release);
  const shadow = new Set(
    totals.figures.filter((f) => f.shadowEvaluations > f.activeEvaluations).map((f) => f.release),
  );
  const name = (r: string) => (shadow.has(r) ? `${r} (shadow)` : r);
  const weeks = [...new Set(byWeek.figures.map((f) => f.week ?? ''))].sort();
  const cell = (release: string, week: string) =>
    byWeek.figures.find((f) => f.release === release && f.week === week);
  const overTime = (
    id: string,
    title: string,
    summary: string,
    rate: (f: Figures) => number | null,
    only?: (r: string) => boolean,
  ) => {
    const shown = releases.filter((r) => only?.(r) ?? true);
    const series: Series[] = shown.map((r) => ({
      label: name(r),
      data: weeks.map((w) => percent(rateOf(cell(r, w), rate))),
      dashed: shadow.has(r),
      colour: releases.indexOf(r),
    }));
    const rows = weeks.flatMap((w) => shown.map((r) => ({ w, r, f: cell(r, w) })));
    return chartFigure({
      id,
      title,
      summary,
      type: 'line',
      labels: weeks,
      series,
      yTitle: 'Per cent',
      yMax: 100,
      table: dataTable(
        rows,
        [
          { label: 'Week', value: (x) => x.w, rowHeader: true, nowrap: true },
          { label: 'Release', value: (x) => name(x.r), nowrap: true },
          { label: 'Rate (%)', value: (x) => percent(rateOf(x.f, rate)), numeric: true },
          { label: 'Evaluations', value: (x) => x.f?.evaluations ?? 0, numeric: true },
          { label: 'Cards shown', value: (x) => x.f?.cardsShown ?? 0, numeric: true },
        ],
        { caption: title, id },
      ),
    });
  };
  const withCards = (r: string) => (totals.figures.find((f) => f.release === r)?.cardsShown ?? 0) > 0;
  return h(
    'div',
    { class: 'dashboard' },
    totalsTable(totals.figures, name),
    overTime(
      'firing-by-week',
      'Firing rate by week',
      'Of the evaluations that could decide, the share that fired, per ISO week and release (shadow releases dashed).',
      (f) => f.firingRate,
    ),
    overTime(
      'acceptance-by-week',
      'Acceptance rate by week',
      'Cards accepted as a share of cards shown, per week (active releases: only their cards are shown).',
      (f) => f.acceptanceRate,
      withCards,
    ),
    overTime(
      'override-by-week',
      'Override rate by week',
      'Cards overridden as a share of cards shown, per week.',
      (f) => f.overrideRate,
      withCards,
    ),
    overrideReasons(totals.figures, name),
    bySiteChart(bySite.figures, releases, name),
    comparisonSection(totals.figures, comparisons.comparisons, name),
  );
}

function rateOf(f: Figures | undefined, rate: (f: Figures) => number | null): number | null {
  return f === undefined ? null : rate(f);
}
