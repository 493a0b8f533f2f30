import { api } from '../api.js';
import { fill } from '../async-region.js';
import { chartFigure } from '../chart-figure.js';
import { dataTable } from '../data-table.js';
import { h } from '../element.js';
import { formatCount, formatRate, percent } from '../format.js';
import { renderMarkdownLite } from '../markdown-lite.js';
import type { PageContext } from '../page.js';
import type { ActionRow, IndicatorSummary, PracticeIndicator, RunReport } from '../population-types.js';

/** One practice in a run: its rates against its peers, each indicator across runs, and its action list. */
export async function practiceView(
  ctx: PageContext,
  report: RunReport,
  practiceId: string,
): Promise<HTMLElement> {
  const practice = report.practices.find((p) => p.id === practiceId);
  const rows = report.rates.filter((r) => r.practiceId === practiceId);
  const indicator = (r: PracticeIndicator) => report.indicators.find((i) => i.release === r.release);
  const name = practice?.name ?? practiceId;
  const out = h(
    'div',
    {},
    h(
      'p',
      {},
      `List size ${formatCount(practice?.listSize)}. ${report.previousRun === null ? 'No earlier run to compare with.' : `Compared with the run as of ${report.previousRun.asOf}.`}`,
    ),
    chartFigure({
      id: 'practice-rates',
      title: `${name}: rates against peers`,
      summary:
        "For each indicator, this practice's rate with its 95% confidence interval, and the peer practices' 10th to 90th percentiles and median.",
      type: 'bar',
      labels: rows.map((r) => r.artefactId),
      yTitle: 'Patients at risk (%)',
      overlap: true,
      series: [
        {
          label: 'Peers, 10th to 90th percentile',
          data: rows.map((r) => band(indicator(r))),
          faint: true,
          colour: 7,
        },
        {
          label: '95% confidence interval',
          data: rows.map((r) => (r.ci === null ? null : [percent(r.ci.low) ?? 0, percent(r.ci.high) ?? 0])),
          colour: 0,
        },
        {
          label: 'This practice',
          data: rows.map((r) => percent(r.rate)),
          type: 'line',
          colour: 1,
          bold: true,
          pointsOnly: true,
        },
        {
          label: 'Peer median',
          data: rows.map((r) => percent(indicator(r)?.deciles[4])),
          type: 'line',
          colour: 6,
          dashed: true,
          pointsOnly: true,
        },
      ],
      table: dataTable(
        rows,
        [
          { label: 'Indicator', value: (r) => r.artefactId, rowHeader: true, nowrap: true },
          { label: 'Numerator', value: (r) => r.numerator, numeric: true },
          { label: 'Denominator', value: (r) => r.denominator, numeric: true },
          {
            label: 'Rate (%)',
            value: (r) => percent(r.rate),
            numeric: true,
            render: (r) => formatRate(r.rate),
          },
          {
            label: '95% CI (%)',
            value: (r) => (r.ci === null ? null : `${percent(r.ci.low)}–${percent(r.ci.high)}`),
            nowrap: true,
          },
          { label: 'Peer median (%)', value: (r) => percent(indicator(r)?.deciles[4]), numeric: true },
          {
            label: 'Rank',
            value: (r) => r.rank,
            numeric: true,
            render: (r) => (r.rank === null ? '—' : `${r.rank} of ${r.peers}`),
          },
          { label: 'Percentile', value: (r) => r.percentile, numeric: true },
          {
            label: 'Change (points)',
            value: (r) =>
              r.previous?.change === null || r.previous === null ? null : percent(r.previous.change),
            numeric: true,
          },
          { label: 'Resolved', value: (r) => r.previous?.resolved ?? null, numeric: true },
          { label: 'New', value: (r) => r.previous?.new ?? null, numeric: true },
          { label: 'Incomplete', value: (r) => r.incomplete, numeric: true },
        ],
        { caption: `Indicators at ${name}`, id: 'practice-indicators', sortable: true },
      ),
    }),
    h(
      'section',
      { 'aria-labelledby': 'trend-h' },
      h('h2', { id: 'trend-h' }, 'Across runs'),
      report.indicators.map((i) => decileChart(i, practiceId, name)),
    ),
  );
  if (!ctx.session.permissions.includes('population:patients')) {
    out.append(
      h('p', { class: 'notice' }, 'Action lists name patients: pharmacists and administrators can see them.'),
    );
    return out;
  }
  const region = h('div', {});
  out.append(
    h(
      'section',
      { 'aria-labelledby': 'actions-h' },
      h('h2', { id: 'actions-h' }, 'Action list'),
      h(
        'p',
        { class: 'hint' },
        'Patient-identifiable: each patient at risk, with the evidence. A download holds patient data: keep it as your practice requires.',
      ),
      region,
    ),
  );
  await fill(region, async () => {
    const { rows: list } = await api<{ rows: ActionRow[] }>(
      `population/runs/${encodeURIComponent(report.runId)}/practices/${encodeURIComponent(practiceId)}/actions`,
    );
    return dataTable(
      list,
      [
        { label: 'Patient', value: (r) => r.name, rowHeader: true },
        { label: 'NHS number', value: (r) => r.nhsNumber, nowrap: true },
        { label: 'Born', value: (r) => r.birthDate, nowrap: true },
        { label: 'Indicator', value: (r) => r.release, nowrap: true },
        { label: 'Hazard', value: (r) => r.summary, prose: true, render: hazardCell },
        {
          label: 'Evidence',
          value: (r) => evidenceLines(r.evidence).join('; '),
          prose: true,
          render: (r) => cellList(evidenceLines(r.evidence)),
        },
        {
          label: 'Missing data',
          value: (r) => r.missingData.join('; '),
          render: (r) => cellList(r.missingData),
        },
        {
          label: 'Since last run',
          value: (r) => (r.sinceLastRun === null ? null : r.sinceLastRun ? 'new' : 'also last run'),
          nowrap: true,
        },
      ],
      {
        caption: `Patients at risk at ${name}`,
        id: 'action-list',
        sortable: true,
        empty: 'No patient at risk.',
      },
    );
  });
  return out;
}

function band(i: IndicatorSummary | undefined): [number, number] | null {
  return i === undefined || i.deciles.length !== 9
    ? null
    : [percent(i.deciles[0]) ?? 0, percent(i.deciles[8]) ?? 0];
}

/** The OpenSAFELY decile chart: the practice's rate at each run among the deciles of every practice's rate. */
function decileChart(i: IndicatorSummary, practiceId: string, name: string): HTMLElement {
  const labels = i.history.map((x) => x.asOf);
  const deciles = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((d) => ({
    label:
      d === 4
        ? 'Peer median'
        : d === 0
          ? 'Peer deciles (10th to 90th percentile)'
          : `${(d + 1) * 10}th percentile`,
    data: i.history.map((x) => percent(x.deciles[d])),
    faint: d !== 4,
    dashed: d !== 4,
    colour: 7,
    ...(d === 0 || d === 4 ? {} : { legend: false as const }),
  }));
  return chartFigure({
    id: `decile-${i.artefactId}`,
    title: `${i.title}: decile chart`,
    summary:
      `${name}'s rate at each run (solid line) among the deciles of all ${i.practices} practices (dashed; the median bold).` +
      (i.history.length === 1 ? ' One run so far: the lines appear with the next.' : ''),
    type: 'line',
    labels,
    yTitle: 'Patients at risk (%)',
    series: [
      { label: name, data: i.history.map((x) => percent(x.rates[practiceId])), bold: true, colour: 1 },
      ...deciles,
    ],
    table: dataTable(
      i.history,
      [
        { label: 'As of', value: (x) => x.asOf, rowHeader: true, nowrap: true },
        { label: `${name} (%)`, value: (x) => percent(x.rates[practiceId]), numeric: true },
        { label: 'Peer median (%)', value: (x) => percent(x.deciles[4]), numeric: true },
        { label: '10th percentile (%)', value: (x) => percent(x.deciles[0]), numeric: true },
        { label: '90th percentile (%)', value: (x) => percent(x.deciles[8]), numeric: true },
      ],
      { caption: `${i.artefactId} across runs`, id: `trend-${i.artefactId}` },
    ),
  });
}

/** The summary, a note when the patient is outside the measure population, and the rule's own detail. */
function hazardCell(r: ActionRow): HTMLElement {
  const detail = h('div', { class: 'card-detail' });
  detail.innerHTML = renderMarkdownLite(r.detail); // escaped by the renderer
  return h(
    'div',
    {},
    h('p', { class: 'hazard-summary' }, r.summary),
    r.inMeasure
      ? null
      : h('p', { class: 'hint' }, 'Outside the measure population: not counted in the rate.'),
    r.detail === '' ? null : h('details', {}, h('summary', {}, 'What to do'), detail),
  );
}

/** Each item of evidence as "what (when)", as the search's own CSV writes it (src/population/report-writer.ts). */
function evidenceLines(evidence: ActionRow['evidence']): string[] {
  return [
    ...evidence.drugs.map((d) => `${d.drug} (${d.issued})`),
    ...evidence.tests.map((t) => `${t.test} (${t.taken})`),
    ...evidence.events.map((e) => `${e.term} (${e.dated})`),
  ];
}

function cellList(items: readonly string[]): HTMLElement | string {
  return items.length === 0
    ? ''
    : h(
        'ul',
        { class: 'cell-list' },
        items.map((i) => h('li', {}, i)),
      );
}
