import { createHash } from 'node:crypto';
import { isoWeekPeriod } from './iso-week.js';
import type { ReleaseFigures } from './outcome-store.js';

/** Our code system naming the groups of an outcome MeasureReport (docs/outcome-store.md lists them). */
export const OUTCOME_GROUP_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/outcome-measure-group';
/** HL7 MeasurePopulationType (FHIR R4 §MeasureReport.group.population.code). */
export const MEASURE_POPULATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/measure-population';
/** Canonical base of the outcome measure of an artefact: `<base>/<artefact id>|<version>`. */
export const OUTCOME_MEASURE_BASE = 'https://loopcds.org/fhir/Measure';
export const REPORT_IDENTIFIER_SYSTEM = 'https://loopcds.org/fhir/NamingSystem/outcome-report';
export const SITE_IDENTIFIER_SYSTEM = 'https://loopcds.org/fhir/NamingSystem/site';

type Coding = { system: string; code: string; display?: string };
type CodeableConcept = { coding?: Coding[]; text?: string };
type Quantity = { value: number; unit?: string; system?: string; code?: string };
interface Population {
  code: CodeableConcept;
  count: number;
}
interface Group {
  code: CodeableConcept;
  population: Population[];
  measureScore?: Quantity;
  stratifier?: Array<{
    code: CodeableConcept[];
    stratum: Array<{ value: CodeableConcept; population: Population[]; measureScore?: Quantity }>;
  }>;
}

/** A FHIR R4 MeasureReport of type `summary` (the subset loopcds writes). */
export interface MeasureReport {
  resourceType: 'MeasureReport';
  id: string;
  identifier: Array<{ system: string; value: string }>;
  status: 'complete';
  type: 'summary';
  measure: string;
  date: string;
  period: { start: string; end: string };
  reporter?: { identifier: { system: string; value: string }; display: string };
  group: Group[];
}

/**
 * One MeasureReport per figures row: a rule release, over an ISO week (or the period asked for), at one
 * site or all. The release is the measure (`Measure/<artefact id>|<version>`); each figure is a group of
 * HL7 measure populations with a measureScore (FHIR R4 MeasureReport; mapping in docs/outcome-store.md).
 * Ids are stable (a hash of release, site and period), so re-sending a report to a FHIR server with PUT
 * replaces the earlier one.
 */
export function toMeasureReport(
  figures: ReleaseFigures,
  options: { generatedAt: Date; period?: { start: string; end: string } | undefined },
): MeasureReport {
  const period = figures.week === null ? options.period : isoWeekPeriod(figures.week);
  if (period === undefined)
    throw new RangeError('a MeasureReport needs a period: group by week, or give from and to');
  const label = `${figures.release}/${figures.site ?? 'all-sites'}/${figures.week ?? `${period.start}..${period.end}`}`;
  const r = figures.results;
  return {
    resourceType: 'MeasureReport',
    id: `lo-${createHash('sha256').update(label).digest('hex').slice(0, 40)}`,
    identifier: [{ system: REPORT_IDENTIFIER_SYSTEM, value: label }],
    status: 'complete',
    type: 'summary',
    measure: `${OUTCOME_MEASURE_BASE}/${figures.artefactId}|${figures.version}`,
    date: options.generatedAt.toISOString(),
    period,
    ...(figures.site === null
      ? {}
      : {
          reporter: {
            identifier: { system: SITE_IDENTIFIER_SYSTEM, value: figures.site },
            display: figures.site,
          },
        }),
    group: [
      proportion('firing-rate', 'Firing rate', r.fired, r.fired + r.notFired, [
        population('initial-population', figures.evaluations),
        population('denominator-exclusion', r.incomplete + r.error),
      ]),
      proportion('acceptance-rate', 'Acceptance rate of cards shown', figures.accepted, figures.cardsShown),
      {
        ...proportion(
          'override-rate',
          'Override rate of cards shown',
          figures.overridden,
          figures.cardsShown,
        ),
        stratifier: [
          {
            code: [{ coding: [group('override-reason', 'Override reason')] }],
            stratum: figures.overrideReasons.map((reason) => ({
              value:
                reason.system === null || reason.code === null
                  ? { text: 'no reason given (comment only)' }
                  : {
                      coding: [
                        {
                          system: reason.system,
                          code: reason.code,
                          ...(reason.display === null ? {} : { display: reason.display }),
                        },
                      ],
                    },
              population: [
                population('numerator', reason.count),
                population('denominator', figures.cardsShown),
              ],
              ...score(reason.count, figures.cardsShown),
            })),
          },
        ],
      },
      proportion(
        'suggestions-taken',
        'Suggestions taken per card shown',
        figures.suggestionsTaken,
        figures.cardsShown,
      ),
      proportion('incomplete-data-rate', 'Incomplete-data rate', r.incomplete, figures.evaluations),
      proportion('error-rate', 'Error rate', r.error, figures.evaluations),
      duration(
        'evaluation-time-median',
        'Median evaluation time',
        figures.evaluationMs.median,
        figures.evaluations,
      ),
      duration(
        'evaluation-time-p95',
        '95th percentile evaluation time',
        figures.evaluationMs.p95,
        figures.evaluations,
      ),
    ],
  };
}

/** A FHIR `collection` Bundle of MeasureReports. */
export function measureReportBundle(reports: readonly MeasureReport[], generatedAt: Date) {
  return {
    resourceType: 'Bundle' as const,
    type: 'collection' as const,
    timestamp: generatedAt.toISOString(),
    total: reports.length,
    entry: reports.map((resource) => ({ resource })),
  };
}

function proportion(
  code: string,
  display: string,
  numerator: number,
  denominator: number,
  extra: Population[] = [],
): Group {
  return {
    code: { coding: [group(code, display)] },
    population: [...extra, population('denominator', denominator), population('numerator', numerator)],
    ...score(numerator, denominator),
  };
}

function duration(code: string, display: string, ms: number | null, evaluations: number): Group {
  return {
    code: { coding: [group(code, display)] },
    population: [population('measure-population', evaluations)],
    ...(ms === null
      ? {}
      : { measureScore: { value: round(ms), unit: 'ms', system: 'http://unitsofmeasure.org', code: 'ms' } }),
  };
}

/** No score when nothing was counted: a missing rate is never reported as 0. */
function score(numerator: number, denominator: number): { measureScore?: Quantity } {
  return denominator === 0 ? {} : { measureScore: { value: round(numerator / denominator) } };
}

function population(code: string, count: number): Population {
  return { code: { coding: [{ system: MEASURE_POPULATION_SYSTEM, code }] }, count };
}

function group(code: string, display: string): Coding {
  return { system: OUTCOME_GROUP_SYSTEM, code, display };
}

function round(value: number): number {
  return Number(value.toFixed(6));
}
