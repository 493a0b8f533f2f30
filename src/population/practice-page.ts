import { decileChartSvg } from './decile-chart.js';
import { escapeHtml, markdownToHtml, percent } from './html-text.js';
import type { ActionRow } from './partition-result.js';
import type { IndicatorSummary, PracticeIndicator, RunReport } from './run-report.js';

/** Inline style: the pages are single files, opened from disk or served, with no network requests. */
export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}.charts{display:flex;flex-wrap:wrap;gap:1rem}.muted{color:#666}
details{margin:.25rem 0}summary{cursor:pointer}h2{margin-top:2rem}`;

/** A change in rate, in percentage points, signed. */
export function change(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const pp = value * 100;
  return `${pp > 0 ? '+' : ''}${pp.toFixed(1)} pp`;
}

/** The rates table rows of practice-indicator figures. */
export function rateRows(
  rows: readonly PracticeIndicator[],
  first: (r: PracticeIndicator) => string,
): string {
  return rows
    .map(
      (r) =>
        `<tr><td>${first(r)}</td><td class="n">${r.denominator}</td><td class="n">${r.numerator}</td>` +
        `<td class="n">${percent(r.rate)}</td><td class="n">${r.ci === null ? '–' : `${percent(r.ci.low)} – ${percent(r.ci.high)}`}</td>` +
        `<td class="n">${r.rank === null ? '–' : `${r.rank} of ${r.peers}`}</td><td class="n">${r.percentile === null ? '–' : r.percentile}</td>` +
        `<td class="n">${r.incomplete}</td><td class="n">${change(r.previous?.change)}</td>` +
        `<td class="n">${r.previous === null ? '–' : r.previous.resolved}</td><td class="n">${r.previous === null ? '–' : r.previous.new}</td></tr>`,
    )
    .join('');
}

export const RATE_HEADER =
  '<tr><th>%FIRST%</th><th>Denominator</th><th>Numerator</th><th>Rate</th><th>95% CI (Wilson)</th><th>Rank (1 = highest)</th>' +
  '<th>Percentile</th><th>Incomplete</th><th>Change since last run</th><th>Resolved</th><th>New</th></tr>';

/**
 * The page of one practice for its pharmacist: its rates against its peers and its last run, a decile
 * chart per indicator with its own rate in red, and the action list (each patient at risk, the
 * indicator, the evidence, what is missing, and the rule's own account of the hazard).
 */
export function practicePage(
  report: RunReport,
  practiceId: string,
  actions: readonly ActionRow[],
  newFlags: ReadonlyArray<boolean | null>,
): string {
  const practice = report.practices.find((p) => p.id === practiceId);
  const rows = report.rates.filter((r) => r.practiceId === practiceId);
  const charts = report.indicators.map((i: IndicatorSummary) =>
    decileChartSvg({
      title: i.title.length > 70 ? `${i.artefactId}: ${i.title.slice(0, 60)}…` : i.title,
      points: i.history.map((h) => ({
        asOf: h.asOf,
        deciles: h.deciles,
        practice: h.rates[practiceId] ?? null,
      })),
      practiceLabel: practice?.name ?? practiceId,
    }),
  );
  const list = actions
    .map((a, i) => {
      const flag = newFlags[i];
      const evidence = [
        ...a.evidence.drugs.map((d) => `${escapeHtml(d.drug)} (${escapeHtml(d.issued)})`),
        ...a.evidence.tests.map((t) => `${escapeHtml(t.test)} (${escapeHtml(t.taken)})`),
        ...a.evidence.events.map((e) => `${escapeHtml(e.term)} (${escapeHtml(e.dated)})`),
      ].join('<br>');
      return (
        `<tr><td>${escapeHtml(a.release)}</td><td>${escapeHtml(a.name)}<br><span class="muted">${escapeHtml(a.patientId)}${a.nhsNumber === '' ? '' : ` · NHS ${escapeHtml(a.nhsNumber)}`}</span></td>` +
        `<td>${escapeHtml(a.birthDate)}</td><td>${escapeHtml(a.summary)}${a.inMeasure ? '' : '<br><span class="muted">outside the measure population</span>'}` +
        `<details><summary>Details</summary>${markdownToHtml(a.detail)}</details></td><td>${evidence}</td>` +
        `<td>${a.missingData.map(escapeHtml).join('<br>')}</td><td>${flag === null || flag === undefined ? '–' : flag ? 'new' : 'also last run'}</td></tr>`
      );
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(practice?.name ?? practiceId)}: PINCER search ${escapeHtml(report.asOf)}</title><style>${PAGE_STYLE}</style></head><body>
<h1>${escapeHtml(practice?.name ?? practiceId)} <span class="muted">(${escapeHtml(practiceId)})</span></h1>
<p>Population search on ${escapeHtml(report.asOf)} (run ${escapeHtml(report.runId)}); ${practice?.listSize ?? 0} registered patients in the measure population.
${report.previousRun === null ? 'No earlier run to compare with.' : `Compared with the run of ${escapeHtml(report.previousRun.asOf)}.`}
Contains patient-identifiable data: keep it within the practice.</p>
<h2>Rates</h2><table>${RATE_HEADER.replace('%FIRST%', 'Indicator')}${rateRows(rows, (r) => escapeHtml(r.title))}</table>
<h2>Among practices</h2><div class="charts">${charts.join('')}</div>
<h2>Action list (${actions.length})</h2>
<table><tr><th>Indicator</th><th>Patient</th><th>Born</th><th>Hazard</th><th>Evidence</th><th>Missing data</th><th>Since last run</th></tr>${list}</table>
</body></html>
`;
}
