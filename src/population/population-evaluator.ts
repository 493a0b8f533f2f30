import { CqlEvaluationError } from '../engine/cql-evaluator.js';
import { patientBundle, type FhirResource } from '../engine/patient-bundle.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { evaluateRelease, type ReleaseEvaluationOutput } from '../knowledge/release-evaluator.js';
import {
  DENOMINATOR_EXPRESSION,
  planArtefact,
  sliceOf,
  triggered,
  type ArtefactPlan,
  type SliceExpression,
} from './artefact-plan.js';
import { evaluableReleases } from './artefact-library.js';
import { collectEvidence, type EvaluationPath, type IndicatorOutcome } from './indicator-outcome.js';
import type { PatientRecord } from './patient-record.js';
import type { EvaluationContext } from './expression-subset-evaluator.js';

/** The topic system of card sources, as the hooks write it. */
const TOPIC_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/artefact';

export interface PopulationEvaluatorOptions {
  knowledge: KnowledgeBase;
  /** The releases evaluated, `id@version`. */
  releases: readonly string[];
  /** The evaluation date-time with its offset: the run's index date at noon, local time. */
  now: string;
  /**
   * Also evaluate every patient in full through the hooks' path and throw when a shortcut (triggers,
   * shared denominators, operands evaluation) gave a different result. For tests.
   */
  verify?: boolean;
}

/**
 * Evaluates the chosen artefact releases for one patient after another, with the `patient-view` hook's
 * semantics (no draft orders) and a fixed `now`, as a worker thread does for its partitions. The result
 * of each release is what the hooks' release evaluator returns for that patient; the work is cut by:
 * 1. the artefact's triggers: a patient holding none is "not fired" (the release evaluator's own rule);
 * 2. the operands of the root `and` of `Denominator` and of `result.fired` (found in the ELM, through
 *    definitions) are evaluated one by one, each on the resource types it retrieves, until one is not
 *    true: a patient outside the denominator, or in it but without the hazard, needs only that (and the
 *    missing-data expression); only a patient for whom the rule fires is evaluated in full;
 * 3. an operand whose slice holds only the Patient resource takes the value it had for an earlier patient
 *    with the same key (the Patient elements it reads; the age in years for the birth date): "aged 75 or
 *    over" is decided once per age, not once per patient.
 * Everyone else (the denominator patients) is evaluated in full by `evaluateRelease`, which renders the
 * cards whose text and evidence go into the pharmacist's action list.
 */
export class PopulationEvaluator {
  private readonly plans: ArtefactPlan[];
  /** How many results were reached by each path, for the run's statistics. */
  readonly paths: Record<EvaluationPath, number> = {
    'trigger-skip': 0,
    shared: 0,
    operands: 0,
    full: 0,
  };

  /** Results and time spent, by release and path (`pincer-a@1.0.0 full`), for the run's statistics. */
  readonly timings: Record<string, { count: number; ms: number }> = {};

  constructor(private readonly options: PopulationEvaluatorOptions) {
    const evaluable = evaluableReleases(options.knowledge);
    this.plans = options.releases.map((key) => {
      const artefact = evaluable.get(key);
      if (artefact === undefined) throw new Error(`No artefact release ${key} in the knowledge base`);
      return planArtefact(artefact, options.knowledge.valueSets, options.now);
    });
  }

  /** The releases, in evaluation order. */
  get releases(): readonly string[] {
    return this.plans.map((p) => p.key);
  }

  /** Evaluates every release for one patient. */
  async evaluatePatient(record: PatientRecord): Promise<IndicatorOutcome[]> {
    const outcomes: IndicatorOutcome[] = [];
    for (let i = 0; i < this.plans.length; i++) {
      const plan = this.plans[i]!;
      const started = performance.now();
      const outcome = await this.evaluateOne(plan, record);
      this.paths[outcome.path]++;
      const t = (this.timings[`${plan.key} ${outcome.path}`] ??= { count: 0, ms: 0 });
      t.count++;
      t.ms += performance.now() - started;
      if (this.options.verify === true) await this.verify(plan, record.all(), outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async evaluateOne(plan: ArtefactPlan, record: PatientRecord): Promise<IndicatorOutcome> {
    const isTriggered = triggered(plan, record);
    let inDenominator: boolean | null = null;
    let evaluated = false;
    try {
      if (plan.denominator !== undefined) {
        const found = await this.allTrue(plan, plan.denominator.conjuncts, record, null);
        inDenominator = found.value;
        evaluated = found.evaluated;
      }
      if (!isTriggered) {
        // The release evaluator's rule: no trigger, not fired, nothing missing.
        return {
          release: plan.key,
          result: 'not-fired',
          inDenominator,
          missingData: [],
          path: 'trigger-skip',
        };
      }
      const fired = await this.allTrue(plan, plan.fired, record, inDenominator);
      evaluated ||= fired.evaluated;
      if (!fired.value) {
        const missing =
          plan.missing === undefined ? undefined : await this.valueOf(plan, plan.missing, record);
        evaluated ||= missing?.evaluated ?? false;
        const value = missing?.value ?? [];
        const missingData = Array.isArray(value) ? value.map(String) : [];
        return {
          release: plan.key,
          result: missingData.length > 0 ? 'incomplete' : 'not-fired',
          inDenominator,
          missingData,
          path: evaluated ? 'operands' : 'shared',
        };
      }
    } catch (error) {
      return errorOutcome(plan, error, isTriggered ? 'full' : 'trigger-skip');
    }
    // Fired: the hooks' own evaluation, for the card whose text and evidence go into the action list.
    const resources = [record.patient, ...record.resourcesOf(plan.fullTypes)];
    return toOutcome(plan, await this.evaluateFully(plan, resources), 'full');
  }

  /**
   * Whether every operand of an `and` is true (CQL three-valued logic: one false or null operand and the
   * whole is not true), operands decided by the Patient alone first, stopping at the first that is not.
   * A reference to `Denominator` takes the denominator's value when it is known.
   */
  private async allTrue(
    plan: ArtefactPlan,
    operands: readonly SliceExpression[],
    record: PatientRecord,
    denominator: boolean | null,
  ): Promise<{ value: boolean; evaluated: boolean }> {
    const slices = operands.map((c) =>
      c.isDenominator && denominator !== null ? [] : sliceOf(plan, c, record),
    );
    const order = operands.map((_, i) => i).sort((a, b) => slices[a]!.length - slices[b]!.length);
    let evaluated = false;
    for (const i of order) {
      const operand = operands[i]!;
      if (operand.isDenominator && denominator !== null) {
        if (!denominator) return { value: false, evaluated };
        continue;
      }
      const found = await this.valueOf(plan, operand, record, slices[i]);
      evaluated ||= found.evaluated;
      if (found.value !== true) return { value: false, evaluated };
    }
    return { value: operands.length > 0, evaluated };
  }

  /** An expression's value on its slice: shared when the slice is the Patient alone, else evaluated. */
  private async valueOf(
    plan: ArtefactPlan,
    expression: SliceExpression,
    record: PatientRecord,
    slice = sliceOf(plan, expression, record),
  ): Promise<{ value: unknown; evaluated: boolean }> {
    const key = slice.length === 1 ? expression.keys.keyOf(record.patient) : undefined;
    if (key !== undefined && expression.shared.has(key))
      return { value: expression.shared.get(key), evaluated: false };
    // Operands on the same slice share one context, and so the definitions they both use.
    const contextKey = `${plan.key}|${[...expression.sliceTypes].sort().join(',')}`;
    let context = record.scratch.get(contextKey) as EvaluationContext | undefined;
    if (context === undefined) {
      context = plan.evaluator.contextFor(patientBundle(slice));
      record.scratch.set(contextKey, context);
    }
    const value = await plan.evaluator.evaluateNodeIn(context, expression.built, expression.label);
    if (key !== undefined) expression.shared.set(key, value);
    return { value, evaluated: true };
  }

  private evaluateFully(
    plan: ArtefactPlan,
    resources: FhirResource[],
    useTriggers = false,
  ): Promise<ReleaseEvaluationOutput> {
    const patientId = resources[0]?.id ?? '';
    return evaluateRelease(plan.artefact, {
      bundle: patientBundle(resources),
      now: this.options.now,
      hook: 'patient-view',
      context: { patientId },
      valueSets: plan.artefact.valueSets ?? this.options.knowledge.valueSets,
      overrideReasons: this.options.knowledge.overrideReasons,
      topicSystem: TOPIC_SYSTEM,
      useTriggers,
    });
  }

  /** Compares a result with the hooks' own: the result with triggers, the denominator without. */
  private async verify(
    plan: ArtefactPlan,
    resources: FhirResource[],
    outcome: IndicatorOutcome,
  ): Promise<void> {
    const hook = toOutcome(plan, await this.evaluateFully(plan, resources, true), 'full');
    const full = toOutcome(plan, await this.evaluateFully(plan, resources, false), 'full');
    const same =
      hook.result === outcome.result &&
      full.inDenominator === outcome.inDenominator &&
      JSON.stringify(hook.missingData) === JSON.stringify(outcome.missingData);
    if (!same) {
      throw new Error(
        `${plan.key} on Patient/${resources[0]?.id ?? '?'}: the ${outcome.path} path gave ` +
          `${outcome.result}/${String(outcome.inDenominator)}/${outcome.missingData.join(',')}, the hooks' ` +
          `evaluation ${hook.result}/${String(full.inDenominator)}/${hook.missingData.join(',')}`,
      );
    }
  }
}

function toOutcome(
  plan: ArtefactPlan,
  output: ReleaseEvaluationOutput,
  path: EvaluationPath,
): IndicatorOutcome {
  if (output.result === 'error') {
    return {
      release: plan.key,
      result: 'error',
      inDenominator: null,
      missingData: [],
      path,
      error: output.error?.issue.map((i) => i.diagnostics ?? i.code).join('; ') ?? 'evaluation failed',
    };
  }
  const denominator = output.results[DENOMINATOR_EXPRESSION];
  const card = output.cards[0];
  return {
    release: plan.key,
    result: output.result,
    inDenominator: plan.denominator === undefined ? null : denominator === true,
    missingData: output.missingData,
    path,
    ...(output.result === 'fired'
      ? {
          card: { summary: card?.summary ?? '', detail: card?.detail ?? '' },
          evidence: collectEvidence(output.results),
        }
      : {}),
  };
}

function errorOutcome(plan: ArtefactPlan, error: unknown, path: EvaluationPath): IndicatorOutcome {
  const where =
    error instanceof CqlEvaluationError
      ? [error.location.library, error.location.expression].filter((x) => x !== undefined).join(' ')
      : '';
  return {
    release: plan.key,
    result: 'error',
    inDenominator: null,
    missingData: [],
    path,
    error: `${plan.key}: evaluation failed${where ? ` at ${where}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
  };
}
