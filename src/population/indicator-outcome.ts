import type { ReleaseResult } from '../knowledge/release-evaluator.js';

/** How an indicator's result for one patient was reached (for the run's statistics, never clinical). */
export type EvaluationPath =
  /** the patient holds none of the artefact's triggers: not fired, CQL not run for the numerator */
  | 'trigger-skip'
  /** decided without CQL: every operand needed was known from a patient with the same key (age, …) */
  | 'shared'
  /** decided by evaluating operands of the denominator and of `result.fired` on slices: not fired */
  | 'operands'
  /** the whole artefact was evaluated through the hooks' release evaluator */
  | 'full';

/** The evidence of a hazard, read from the artefact's evidence expressions (PincerCommon shapes). */
export interface HazardEvidence {
  /** Prescription issues: drug and issue date. */
  drugs: Array<{ drug: string; issued: string }>;
  /** Tests: name and date taken. */
  tests: Array<{ test: string; taken: string }>;
  /** Diagnoses, findings and results: term (or result) and date. */
  events: Array<{ term: string; dated: string }>;
}

/** One indicator for one patient. */
export interface IndicatorOutcome {
  /** Release key, `id@version`. */
  release: string;
  result: ReleaseResult;
  /** The `Denominator` expression; null when the artefact has none (numerator only). */
  inDenominator: boolean | null;
  missingData: string[];
  path: EvaluationPath;
  /** The error's diagnostics when result is `error`. */
  error?: string;
  /** For fired results: the card's summary and detail (Markdown) and the evidence. */
  card?: { summary: string; detail: string };
  evidence?: HazardEvidence;
}

/**
 * Pulls the evidence tuples out of an artefact's results: PincerCommon's "Issue Evidence" (drug, issued),
 * "Test Evidence" (test, taken) and "Event Evidence" (term, dated), wherever they appear (PINCER artefacts
 * expose them in evidence definitions that the card details list). Duplicates are dropped.
 */
export function collectEvidence(results: Record<string, unknown>): HazardEvidence {
  const evidence: HazardEvidence = { drugs: [], tests: [], events: [] };
  const seen = new Set<string>();
  const add = <T>(list: T[], item: T) => {
    const key = JSON.stringify(item);
    if (!seen.has(key)) {
      seen.add(key);
      list.push(item);
    }
  };
  const walk = (value: unknown, depth: number) => {
    if (depth > 8 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    const v = value as Record<string, unknown>;
    if (typeof v['drug'] === 'string' && typeof v['issued'] === 'string')
      add(evidence.drugs, { drug: v['drug'], issued: v['draft'] === true ? 'being ordered' : v['issued'] });
    else if (typeof v['test'] === 'string' && typeof v['taken'] === 'string')
      add(evidence.tests, { test: v['test'], taken: v['taken'] });
    else if (
      typeof v['dated'] === 'string' &&
      (typeof v['term'] === 'string' || typeof v['result'] === 'string')
    )
      add(evidence.events, { term: String(v['term'] ?? v['result']), dated: v['dated'] });
    for (const child of Object.values(v)) walk(child, depth + 1);
  };
  walk(results, 0);
  // Most recent first, as the card details list them.
  evidence.drugs.sort((a, b) => b.issued.localeCompare(a.issued) || a.drug.localeCompare(b.drug));
  evidence.tests.sort((a, b) => b.taken.localeCompare(a.taken) || a.test.localeCompare(b.test));
  evidence.events.sort((a, b) => b.dated.localeCompare(a.dated) || a.term.localeCompare(b.term));
  return evidence;
}
