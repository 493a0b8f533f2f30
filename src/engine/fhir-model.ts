import cqlfhir from 'cql-exec-fhir';

/**
 * The FHIR 4.0.1 model info, parsed once per process. `PatientSource.FHIRv401()` re-parses 760 KB of
 * XML on every call (~110 ms); sharing the parsed model cuts a hook's evaluation about 8× (design.md §3).
 */
export interface FhirModel {
  readonly modelInfo: unknown;
  /** cql-exec-fhir's FHIRObject class, which wraps every record a retrieve returns. */
  readonly FhirObject: FhirObjectClass;
}

/** `new FhirObject(json, classInfo, modelInfo)`. */
export type FhirObjectClass = new (json: unknown, classInfo: unknown, modelInfo: unknown) => object;

let shared: FhirModel | undefined;

export function getFhirModel(): FhirModel {
  if (shared === undefined) {
    const source = cqlfhir.PatientSource.FHIRv401() as unknown as {
      _modelInfo: unknown;
      loadBundles(b: unknown[]): void;
      currentPatient(): object;
    };
    // Build one throw-away patient to reach cql-exec-fhir's FHIRObject class (its Patient's parent),
    // which it does not export.
    source.loadBundles([
      { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'x' } }] },
    ]);
    const patientPrototype = Object.getPrototypeOf(source.currentPatient()) as object;
    const fhirObjectPrototype = Object.getPrototypeOf(patientPrototype) as FhirObjectPrototype & {
      constructor: FhirObjectClass;
    };
    memoiseModelLookups(source._modelInfo as ModelInfoLike, fhirObjectPrototype);
    shared = Object.freeze({ modelInfo: source._modelInfo, FhirObject: fhirObjectPrototype.constructor });
  }
  return shared;
}

interface ModelInfoLike {
  findClass(name: string): unknown;
}

interface FhirObjectPrototype {
  _typeHierarchy(this: { getTypeInfo(): object | undefined }): unknown[];
  get(this: object, field: string): unknown;
}

/**
 * The own, non-enumerable property holding an object's element values once read. Not a symbol: the
 * immutable.js sequences that cql-execution builds for equality and `distinct` read own symbols too.
 */
const ELEMENT_CACHE = '_loopcdsElements';

/**
 * cql-exec-fhir recomputes two pure functions of the (immutable) model info on every use: the class for a
 * type name (`findClass`, string manipulation on a miss), and an object's type hierarchy (every `is` / `as`
 * on a choice element rebuilds it). Profiling a 300-resource patient showed them among the top costs, so
 * both are memoised, once, for the process. Results are shared read-only arrays and objects.
 */
function memoiseModelLookups(modelInfo: ModelInfoLike, fhirObject: FhirObjectPrototype): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(modelInfo)
  const original = modelInfo.findClass;
  const findClass = (name: string): unknown => original.call(modelInfo, name);
  const classes = new Map<string, unknown>();
  modelInfo.findClass = (name: string) => {
    if (!classes.has(name)) classes.set(name, findClass(name));
    return classes.get(name);
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this)
  const typeHierarchy = fhirObject._typeHierarchy;
  const hierarchies = new WeakMap<object, unknown[]>();
  fhirObject._typeHierarchy = function memoisedTypeHierarchy(this: { getTypeInfo(): object | undefined }) {
    const typeInfo = this.getTypeInfo();
    if (typeInfo === undefined || typeInfo === null) return typeHierarchy.call(this);
    let hierarchy = hierarchies.get(typeInfo);
    if (hierarchy === undefined) {
      hierarchy = typeHierarchy.call(this);
      hierarchies.set(typeInfo, hierarchy);
    }
    return hierarchy;
  };
  // Every `get` of an element builds a new wrapper (or parses a date with luxon) from the same immutable
  // JSON; CQL reads the same elements of the same resource many times (each definition, each `where`,
  // each FHIRHelpers conversion). An object remembers what it has read: same JSON, same value.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this)
  const get = fhirObject.get;
  fhirObject.get = function memoisedGet(this: { [ELEMENT_CACHE]?: Map<string, unknown> }, field: string) {
    let cache = this[ELEMENT_CACHE];
    if (cache === undefined) {
      cache = new Map();
      Object.defineProperty(this, ELEMENT_CACHE, { value: cache, enumerable: false });
    } else if (cache.has(field)) return cache.get(field);
    const value = get.call(this, field);
    cache.set(field, value);
    return value;
  };
}
