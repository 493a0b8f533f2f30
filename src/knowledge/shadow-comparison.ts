import type { EvaluationResult, HookCallRecord } from '../outcomes/outcome-recorder.js';

/**
 * One recorded hook call, as much of it as the comparison needs. Both the hook path's `HookCallRecord`
 * (MemoryOutcomeRecorder) and the store's `HookCallEntry` (`OutcomeStore.listHookCalls`) have this shape
 * after {@link fromHookCallRecord} / a mapping of `evaluatedAt` and `patientPseudonym`.
 */
export interface RecordedCall {
  hookInstance: string;
  at: string;
  /** The patient id (in memory) or its pseudonym (in the store). */
  patient: string;
  evaluations: ReadonlyArray<{
    release: string;
    role: 'active' | 'shadow';
    result: EvaluationResult;
    cards: ReadonlyArray<{ indicator: string; summary: string }>;
  }>;
}

/** A recorded call on which the two releases disagreed. */
export interface RecordedDifference {
  hookInstance: string;
  at: string;
  patient: string;
  a: { result: EvaluationResult; cards: string[] };
  b: { result: EvaluationResult; cards: string[] };
}

export interface RecordedComparison {
  a: string;
  b: string;
  /** Calls that evaluated both releases (active and shadow on the same data and `now`). */
  compared: number;
  differing: RecordedDifference[];
  /** Calls by a's result → b's result. */
  transitions: Record<string, number>;
}

export function fromHookCallRecord(record: HookCallRecord): RecordedCall {
  return {
    hookInstance: record.hookInstance,
    at: record.at,
    patient: record.patientId,
    evaluations: record.evaluations,
  };
}

/**
 * The comparison of `knowledge diff` for a shadow release, from the outcome store instead of a
 * population: on every recorded call that evaluated both releases (typically the active one and its
 * shadow), whether they agreed, and every call on which they did not. The same question as
 * `OutcomeStore.comparisons()` answers in aggregate, here call by call.
 */
export function compareRecordedCalls(
  calls: Iterable<RecordedCall>,
  a: string,
  b: string,
): RecordedComparison {
  const out: RecordedComparison = { a, b, compared: 0, differing: [], transitions: {} };
  for (const call of calls) {
    const ea = call.evaluations.find((e) => e.release === a);
    const eb = call.evaluations.find((e) => e.release === b);
    if (ea === undefined || eb === undefined) continue;
    out.compared += 1;
    const key = `${ea.result} → ${eb.result}`;
    out.transitions[key] = (out.transitions[key] ?? 0) + 1;
    const cardsA = ea.cards.map((c) => `${c.indicator}: ${c.summary}`);
    const cardsB = eb.cards.map((c) => `${c.indicator}: ${c.summary}`);
    if (ea.result !== eb.result || cardsA.join('\n') !== cardsB.join('\n'))
      out.differing.push({
        hookInstance: call.hookInstance,
        at: call.at,
        patient: call.patient,
        a: { result: ea.result, cards: cardsA },
        b: { result: eb.result, cards: cardsB },
      });
  }
  return out;
}
