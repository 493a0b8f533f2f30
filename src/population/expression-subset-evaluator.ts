import cql from 'cql-execution';
import {
  CqlEvaluationError,
  patientContext,
  type ElmLibrary,
  type ExpressionResults,
} from '../engine/cql-evaluator.js';
import { getFhirModel, type FhirModel } from '../engine/fhir-model.js';
import { synchronousCql } from '../engine/synchronous-cql.js';
import type { FhirBundle } from '../engine/patient-bundle.js';
import { toPlainValue } from '../engine/plain-value.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';

/**
 * Evaluates a few named expressions of a library for one patient, in one cql-execution PatientContext
 * (so shared definitions are computed once), with the same ELM, value sets, patient source and FHIR
 * model as the full evaluation. cql-execution's Executor evaluates every definition of a library; a
 * population run needs only the denominator for most patients, and that is a fraction of the work.
 */
export class ExpressionSubsetEvaluator {
  /** The built library: its expression objects can be executed one by one. */
  readonly library: InstanceType<typeof cql.Library>;
  private readonly executionTime: InstanceType<typeof cql.DateTime>;

  constructor(
    /** The built library (the release evaluator's own: see artefact-library.ts). */
    library: InstanceType<typeof cql.Library>,
    private readonly terminology: ValueSetIndex,
    private readonly parameters: Record<string, unknown>,
    /** The evaluation date-time with its offset (ISO 8601). */
    now: string,
    private readonly model: FhirModel = getFhirModel(),
  ) {
    this.library = library;
    const parsed = cql.DateTime.parse(now);
    if (parsed === null) throw new Error(`Not an ISO 8601 date-time: ${now}`);
    this.executionTime = parsed;
  }

  /** The values of `names` for the patient of `bundle`, as plain JSON. Throws CqlEvaluationError. */
  async evaluate(bundle: FhirBundle, names: readonly string[]): Promise<ExpressionResults> {
    const context = this.contextFor(bundle);
    const out: ExpressionResults = {};
    for (const name of names) {
      const expression = (this.library.expressions as Record<string, Executable | undefined>)[name];
      if (expression === undefined) continue;
      out[name] = toPlainValue(await this.run(expression, context, name));
    }
    return out;
  }

  /**
   * The value of one built expression of the library (a definition, or an operand at the root of one)
   * for the patient of `bundle`, as plain JSON. `name` says where it is, for errors.
   */
  async evaluateNode(bundle: FhirBundle, expression: Executable, name: string): Promise<unknown> {
    return toPlainValue(await this.run(expression, this.contextFor(bundle), name));
  }

  /**
   * The same, in a context made by {@link contextFor}: expressions evaluated in one context share the
   * definitions they both use (cql-execution caches a definition's value in its context).
   */
  async evaluateNodeIn(context: EvaluationContext, expression: Executable, name: string): Promise<unknown> {
    return toPlainValue(await this.run(expression, context, name));
  }

  /** A cql-execution patient context over the patient of `bundle`. */
  contextFor(bundle: FhirBundle): EvaluationContext {
    return patientContext(this.library, bundle, {
      engine: synchronousCql(),
      terminology: this.terminology,
      parameters: this.parameters,
      executionTime: this.executionTime,
      model: this.model,
    });
  }

  private async run(
    expression: Executable,
    context: InstanceType<typeof cql.PatientContext>,
    name: string,
  ): Promise<unknown> {
    try {
      return await expression.execute(context);
    } catch (error) {
      throw locate(error, (this.library.source as ElmLibrary).library.identifier.id, name);
    }
  }
}

/** A cql-execution patient context. */
export type EvaluationContext = InstanceType<typeof cql.PatientContext>;

/** A built cql-execution expression. */
export interface Executable {
  execute(context: unknown): Promise<unknown>;
}

function locate(error: unknown, library: string, expression: string): CqlEvaluationError {
  if (error instanceof CqlEvaluationError) return error;
  const e = error as { message?: unknown; locator?: unknown };
  return new CqlEvaluationError(
    typeof e?.message === 'string' ? e.message : String(error),
    { library, expression, ...(typeof e?.locator === 'string' ? { locator: e.locator } : {}) },
    error,
  );
}
