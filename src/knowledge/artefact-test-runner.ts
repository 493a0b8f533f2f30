import { isDeepStrictEqual } from 'node:util';
import { draftOrderResources } from '../context/draft-orders.js';
import { resolveMedications } from '../context/medication-resolver.js';
import { patientBundle, type FhirResource } from '../engine/patient-bundle.js';
import type { ArtefactTestCase } from './artefact-test-case.js';
import type { KnowledgeBase, LoadedArtefact } from './knowledge-base.js';
import { evaluateRelease, type ReleaseEvaluationInput } from './release-evaluator.js';

/** The topic system used in cards rendered for test cases (the same as the service's). */
const TOPIC_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/artefact';

export interface TestCaseFailure {
  /** What differed: `result`, an expression name, `cards[0].summary`, … */
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface TestCaseOutcome {
  pass: boolean;
  failures: TestCaseFailure[];
  evaluationMs: number;
}

/**
 * What a test case hands the release evaluator, built the way a hook call builds it: draft orders tagged
 * and merged, medication references resolved.
 */
export function testCaseEvaluationInput(
  testCase: ArtefactTestCase,
  knowledge: Pick<KnowledgeBase, 'valueSets' | 'overrideReasons'>,
): ReleaseEvaluationInput {
  const patient = testCase.patient as FhirResource;
  const resources = [
    patient,
    ...(testCase.resources as FhirResource[]),
    ...draftOrderResources({ entry: testCase.draftOrders.map((resource) => ({ resource })) }),
  ];
  const medications = new Map<string, FhirResource>();
  for (const r of resources)
    if (r.resourceType === 'Medication' && r.id !== undefined) medications.set(`Medication/${r.id}`, r);
  return {
    bundle: patientBundle(resolveMedications(resources, { byReference: medications })),
    now: testCase.now,
    hook: testCase.hook,
    context: { patientId: patient.id ?? '', userId: 'Practitioner/test-case' },
    parameters: testCase.parameters,
    valueSets: knowledge.valueSets,
    overrideReasons: knowledge.overrideReasons,
    topicSystem: TOPIC_SYSTEM,
  };
}

/**
 * Runs one test case the way a hook call would: draft orders tagged and merged, medication references
 * resolved, the artefact's data filter applied, the release evaluated and its cards rendered.
 */
export async function runTestCase(
  artefact: LoadedArtefact,
  knowledge: Pick<KnowledgeBase, 'valueSets' | 'overrideReasons'>,
  testCase: ArtefactTestCase,
): Promise<TestCaseOutcome> {
  const input = testCaseEvaluationInput(testCase, knowledge);
  // The hook path (triggers may skip evaluation; the decision is evaluated first, everything else only
  // when the rule fires) decides result and cards; a full evaluation gives every expression, and must
  // agree with the hook path on the result.
  const out = await evaluateRelease(artefact, { ...input, decisionFirst: true });
  const full =
    out.skipped === true || out.result !== 'fired'
      ? await evaluateRelease(artefact, { ...input, useTriggers: false })
      : out;

  const failures: TestCaseFailure[] = [];
  const expect = testCase.expect;
  if (out.result !== expect.result) {
    failures.push({ what: 'result', expected: expect.result, actual: out.result });
    if (out.error !== undefined)
      failures.push({ what: 'error', expected: undefined, actual: out.error.issue[0]?.diagnostics });
  }
  for (const [name, expected] of Object.entries(expect.expressions)) {
    if (!(name in full.results) && full.result !== 'error') {
      failures.push({ what: name, expected, actual: '(no such expression in the library)' });
    } else if (!isDeepStrictEqual(full.results[name], expected)) {
      failures.push({ what: name, expected, actual: full.results[name] });
    }
  }
  if (out.skipped === true && full.result === 'fired') {
    failures.push({
      what: 'triggers',
      expected: 'a patient without any trigger resource cannot fire',
      actual: 'the full evaluation fired',
    });
  }
  if (
    out.skipped !== true &&
    (full.result !== out.result || !isDeepStrictEqual(full.missingData, out.missingData))
  ) {
    failures.push({
      what: 'decision first',
      expected: `the full evaluation's ${full.result} ${full.missingData.join(',')}`,
      actual: `${out.result} ${out.missingData.join(',')}`,
    });
  }
  if (expect.missingData !== undefined && !isDeepStrictEqual(out.missingData, expect.missingData)) {
    failures.push({ what: 'missingData', expected: expect.missingData, actual: out.missingData });
  }
  if (expect.cards !== undefined) {
    if (out.cards.length !== expect.cards.length) {
      failures.push({ what: 'cards.length', expected: expect.cards.length, actual: out.cards.length });
    }
    expect.cards.forEach((want, i) => {
      const card = out.cards[i];
      if (card === undefined) return;
      if (want.indicator !== undefined && card.indicator !== want.indicator)
        failures.push({ what: `cards[${i}].indicator`, expected: want.indicator, actual: card.indicator });
      if (want.summary !== undefined && card.summary !== want.summary)
        failures.push({ what: `cards[${i}].summary`, expected: want.summary, actual: card.summary });
      for (const text of want.detailContains ?? []) {
        if (!(card.detail ?? '').includes(text))
          failures.push({
            what: `cards[${i}].detail`,
            expected: `to contain ${JSON.stringify(text)}`,
            actual: card.detail,
          });
      }
      if (want.suggestions !== undefined) {
        const labels = (card.suggestions ?? []).map((s) => s.label);
        if (!isDeepStrictEqual(labels, want.suggestions))
          failures.push({ what: `cards[${i}].suggestions`, expected: want.suggestions, actual: labels });
      }
    });
  }
  return { pass: failures.length === 0, failures, evaluationMs: out.evaluationMs };
}
