import type { DataRequirement } from '../engine/data-requirements.js';
import { toCqlParameters } from '../engine/parameter-values.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import type { LoadedArtefact } from '../knowledge/knowledge-base.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { builtLibraryOf } from './artefact-library.js';
import { ElmAnalysis, type ExpressionReads } from './elm-analysis.js';
import { ExpressionSubsetEvaluator, type Executable } from './expression-subset-evaluator.js';
import { PatientKeyMaker } from './patient-key.js';
import type { PatientRecord } from './patient-record.js';
import { RequirementMatcher } from './requirement-matcher.js';

/**
 * The name of the expression that PINCER artefacts (and any artefact that wants population rates) define
 * for the denominator. The numerator is the artefact's `result.fired`. An artefact without it is reported
 * with its numerator only.
 */
export const DENOMINATOR_EXPRESSION = 'Denominator';

/** An expression evaluated on its own slice of the record, its value shared between like patients. */
export interface SliceExpression {
  /** Where it is, for errors: `Denominator`, or `Denominator (operand 2 of "Aged 75 Or Over")`. */
  label: string;
  /** This operand is a reference to `Denominator` (its value is known once the denominator is). */
  isDenominator: boolean;
  built: Executable;
  /** Resource types it retrieves: the slice of the record it sees. */
  sliceTypes: ReadonlySet<string>;
  keys: PatientKeyMaker;
  /** Values for patients whose slice is their Patient alone, by patient key. */
  shared: Map<string, unknown>;
}

/** What the population evaluator knows about one artefact release, worked out once per run. */
export interface ArtefactPlan {
  artefact: LoadedArtefact;
  key: string;
  /** The artefact's data requirements and triggers, as fast matchers (the release evaluator's decisions). */
  data: RequirementMatcher;
  triggers?: RequirementMatcher;
  /** The types a full evaluation can read: those of the data requirements and the triggers. */
  fullTypes: ReadonlySet<string>;
  /** Evaluates operands and expressions of the artefact's library on slices of a record. */
  evaluator: ExpressionSubsetEvaluator;
  /** Evaluation of the denominator alone; absent when the artefact has no `Denominator`. */
  denominator?: {
    /** The operands of the denominator's root `and`, each on its own slice. */
    conjuncts: SliceExpression[];
  };
  /** `result.fired` can only be true inside the denominator (checked on the ELM). */
  firedImpliesDenominator: boolean;
  /**
   * The operands of `result.fired`'s root `and` (a reference to `Denominator` kept whole), each on its own
   * slice: when one is not true the rule has not fired, and the full evaluation (cards) is not needed.
   */
  fired: SliceExpression[];
  /** The artefact's missing-data expression, when it has one. */
  missing?: SliceExpression;
}

/** Builds the plan of a release: which expressions to evaluate for the denominator, on what. */
export function planArtefact(
  artefact: LoadedArtefact,
  knowledgeValueSets: ValueSetIndex,
  now: string,
): ArtefactPlan {
  const { definition, release } = artefact;
  const key = `${release.id}@${release.version}`;
  // A frozen release carries its own value sets (knowledge/releases); a working copy uses the shared ones.
  const valueSets = artefact.valueSets ?? knowledgeValueSets;
  const { library, main, includes } = builtLibraryOf(artefact);
  const analysis = new ElmAnalysis(main, includes);
  // The data filter with its date windows at the run's `now`, as the release evaluator applies it.
  const data = new RequirementMatcher(definition.dataRequirements as DataRequirement[], valueSets, true, now);
  const triggers =
    definition.triggers === undefined
      ? undefined
      : new RequirementMatcher(definition.triggers as DataRequirement[], valueSets, false);
  const matchers = {
    data,
    ...(triggers === undefined ? {} : { triggers }),
    fullTypes: new Set([...data.types, ...(triggers?.types ?? [])]),
  };
  const evaluator = new ExpressionSubsetEvaluator(
    library,
    valueSets,
    toCqlParameters(definition.parameters),
    now,
  );
  const today = localDate(now);
  const expressions = evaluator.library.expressions as Record<string, { expression: unknown }>;
  const operands = (name: string, opaque: ReadonlySet<string>): SliceExpression[] =>
    analysis.conjuncts(name, opaque).map(({ node, definition: def, path }) => {
      let built = expressions[def]!.expression as { args?: unknown[] };
      for (const i of path) built = built.args![i] as { args?: unknown[] };
      const where = path.length === 0 ? `"${def}"` : `operand ${path.join('.')} of "${def}"`;
      const isDenominator =
        node['type'] === 'ExpressionRef' &&
        node['libraryName'] === undefined &&
        node['name'] === DENOMINATOR_EXPRESSION;
      return slice(
        `${name} (${where})`,
        built as Executable,
        analysis.readsOfNode(node),
        today,
        isDenominator,
      );
    });
  const hasDenominator = analysis.defines(DENOMINATOR_EXPRESSION);
  const missingName = definition.result.missingData;
  const missing =
    missingName !== undefined && analysis.defines(missingName)
      ? slice(
          missingName,
          expressions[missingName] as unknown as Executable,
          analysis.reads([missingName]),
          today,
          false,
        )
      : undefined;
  return {
    artefact,
    key,
    ...matchers,
    evaluator,
    ...(hasDenominator ? { denominator: { conjuncts: operands(DENOMINATOR_EXPRESSION, new Set()) } } : {}),
    firedImpliesDenominator:
      hasDenominator && analysis.implies(definition.result.fired, DENOMINATOR_EXPRESSION),
    fired: analysis.defines(definition.result.fired)
      ? operands(definition.result.fired, new Set([DENOMINATOR_EXPRESSION]))
      : [],
    ...(missing === undefined ? {} : { missing }),
  };
}

function slice(
  label: string,
  built: Executable,
  reads: ExpressionReads,
  today: string,
  isDenominator: boolean,
): SliceExpression {
  return {
    label,
    isDenominator,
    built,
    sliceTypes: reads.resourceTypes,
    keys: new PatientKeyMaker(reads, today),
    shared: new Map(),
  };
}

/** The part of a record an expression reads: the Patient, and what the data filter keeps of its types. */
export function sliceOf(
  plan: ArtefactPlan,
  expression: SliceExpression,
  record: PatientRecord,
): FhirResource[] {
  const slice = [record.patient];
  for (const type of expression.sliceTypes) slice.push(...record.accepted(plan.data, type));
  return slice;
}

/** Whether the record holds a resource the artefact's triggers accept (the release evaluator's rule). */
export function triggered(plan: ArtefactPlan, record: PatientRecord): boolean {
  const matcher = plan.triggers;
  if (matcher === undefined) return true;
  for (const type of matcher.types) if (record.accepted(matcher, type).length > 0) return true;
  return false;
}

/** `YYYY-MM-DD` of an ISO date-time as written (its own offset): the CQL `Today()` of that `now`. */
export function localDate(now: string): string {
  return now.slice(0, 10);
}
