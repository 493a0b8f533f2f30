import type { Card } from '../cards/card.js';
import { CardTemplateError, renderCards } from '../cards/card-renderer.js';
import type { Coding } from '../cards/card-template.js';
import { CqlEvaluationError, type ExpressionResults } from '../engine/cql-evaluator.js';
import { toCqlParameters, type ParameterJson } from '../engine/parameter-values.js';
import type { FhirBundle } from '../engine/patient-bundle.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import type { OperationOutcome } from '../errors/operation-outcome.js';
import type { LoadedArtefact } from './knowledge-base.js';

/** The result of one artefact release on one patient: fired, not fired, incomplete (data missing) or error. */
export type ReleaseResult = 'fired' | 'not-fired' | 'incomplete' | 'error';

export interface ReleaseEvaluationInput {
  bundle: FhirBundle;
  /** The evaluation date-time (ISO 8601 with offset). */
  now: string;
  hook: string;
  context: { patientId: string; userId?: string | undefined; encounterId?: string | undefined };
  /** Overrides of the artefact's parameter values (a service's). */
  parameters?: Readonly<Record<string, ParameterJson>>;
  valueSets: ValueSetIndex;
  overrideReasons: readonly Coding[];
  topicSystem: string;
  /** Skip evaluation when the patient holds none of the artefact's triggers (default true). */
  useTriggers?: boolean;
  /**
   * Evaluate the decision (`result.fired`, `result.missingData`) first, and every other expression only
   * when the rule fires (its cards need them). Hooks use this; test cases and the console's "try it",
   * which show every expression, do not (default false). `results` then holds only what was evaluated.
   */
  decisionFirst?: boolean;
}

export interface ReleaseEvaluationOutput {
  result: ReleaseResult;
  missingData: string[];
  results: ExpressionResults;
  cards: Card[];
  error?: OperationOutcome;
  evaluationMs: number;
  /** True when the patient held none of the triggers and the CQL was not evaluated. */
  skipped?: boolean;
}

/**
 * Evaluates one artefact release for one patient and renders its cards: the same path for hook calls,
 * per-artefact test cases and population runs, so that what is tested is what is alerted. Never throws:
 * a failing rule is an `error` result with an OperationOutcome that keeps the CQL location.
 */
export async function evaluateRelease(
  artefact: LoadedArtefact,
  input: ReleaseEvaluationInput,
): Promise<ReleaseEvaluationOutput> {
  const started = performance.now();
  const { definition, release } = artefact;
  if (
    input.useTriggers !== false &&
    artefact.triggerFilter !== undefined &&
    !artefact.triggerFilter.matchesAny(input.bundle)
  ) {
    return {
      result: 'not-fired',
      missingData: [],
      results: {},
      cards: [],
      evaluationMs: performance.now() - started,
      skipped: true,
    };
  }
  try {
    const parameters = toCqlParameters({ ...definition.parameters, ...(input.parameters ?? {}) });
    const fireName = definition.result.fired;
    const results = await artefact.evaluator.evaluate(
      artefact.dataFilter.apply(input.bundle, input.now),
      input.now,
      parameters,
      input.decisionFirst === true
        ? {
            first: [
              fireName,
              ...(definition.result.missingData === undefined ? [] : [definition.result.missingData]),
            ],
            needAll: (values) => values[fireName] === true,
          }
        : undefined,
    );
    const fired = results[definition.result.fired] === true;
    const missing = definition.result.missingData === undefined ? [] : results[definition.result.missingData];
    const missingData = Array.isArray(missing) ? missing.map(String) : [];
    const cards = fired
      ? renderCards({
          templates: definition.cards,
          release,
          source: {
            label: definition.cardSource.label,
            url: definition.cardSource.url,
            topic: { system: input.topicSystem, code: definition.id, display: definition.title },
          },
          results,
          hook: input.hook,
          context: input.context,
          now: input.now,
          // A frozen release suggests codes from the value sets it was released with.
          valueSets: artefact.valueSets ?? input.valueSets,
          defaultOverrideReasons: input.overrideReasons,
        })
      : [];
    return {
      result: fired ? 'fired' : missingData.length > 0 ? 'incomplete' : 'not-fired',
      missingData,
      results,
      cards,
      evaluationMs: performance.now() - started,
    };
  } catch (error) {
    return {
      result: 'error',
      missingData: [],
      results: {},
      cards: [],
      error: ruleFailure(error, `${release.id}@${release.version}`),
      evaluationMs: performance.now() - started,
    };
  }
}

/** The OperationOutcome of a failing rule, with the CQL location kept (house style: AnnotatedError). */
function ruleFailure(error: unknown, release: string): OperationOutcome {
  const where =
    error instanceof CqlEvaluationError
      ? [error.location.library, error.location.expression, error.location.locator]
          .filter((x) => x !== undefined)
          .join(' ')
      : undefined;
  const kind = error instanceof CardTemplateError ? 'card template' : 'evaluation';
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: 'exception',
        diagnostics: `${release}: ${kind} failed${where ? ` at ${where}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      },
    ],
  };
}
