import cqlfhir from 'cql-exec-fhir';

/**
 * The FHIR 4.0.1 model info, parsed once per process. `PatientSource.FHIRv401()` re-parses 760 KB of
 * XML on every call (~110 ms); sharing the parsed model cuts a hook's evaluation about 8× (design.md §3).
 */
export interface FhirModel {
  readonly modelInfo: unknown;
  /** The cql-exec-fhir Patient class, used to build patients over an indexed bundle. */
  readonly patientPrototype: object;
}

let shared: FhirModel | undefined;

export function getFhirModel(): FhirModel {
  if (shared === undefined) {
    const source = cqlfhir.PatientSource.FHIRv401() as unknown as {
      _modelInfo: unknown;
      loadBundles(b: unknown[]): void;
      currentPatient(): object;
    };
    // Build one throw-away patient to reach cql-exec-fhir's Patient class, which it does not export.
    source.loadBundles([{ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'x' } }] }]);
    shared = Object.freeze({
      modelInfo: source._modelInfo,
      patientPrototype: Object.getPrototypeOf(source.currentPatient()) as object,
    });
  }
  return shared;
}
