import type { Coding } from '../cards/card-template.js';
import { patientBundle } from '../engine/patient-bundle.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { testCaseEvaluationInput } from './artefact-test-runner.js';
import type { LoadedArtefact } from './knowledge-base.js';
import type { PopulationPatient } from './ndjson-population.js';
import { evaluateRelease, type ReleaseEvaluationInput, type ReleaseResult } from './release-evaluator.js';
import type { ReleaseSubject } from './release-subject.js';
import { sha256Hex } from './release-manifest.js';

/** What one release did for one subject (a test case or a patient). */
export interface BehaviourOutcome {
  result: ReleaseResult;
  /** `indicator: summary` of each card, in order. */
  cards: string[];
}

/** A subject on which the two releases disagree. */
export interface BehaviourDifference {
  /** The test case's name (and file), or the patient's id. */
  subject: string;
  a: BehaviourOutcome;
  b: BehaviourOutcome;
}

/** Two releases run on the same subjects. */
export interface BehaviourComparison {
  compared: number;
  /** Every subject whose result or cards differ. */
  differing: BehaviourDifference[];
  /** Subjects by a's result → b's result, e.g. `fired → not-fired`. */
  transitions: Record<string, number>;
  fired: { a: number; b: number };
}

/** The value sets and override reasons a release falls back on (a frozen release brings its own value sets). */
export interface SharedKnowledge {
  valueSets: ValueSetIndex;
  overrideReasons: readonly Coding[];
}

const TOPIC_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/artefact';

/**
 * Both releases on the test cases of both (a case both carry, byte for byte, runs once), each case
 * evaluated as the test runner does (its `now`, hook, draft orders and parameters).
 */
export async function compareOnTestCases(
  a: ReleaseSubject,
  b: ReleaseSubject,
  shared: SharedKnowledge,
): Promise<BehaviourComparison> {
  const seen = new Set<string>();
  const subjects: Array<{ name: string; input: ReleaseEvaluationInput }> = [];
  for (const s of [a, b]) {
    for (const { file, testCase } of s.cases) {
      const key = sha256Hex(JSON.stringify(testCase));
      if (seen.has(key)) continue;
      seen.add(key);
      subjects.push({
        name: `${testCase.name} (${s.ref}: ${file.split('/').at(-1) ?? file})`,
        input: testCaseEvaluationInput(testCase, shared),
      });
    }
  }
  return compare(a.artefact, b.artefact, subjects);
}

/** Both releases on every patient of a population, at one evaluation time, as at `patient-view`. */
export async function compareOnPopulation(
  a: ReleaseSubject,
  b: ReleaseSubject,
  patients: readonly PopulationPatient[],
  options: SharedKnowledge & { now: string },
): Promise<BehaviourComparison> {
  return compare(
    a.artefact,
    b.artefact,
    patients.map((p) => ({
      name: p.id,
      input: {
        bundle: patientBundle(p.resources),
        now: options.now,
        hook: 'patient-view',
        context: { patientId: p.id },
        valueSets: options.valueSets,
        overrideReasons: options.overrideReasons,
        topicSystem: TOPIC_SYSTEM,
      },
    })),
  );
}

async function compare(
  a: LoadedArtefact,
  b: LoadedArtefact,
  subjects: ReadonlyArray<{ name: string; input: ReleaseEvaluationInput }>,
): Promise<BehaviourComparison> {
  const comparison: BehaviourComparison = {
    compared: 0,
    differing: [],
    transitions: {},
    fired: { a: 0, b: 0 },
  };
  for (const { name, input } of subjects) {
    const outA = outcome(await evaluateRelease(a, input));
    const outB = outcome(await evaluateRelease(b, input));
    comparison.compared += 1;
    if (outA.result === 'fired') comparison.fired.a += 1;
    if (outB.result === 'fired') comparison.fired.b += 1;
    const transition = `${outA.result} → ${outB.result}`;
    comparison.transitions[transition] = (comparison.transitions[transition] ?? 0) + 1;
    if (outA.result !== outB.result || outA.cards.join('\n') !== outB.cards.join('\n'))
      comparison.differing.push({ subject: name, a: outA, b: outB });
  }
  return comparison;
}

function outcome(out: Awaited<ReturnType<typeof evaluateRelease>>): BehaviourOutcome {
  return { result: out.result, cards: out.cards.map((c) => `${c.indicator}: ${c.summary}`) };
}
