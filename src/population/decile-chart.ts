import { escapeHtml } from './html-text.js';

export interface DecileChartInput {
  title: string;
  /** Oldest first: the index date of each run, its deciles (10th…90th) and, if any, the practice's rate. */
  points: Array<{ asOf: string; deciles: number[]; practice?: number | null }>;
  practiceLabel?: string;
}

const W = 520;
const H = 220;
const PAD = { left: 48, right: 16, top: 28, bottom: 36 };

/**
 * A decile chart as OpenSAFELY draws them (the charts of the PINCER measures in OpenSAFELY reports): for
 * each run, the 10th to 90th percentiles of practice rates as dashed blue lines, the median solid, and
 * the practice's own rate in red. An SVG, so that the HTML report needs no script or network. A single
 * run is drawn as points.
 */
export function decileChartSvg(input: DecileChartInput): string {
  const points = input.points.filter((p) => p.deciles.length === 9);
  const values = points.flatMap((p) => [
    ...p.deciles,
    ...(typeof p.practice === 'number' ? [p.practice] : []),
  ]);
  const top = Math.max(0.01, ...values) * 1.1;
  const x = (i: number) =>
    PAD.left +
    (points.length === 1
      ? (W - PAD.left - PAD.right) / 2
      : (i * (W - PAD.left - PAD.right)) / (points.length - 1));
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(input.title)}">`,
  );
  parts.push(`<title>${escapeHtml(input.title)}</title>`);
  parts.push(
    `<text x="${PAD.left}" y="16" font-size="12" font-family="sans-serif">${escapeHtml(input.title)}</text>`,
  );
  for (let t = 0; t <= 4; t++) {
    const v = (top * t) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${PAD.left - 4}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end" font-family="sans-serif">${(v * 100).toFixed(1)}%</text>`,
    );
  }
  points.forEach((p, i) =>
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${H - PAD.bottom + 14}" font-size="10" text-anchor="middle" font-family="sans-serif">${escapeHtml(p.asOf)}</text>`,
    ),
  );
  for (let d = 0; d < 9; d++) {
    const median = d === 4;
    const style = median
      ? 'stroke="#1f5fa6" stroke-width="2"'
      : 'stroke="#1f5fa6" stroke-width="1" stroke-dasharray="4 3"';
    if (points.length > 1)
      parts.push(
        `<polyline fill="none" ${style} points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p.deciles[d]!).toFixed(1)}`).join(' ')}"/>`,
      );
    else
      parts.push(
        `<line x1="${(x(0) - 20).toFixed(1)}" x2="${(x(0) + 20).toFixed(1)}" y1="${y(points[0]!.deciles[d]!).toFixed(1)}" y2="${y(points[0]!.deciles[d]!).toFixed(1)}" ${style}/>`,
      );
  }
  const own = points
    .map((p, i) => (typeof p.practice === 'number' ? { i, v: p.practice } : undefined))
    .filter((p) => p !== undefined);
  if (own.length > 1)
    parts.push(
      `<polyline fill="none" stroke="#c0392b" stroke-width="2" points="${own.map((p) => `${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}"/>`,
    );
  for (const p of own)
    parts.push(`<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="3.5" fill="#c0392b"/>`);
  const legend =
    input.practiceLabel === undefined
      ? 'deciles of practice rates (median solid)'
      : `deciles of practice rates (median solid); red: ${input.practiceLabel}`;
  parts.push(
    `<text x="${PAD.left}" y="${H - 6}" font-size="10" font-family="sans-serif" fill="#555">${escapeHtml(legend)}</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}
