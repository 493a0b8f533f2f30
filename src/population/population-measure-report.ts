import { createHash } from 'node:crypto';
import type { ActionRow } from './partition-result.js';
import type { PracticeIndicator } from './run-report.js';

/** HL7 MeasurePopulationType (FHIR R4 MeasureReport.group.population.code). */
const MEASURE_POPULATION = 'http://terminology.hl7.org/CodeSystem/measure-population';
/** Canonical base of the population measure of an artefact: `<base>/<artefact id>|<version>`. */
export const POPULATION_MEASURE_BASE = 'https://loopcds.org/fhir/Measure/population';
const RUN_IDENTIFIER = 'https://loopcds.org/fhir/NamingSystem/population-run';
const ODS_CODE = 'https://fhir.nhs.uk/Id/ods-organization-code';

type Resource = Record<string, unknown>;

/**
 * The FHIR R4 MeasureReports of one practice and indicator in a run (http://hl7.org/fhir/R4/measurereport.html):
 * `summary` with the counts (initial population: the practice's measure population; denominator;
 * numerator) and the rate as measureScore; and `subject-list`, whose populations point to contained Lists
 * of the Patients counted (patient-identifiable: written only under --out). The measure is the artefact
 * release (`…/Measure/population/<id>|<version>`), the period the index date, the reporter the practice.
 * Ids are stable (a hash of run, practice and release), so a re-send with PUT replaces.
 */
export function practiceMeasureReports(
  runId: string,
  asOf: string,
  generated: string,
  rate: PracticeIndicator,
  actions: readonly ActionRow[],
): { summary: Resource; subjectList: Resource } {
  const [id, version] = [rate.artefactId, rate.release.slice(rate.release.lastIndexOf('@') + 1)];
  const base = (type: 'summary' | 'subject-list') => ({
    resourceType: 'MeasureReport',
    id: stableId(`${runId}/${rate.practiceId}/${rate.release}/${type}`),
    identifier: [{ system: RUN_IDENTIFIER, value: `${runId}/${rate.practiceId}/${rate.release}/${type}` }],
    status: 'complete',
    type,
    measure: `${POPULATION_MEASURE_BASE}/${id}|${version}`,
    date: generated,
    period: { start: asOf, end: asOf },
    reporter: { identifier: { system: ODS_CODE, value: rate.practiceId }, display: rate.practiceName },
    improvementNotation: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation', code: 'decrease' },
      ],
    },
  });
  const population = (code: string, count: number, list?: string) => ({
    code: { coding: [{ system: MEASURE_POPULATION, code }] },
    count,
    ...(list === undefined ? {} : { subjectResults: { reference: `#${list}` } }),
  });
  const score =
    rate.rate === null
      ? {}
      : {
          measureScore: {
            value: Math.round(rate.rate * 1e6) / 1e6,
            unit: '1',
            system: 'http://unitsofmeasure.org',
            code: '1',
          },
        };
  const summary = {
    ...base('summary'),
    group: [
      {
        code: { text: rate.title },
        population: [
          population('initial-population', rate.listSize),
          population('denominator', rate.denominator),
          population('numerator', rate.numerator),
        ],
        ...score,
      },
    ],
  };
  const numerator = actions.filter((a) => a.inNumerator);
  const subjectList = {
    ...base('subject-list'),
    contained: [
      {
        resourceType: 'List',
        id: 'numerator',
        status: 'current',
        mode: 'snapshot',
        title: `${rate.title}: patients in the numerator`,
        entry: numerator.map((a) => ({ item: { reference: `Patient/${a.patientId}` } })),
      },
    ],
    group: [
      {
        code: { text: rate.title },
        population: [population('numerator', numerator.length, 'numerator')],
        ...score,
      },
    ],
  };
  return { summary, subjectList };
}

/** A FHIR id (64 characters at most) from a stable hash. */
function stableId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}
