import type { FhirResource } from '../engine/patient-bundle.js';
import type { IndicatorOutcome } from './indicator-outcome.js';
import type { PatientRecords } from './partition-groups.js';
import { PatientRecord } from './patient-record.js';
import {
  emptyResult,
  UNASSIGNED_PRACTICE,
  type ActionRow,
  type IndicatorCounts,
  type PartitionResult,
} from './partition-result.js';
import { practiceIdOf } from './patient-reference.js';
import type { PopulationEvaluator } from './population-evaluator.js';

const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';

/**
 * Evaluates every patient of one partition and sums the results by practice and indicator. The measure
 * population is the OpenSAFELY base population less what the artefacts check themselves (clinical-spec
 * §1.2): registered with a practice (assigned one, and `Patient.active` not false) and recorded as male
 * or female; age and being alive on the index date are in each artefact's `Denominator`. Patients outside
 * it are counted as excluded, by reason, and still appear in the action list when a rule fires for them
 * (flagged), because a hazard is a hazard whatever a measure counts. The numerator is `result.fired`
 * within the denominator (or alone, for an artefact without `Denominator`).
 */
export async function evaluatePartition(
  partition: number,
  groups: AsyncIterable<PatientRecords>,
  evaluator: PopulationEvaluator,
  onPatients?: (count: number) => void,
): Promise<PartitionResult> {
  const result = emptyResult(partition);
  const counts = new Map<string, IndicatorCounts>();
  const count = (practiceId: string, release: string): IndicatorCounts => {
    const key = `${practiceId}\u0000${release}`;
    let c = counts.get(key);
    if (c === undefined) {
      c = { practiceId, release, denominator: 0, numerator: 0, incomplete: 0, errors: 0 };
      counts.set(key, c);
    }
    return c;
  };
  const before = { ...evaluator.paths };
  let sinceReport = 0;
  for await (const group of groups) {
    for (const [patientId, payloads] of group) {
      const entries: Array<{ type: string; json: string }> = [];
      let assigned: string | undefined;
      let patient: FhirResource | undefined;
      for (const payload of payloads) {
        const tab = payload.indexOf('\t');
        const type = payload.slice(0, tab);
        const json = payload.slice(tab + 1);
        if (type === '@') assigned = json;
        else if (type === 'Patient' && patient === undefined) patient = parsePatient(json);
        else entries.push({ type, json });
      }
      if (patient === undefined) {
        result.recordsWithoutPatient += entries.length;
        continue;
      }
      const record = new PatientRecord(patient, entries, assigned);
      result.patients++;
      const practiceId = assigned ?? practiceIdOf(patient) ?? UNASSIGNED_PRACTICE;
      const exclusion = exclusionOf(patient, practiceId);
      if (exclusion === undefined) result.listSizes[practiceId] = (result.listSizes[practiceId] ?? 0) + 1;
      else result.excluded[exclusion] = (result.excluded[exclusion] ?? 0) + 1;
      let outcomes: IndicatorOutcome[];
      try {
        outcomes = await evaluator.evaluatePatient(record);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes = evaluator.releases.map((release) => ({
          release,
          result: 'error' as const,
          inDenominator: null,
          missingData: [],
          path: 'full' as const,
          error: message,
        }));
      }
      for (const o of outcomes) {
        if (exclusion === undefined) {
          const c = count(practiceId, o.release);
          if (o.inDenominator === true) c.denominator++;
          if (o.result === 'fired' && o.inDenominator !== false) c.numerator++;
          if (o.result === 'incomplete') c.incomplete++;
          if (o.result === 'error') c.errors++;
        }
        if (o.result === 'error')
          result.errors.push({
            practiceId,
            patientId,
            release: o.release,
            message: o.error ?? 'evaluation failed',
          });
        if (o.result === 'fired')
          result.actions.push(actionRow(patient, practiceId, o, exclusion === undefined));
      }
      if (++sinceReport >= 250) {
        onPatients?.(sinceReport);
        sinceReport = 0;
      }
    }
  }
  if (sinceReport > 0) onPatients?.(sinceReport);
  for (const key of Object.keys(result.paths) as Array<keyof PartitionResult['paths']>)
    result.paths[key] = evaluator.paths[key] - before[key];
  result.counts = [...counts.values()];
  return result;
}

/**
 * The Patient of a partition record; undefined when it is not JSON (the scanner kept it parsed, so this
 * is a damaged file). The parser's message is not kept: it quotes the record.
 */
function parsePatient(json: string): FhirResource | undefined {
  try {
    const parsed = JSON.parse(json) as FhirResource;
    return parsed?.resourceType === 'Patient' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Why a patient is outside the measure population, or undefined when inside. */
function exclusionOf(patient: FhirResource, practiceId: string): string | undefined {
  if (practiceId === UNASSIGNED_PRACTICE) return 'no registered practice';
  if (patient['active'] === false) return 'record not active (Patient.active false)';
  const gender = patient['gender'];
  if (gender !== 'male' && gender !== 'female') return 'sex not recorded as male or female';
  return undefined;
}

function actionRow(
  patient: FhirResource,
  practiceId: string,
  o: IndicatorOutcome,
  inMeasure: boolean,
): ActionRow {
  const identifiers = Array.isArray(patient['identifier'])
    ? (patient['identifier'] as Array<{ system?: string; value?: string }>)
    : [];
  const name = Array.isArray(patient['name'])
    ? (patient['name'] as Array<{ text?: string; family?: string; given?: string[] }>)[0]
    : undefined;
  return {
    practiceId,
    patientId: patient.id ?? '',
    nhsNumber: identifiers.find((i) => i.system === NHS_NUMBER)?.value ?? '',
    name: name?.text ?? [...(name?.given ?? []), name?.family ?? ''].join(' ').trim(),
    birthDate: typeof patient['birthDate'] === 'string' ? patient['birthDate'] : '',
    gender: typeof patient['gender'] === 'string' ? patient['gender'] : '',
    release: o.release,
    summary: o.card?.summary ?? '',
    detail: o.card?.detail ?? '',
    evidence: o.evidence ?? { drugs: [], tests: [], events: [] },
    missingData: o.missingData,
    inMeasure,
    inNumerator: inMeasure && o.inDenominator !== false,
  };
}
