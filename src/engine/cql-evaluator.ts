import cql from 'cql-execution';
import { getFhirModel, type FhirModel } from './fhir-model.js';
import { IndexedPatientSource } from './indexed-patient-source.js';
import type { FhirBundle } from './patient-bundle.js';
import { toPlainValue } from './plain-value.js';
import { synchronousCql, type CqlEngine } from './synchronous-cql.js';
import type { ValueSetIndex } from './value-set-index.js';

/** An ELM library as the translator writes it: `{ library: { identifier: { id, version }, … } }`. */
export interface ElmLibrary {
  library: { identifier: { id: string; version?: string }; [key: string]: unknown };
}

/** The outcome of evaluating one library for one patient: every expression, as plain values. */
export type ExpressionResults = Record<string, unknown>;

/** Where a CQL run-time error happened, as cql-execution's AnnotatedError reports it. */
export interface CqlErrorLocation {
  library?: string;
  expression?: string;
  locator?: string;
}

/** A run-time error in CQL, with the library, expression and locator kept for the OperationOutcome. */
export class CqlEvaluationError extends Error {
  constructor(
    message: string,
    readonly location: CqlErrorLocation,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'CqlEvaluationError';
  }
}

/**
 * Evaluates one compiled library against one patient's data. Built once per library release (the ELM
 * is turned into a cql-execution Library once); `evaluate` is safe to call concurrently, since each call
 * gets its own Executor and patient source.
 */
export class CqlEvaluator {
  private readonly library: InstanceType<typeof cql.Library>;

  /**
   * @param engine cql-execution as loopcds runs it, synchronously (synchronous-cql.ts); the installed,
   *   asynchronous module gives the same results more slowly (the parity test compares them)
   */
  constructor(
    main: ElmLibrary,
    includes: readonly ElmLibrary[],
    private readonly terminology: ValueSetIndex,
    private readonly model: FhirModel = getFhirModel(),
    private readonly engine: CqlEngine = synchronousCql(),
  ) {
    const repository: Record<string, ElmLibrary> = {};
    for (const lib of includes)
      repository[`${lib.library.identifier.id}|${lib.library.identifier.version ?? ''}`] = lib;
    this.library = new engine.Library(main, new engine.Repository(repository));
  }

  /**
   * @param bundle one patient's resources, the Patient among them
   * @param now the evaluation date-time with its offset (ISO 8601), the value of `Now()`
   * @param parameters CQL parameter values by name
   * @param decide when given, only these expressions are evaluated first, and the rest of the library
   *   only when `needAll` says so on their values (in the same context: definitions computed for the
   *   first are not computed again). A hook needs every expression only for the rule that fires (its
   *   card shows the evidence); for the others, the decision and the missing data are enough.
   */
  async evaluate(
    bundle: FhirBundle,
    now: string,
    parameters: Record<string, unknown> = {},
    decide?: { first: readonly string[]; needAll(values: ExpressionResults): boolean },
  ): Promise<ExpressionResults> {
    const executionTime = cql.DateTime.parse(now);
    if (executionTime === null) throw new Error(`Not an ISO 8601 date-time: ${now}`);
    // What cql-execution's Executor.exec_patient_context does for one patient, in an order we choose.
    const context = patientContext(this.library, bundle, {
      engine: this.engine,
      terminology: this.terminology,
      parameters,
      executionTime,
      model: this.model,
    });
    const expressions = this.library.expressions as Record<string, PatientExpression | undefined>;
    const plain: ExpressionResults = {};
    const run = async (name: string) => {
      const expression = expressions[name];
      if (expression === undefined || expression.context !== 'Patient' || name in plain) return;
      try {
        plain[name] = toPlainValue(await expression.execute(context));
      } catch (error) {
        throw toEvaluationError(error);
      }
    };
    if (decide !== undefined) {
      for (const name of decide.first) await run(name);
      if (!decide.needAll(plain)) return plain;
    }
    const names = Object.keys(expressions);
    for (const name of names) await run(name);
    if (decide === undefined) return plain;
    // In the library's order, as a full evaluation gives them (reports and the console list them so).
    const ordered: ExpressionResults = {};
    for (const name of names) if (name in plain) ordered[name] = plain[name];
    return ordered;
  }
}

/**
 * A cql-execution patient context for the patient of `bundle` (over an IndexedPatientSource): expressions
 * executed in it share the definitions they both use, which cql-execution caches in the context.
 */
export function patientContext(
  library: InstanceType<typeof cql.Library>,
  bundle: FhirBundle,
  options: {
    /** The engine that built `library`. */
    engine: CqlEngine;
    terminology: ValueSetIndex;
    parameters: Record<string, unknown>;
    executionTime: InstanceType<typeof cql.DateTime>;
    model: FhirModel;
  },
): InstanceType<typeof cql.PatientContext> {
  const patient = new IndexedPatientSource(bundle, options.model).currentPatient();
  if (patient === undefined) throw new CqlEvaluationError('The bundle holds no Patient resource', {});
  return new options.engine.PatientContext(
    library,
    patient as InstanceType<typeof cql.Patient>,
    options.terminology,
    options.parameters,
    options.executionTime,
  );
}

/** A built definition of a cql-execution library. */
interface PatientExpression {
  context: string;
  execute(context: unknown): Promise<unknown>;
}

function toEvaluationError(error: unknown): CqlEvaluationError {
  if (error instanceof CqlEvaluationError) return error;
  const e = error as {
    message?: unknown;
    libraryName?: unknown;
    expressionName?: unknown;
    localId?: unknown;
    locator?: unknown;
  };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const location: CqlErrorLocation = {};
  if (typeof e?.libraryName === 'string') location.library = e.libraryName;
  if (typeof e?.expressionName === 'string') location.expression = e.expressionName;
  if (typeof e?.locator === 'string') location.locator = e.locator;
  return new CqlEvaluationError(message, location, error);
}
