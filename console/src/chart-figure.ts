import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { h } from './element.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/**
 * Okabe–Ito colours, distinguishable with the common colour-vision deficiencies; lines also differ by dash
 * and point style so that colour is never the only cue (WCAG 1.4.1).
 */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#6A3D9A', '#E69F00', '#000000', '#56B4E9'];
const POINTS = ['circle', 'rect', 'triangle', 'rectRot', 'crossRot', 'star', 'cross', 'rectRounded'] as const;

/** One series of a chart. A bar series whose values are [low, high] pairs draws floating bars (intervals). */
export interface Series {
  label: string;
  data: ReadonlyArray<number | null | [number, number]>;
  type?: 'line' | 'bar';
  dashed?: boolean;
  /** Fixed colour index into the palette (default: the series' position). */
  colour?: number;
  /** Thin, light line (the deciles of a decile chart). */
  faint?: boolean;
  /** Thick line (the practice in a decile chart, the median). */
  bold?: boolean;
  /** Markers only, no line between them (values of different indicators are not a series). */
  pointsOnly?: boolean;
  /** Left out of the legend (the inner deciles of a decile chart: one entry names them all). */
  legend?: false;
}

export interface ChartSpec {
  /** Names the figure for tests (`data-chart`) and the CSV file. */
  id: string;
  title: string;
  /** A sentence saying what the chart shows, for screen readers (the table beside it has the numbers). */
  summary: string;
  type: 'line' | 'bar';
  labels: readonly string[];
  series: readonly Series[];
  yTitle: string;
  yMax?: number;
  /** Bars drawn over each other, not side by side (an interval over a band). */
  overlap?: boolean;
  /** Whole numbers on the value axis (counts). */
  integer?: boolean;
  /** The accessible table of the same numbers (data-table.ts). */
  table: HTMLElement;
}

const live = new Set<Chart>();

/** Destroys the charts of the page being left. */
export function destroyCharts(): void {
  for (const chart of live) chart.destroy();
  live.clear();
}

/**
 * A figure with a Chart.js chart and, beside it, the table of the same numbers with its CSV download. The
 * canvas is an image with a text alternative; the table is the accessible form of the data. The chart's
 * own data is written to `data-series` (labels and datasets), so that end-to-end tests read what is drawn.
 */
export function chartFigure(spec: ChartSpec): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${spec.title}. ${spec.summary}` });
  const figure = h(
    'figure',
    { class: 'chart-figure', 'data-chart': spec.id },
    h('figcaption', {}, h('h3', {}, spec.title), h('p', { class: 'hint' }, spec.summary)),
    h(
      'div',
      { class: 'chart-body' },
      h('div', { class: 'chart-box' }, canvas),
      h('div', { class: 'chart-table' }, spec.table),
    ),
  );
  // One label (a first run): a line needs two points, so faint series show as points, centred.
  const single = spec.labels.length === 1;
  const datasets = spec.series.map((s, i) => ({
    ...dataset(s, s.colour ?? i, spec.type, single),
    ...(spec.overlap === true ? { grouped: false, barPercentage: s.faint === true ? 0.9 : 0.4 } : {}),
    ...(s.legend === false ? { hideInLegend: true } : {}),
  }));
  const chart = new Chart(canvas, {
    type: spec.type,
    data: {
      labels: [...spec.labels],
      datasets: datasets as unknown as ChartDataset<'line' | 'bar', unknown[]>[],
    } as never,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            usePointStyle: true,
            boxWidth: 10,
            filter: (item, data) =>
              (data.datasets[item.datasetIndex ?? 0] as { hideInLegend?: boolean }).hideInLegend !== true,
          },
        },
      },
      scales: {
        y: {
          beginAtZero: true,
          title: { display: true, text: spec.yTitle },
          ...(spec.yMax === undefined ? {} : { max: spec.yMax }),
          ...(spec.integer === true ? { ticks: { precision: 0 } } : {}),
        },
        x: { offset: spec.type === 'bar' || single, ticks: { autoSkip: true, maxRotation: 45 } },
      },
    },
  });
  live.add(chart);
  figure.dataset['series'] = JSON.stringify({
    labels: chart.data.labels,
    datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
  });
  return figure;
}

function dataset(
  s: Series,
  index: number,
  chartType: 'line' | 'bar',
  single: boolean,
): Record<string, unknown> {
  const colour = PALETTE[index % PALETTE.length] ?? '#000000';
  const type = s.type ?? chartType;
  return {
    type,
    label: s.label,
    data: [...s.data],
    borderColor: colour,
    backgroundColor: type === 'bar' ? `${colour}${s.faint === true ? '55' : 'cc'}` : colour,
    borderWidth: s.bold === true ? 3 : s.faint === true ? 1 : 2,
    borderDash: s.dashed === true ? [6, 4] : [],
    pointStyle: POINTS[index % POINTS.length],
    pointRadius: s.faint === true ? (single ? 2 : 0) : 4,
    spanGaps: true,
    // Lines and markers are drawn over bars (a lower order is drawn later, on top).
    order: type === 'line' ? 0 : 1,
    ...(s.pointsOnly === true ? { showLine: false, pointRadius: 7, pointHoverRadius: 8 } : {}),
  };
}
