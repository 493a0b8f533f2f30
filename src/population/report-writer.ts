import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { csvRow } from './csv-row.js';
import { decileChartSvg } from './decile-chart.js';
import { escapeHtml, percent } from './html-text.js';
import type { ActionRow, PatientError } from './partition-result.js';
import { practiceMeasureReports } from './population-measure-report.js';
import { PAGE_STYLE, practicePage, RATE_HEADER, rateRows } from './practice-page.js';
import type { RunReport } from './run-report.js';

export interface ReportFiles {
  report: RunReport;
  actions: readonly ActionRow[];
  /** Per action row: new since the last run (true), in it too (false), or no last run (null). */
  newFlags: ReadonlyArray<boolean | null>;
  errors: readonly PatientError[];
}

/**
 * Writes a run's outputs to the folder the user named (--out), the only place patient-identifiable data
 * goes:
 * - `report.html`, `rates.csv`, `rates.json`, `measure-reports.json` (summary MeasureReports): practice
 *   and indicator figures, no patient data;
 * - `practices/<id>/action-list.csv|html` and `practices/<id>/measure-reports.json` (summary and
 *   subject-list MeasureReports): the practice's patients at risk;
 * - `errors.csv`: patients whose evaluation failed, with the error.
 * Returns the files written, relative to the folder.
 */
export function writeReport(dir: string, files: ReportFiles): string[] {
  const { report, actions, newFlags } = files;
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(name);
  };
  write('rates.json', `${JSON.stringify(report, null, 2)}\n`);
  write('rates.csv', ratesCsv(report));
  const generated = report.finishedAt;
  const summaries = report.rates.map(
    (r) => practiceMeasureReports(report.runId, report.asOf, generated, r, []).summary,
  );
  write('measure-reports.json', `${JSON.stringify(bundle(summaries), null, 2)}\n`);
  write('report.html', overviewPage(report));
  for (const practice of report.practices) {
    const folder = `practices/${folderName(practice.id)}`;
    const indexes = actions.flatMap((a, i) => (a.practiceId === practice.id ? [i] : []));
    const own = indexes.map((i) => actions[i]!);
    const flags = indexes.map((i) => newFlags[i] ?? null);
    write(`${folder}/action-list.csv`, actionListCsv(own, flags));
    write(`${folder}/action-list.html`, practicePage(report, practice.id, own, flags));
    const reports = report.rates
      .filter((r) => r.practiceId === practice.id)
      .flatMap((r) => {
        const m = practiceMeasureReports(
          report.runId,
          report.asOf,
          generated,
          r,
          own.filter((a) => a.release === r.release),
        );
        return [m.summary, m.subjectList];
      });
    write(`${folder}/measure-reports.json`, `${JSON.stringify(bundle(reports), null, 2)}\n`);
  }
  if (files.errors.length > 0) {
    write(
      'errors.csv',
      csvRow(['practice_id', 'patient_id', 'release', 'error']) +
        files.errors.map((e) => csvRow([e.practiceId, e.patientId, e.release, e.message])).join(''),
    );
  }
  return written;
}

/** The rates as CSV: one row per practice and indicator release. */
export function ratesCsv(report: RunReport): string {
  const header = csvRow([
    'run_id',
    'as_of',
    'practice_id',
    'practice_name',
    'indicator',
    'release',
    'list_size',
    'denominator',
    'numerator',
    'rate',
    'ci_low',
    'ci_high',
    'rank',
    'peers',
    'percentile',
    'incomplete',
    'errors',
    'previous_as_of',
    'previous_rate',
    'change',
    'resolved',
    'new',
  ]);
  return (
    header +
    report.rates
      .map((r) =>
        csvRow([
          report.runId,
          report.asOf,
          r.practiceId,
          r.practiceName,
          r.artefactId,
          r.release,
          r.listSize,
          r.denominator,
          r.numerator,
          r.rate === null ? '' : r.rate.toFixed(6),
          r.ci?.low.toFixed(6) ?? '',
          r.ci?.high.toFixed(6) ?? '',
          r.rank ?? '',
          r.peers,
          r.percentile ?? '',
          r.incomplete,
          r.errors,
          r.previous?.asOf ?? '',
          r.previous?.rate?.toFixed(6) ?? '',
          r.previous?.change?.toFixed(6) ?? '',
          r.previous?.resolved ?? '',
          r.previous?.new ?? '',
        ]),
      )
      .join('')
  );
}

/** The action list as CSV (patient-identifiable). */
export function actionListCsv(
  actions: readonly ActionRow[],
  newFlags: ReadonlyArray<boolean | null>,
): string {
  return (
    csvRow([
      'practice_id',
      'indicator',
      'patient_id',
      'nhs_number',
      'name',
      'birth_date',
      'sex',
      'hazard',
      'drugs',
      'tests',
      'events',
      'missing_data',
      'in_measure',
      'since_last_run',
    ]) +
    actions
      .map((a, i) =>
        csvRow([
          a.practiceId,
          a.release,
          a.patientId,
          a.nhsNumber,
          a.name,
          a.birthDate,
          a.gender,
          a.summary,
          a.evidence.drugs.map((d) => `${d.drug} (${d.issued})`).join('; '),
          a.evidence.tests.map((t) => `${t.test} (${t.taken})`).join('; '),
          a.evidence.events.map((e) => `${e.term} (${e.dated})`).join('; '),
          a.missingData.join('; '),
          a.inMeasure ? 'yes' : 'no',
          newFlags[i] === null || newFlags[i] === undefined ? '' : newFlags[i] ? 'new' : 'also last run',
        ]),
      )
      .join('')
  );
}

function overviewPage(report: RunReport): string {
  const indicators = report.indicators
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.title)}<br><span class="muted">${escapeHtml(i.release)}</span></td><td class="n">${i.practices}</td>` +
        `<td class="n">${i.denominator}</td><td class="n">${i.numerator}</td><td class="n">${percent(i.rate)}</td>` +
        `<td class="n">${i.ci === null ? '–' : `${percent(i.ci.low)} – ${percent(i.ci.high)}`}</td><td class="n">${i.incomplete}</td></tr>`,
    )
    .join('');
  const charts = report.indicators.map((i) =>
    decileChartSvg({
      title: `${i.artefactId}: ${i.title.slice(0, 60)}`,
      points: i.history.map((h) => ({ asOf: h.asOf, deciles: h.deciles })),
    }),
  );
  const practices = report.indicators
    .map(
      (i) =>
        `<h3>${escapeHtml(i.title)}</h3><table>${RATE_HEADER.replace('%FIRST%', 'Practice')}${rateRows(
          report.rates.filter((r) => r.release === i.release),
          (r) =>
            `<a href="practices/${encodeURIComponent(folderName(r.practiceId))}/action-list.html">${escapeHtml(r.practiceName)}</a>`,
        )}</table>`,
    )
    .join('');
  const excluded = Object.entries(report.excluded)
    .map(([why, n]) => `${n} ${escapeHtml(why)}`)
    .join('; ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PINCER population search ${escapeHtml(report.asOf)}</title><style>${PAGE_STYLE}</style></head><body>
<h1>Population search, index date ${escapeHtml(report.asOf)}</h1>
<p>Run ${escapeHtml(report.runId)}: ${report.patients} patients from ${escapeHtml(report.source)}; ${report.practices.length} practices; evaluated as of ${escapeHtml(report.now)}.
${excluded === '' ? '' : `Outside the measure population: ${excluded}.`} ${report.errors > 0 ? `${report.errors} evaluation errors (errors.csv).` : ''}
Rates are numerator / denominator with 95% Wilson score intervals; rank 1 is the highest rate.</p>
<h2>Indicators</h2><table><tr><th>Indicator</th><th>Practices</th><th>Denominator</th><th>Numerator</th><th>Rate</th><th>95% CI</th><th>Incomplete</th></tr>${indicators}</table>
<div class="charts">${charts.join('')}</div>
<h2>Practices</h2>${practices}
</body></html>
`;
}

/** A collection Bundle of resources. */
function bundle(resources: readonly unknown[]): Record<string, unknown> {
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

/** A practice id as a folder name (ids are FHIR ids; the unassigned key is not). */
export function folderName(practiceId: string): string {
  return practiceId.replace(/[^A-Za-z0-9\-.]/g, '_').replace(/^_+|_+$/g, '') || 'unassigned';
}
