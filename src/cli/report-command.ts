import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { LoopcdsConfig } from '../config/config.js';
import { comparisonsCsv, figuresCsv } from '../outcomes/figures-csv.js';
import { measureReportBundle, toMeasureReport } from '../outcomes/measure-report.js';
import { openOutcomeStore } from '../outcomes/open-outcome-store.js';
import { parseComparisonQuery, parseFigureQuery } from '../outcomes/outcome-query.js';
import { assertSchemaCurrent } from '../outcomes/schema-migrator.js';

export const REPORT_USAGE = `  report figures      learning figures by release, site and ISO week (--format csv|json)
  report compare      active vs shadow releases on the same calls (--a id@v --b id@v for one pair)
  report measure-reports   FHIR MeasureReports (a Bundle), one per release per week
  report unmatched-feedback  feedback whose card the store does not know
    options: --from --to (2026-11-01 or 2026-W44) --release --artefact --site --service
             --group-by release,site,week --format json|csv --out FILE`;

/** `loopcds report …`: the learning figures as JSON or CSV, and as FHIR MeasureReports. */
export async function runReportCommand(config: LoopcdsConfig, args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      release: { type: 'string' },
      artefact: { type: 'string' },
      site: { type: 'string' },
      service: { type: 'string' },
      'group-by': { type: 'string' },
      a: { type: 'string' },
      b: { type: 'string' },
      format: { type: 'string', default: 'json' },
      out: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  const [sub] = positionals;
  const format = values.format;
  if (format !== 'json' && format !== 'csv') {
    process.stderr.write('--format must be json or csv\n');
    return 2;
  }
  if (config.databaseUrl === undefined && !existsSync(config.sqlitePath)) {
    process.stderr.write(`No outcome store at ${config.sqlitePath} yet: nothing has been recorded.\n`);
    return 1;
  }
  const params = { ...values, groupBy: values['group-by'] };
  const store = openOutcomeStore(config);
  try {
    assertSchemaCurrent(await store.schemaStatus());
    let output: string;
    switch (sub) {
      case 'figures': {
        const figures = await store.figures(parseFigureQuery(params, ['site', 'week']));
        output = format === 'csv' ? figuresCsv(figures) : `${JSON.stringify({ figures }, null, 2)}\n`;
        break;
      }
      case 'compare': {
        const comparisons = await store.comparisons(parseComparisonQuery(params));
        output =
          format === 'csv' ? comparisonsCsv(comparisons) : `${JSON.stringify({ comparisons }, null, 2)}\n`;
        break;
      }
      case 'measure-reports': {
        const query = parseFigureQuery(params, ['week']);
        const period =
          query.from !== undefined && query.to !== undefined
            ? { start: query.from, end: query.to }
            : undefined;
        const now = new Date();
        const reports = (await store.figures(query)).map((f) =>
          toMeasureReport(f, { generatedAt: now, period }),
        );
        output = `${JSON.stringify(measureReportBundle(reports, now), null, 2)}\n`;
        break;
      }
      case 'unmatched-feedback': {
        const unmatched = await store.unmatchedFeedback({ limit: Number(values.limit ?? 1000) });
        output = `${JSON.stringify({ unmatched }, null, 2)}\n`;
        break;
      }
      case undefined:
      default:
        process.stderr.write(`Unknown report: ${sub ?? '(none)'}\n${REPORT_USAGE}\n`);
        return 2;
    }
    if (values.out === undefined) process.stdout.write(output);
    else await writeFile(values.out, output);
    return 0;
  } finally {
    await store.close();
  }
}
