import type { FhirResource } from '../engine/patient-bundle.js';

/**
 * Resolves `medicationReference` to a code: CQL value-set tests read `medicationCodeableConcept`, so a
 * MedicationRequest (or MedicationStatement / MedicationDispense / MedicationAdministration) that names
 * its drug by reference gets the referenced Medication's `code` copied in (FHIR R4 medication[x] is a
 * choice: the reference is replaced, and kept in an extension for the evidence trail).
 */
export const RESOLVED_FROM_EXTENSION =
  'https://loopcds.org/fhir/StructureDefinition/medication-resolved-from';

/** The resource types that name their drug in medication[x]. */
export const MEDICATION_USERS: ReadonlySet<string> = new Set([
  'MedicationRequest',
  'MedicationStatement',
  'MedicationDispense',
  'MedicationAdministration',
]);

export interface MedicationLookup {
  /** Medications known by `Medication/<id>` (from prefetch, the record or a fetch). */
  byReference: ReadonlyMap<string, FhirResource>;
}

/** The references (`Medication/<id>`) that are neither contained nor in `known`: these must be fetched. */
export function unresolvedMedicationReferences(
  resources: readonly FhirResource[],
  known: ReadonlyMap<string, FhirResource>,
): string[] {
  const missing = new Set<string>();
  for (const r of resources) {
    const ref = referenceOf(r);
    if (ref === undefined || ref.startsWith('#')) continue;
    const key = relativeReference(ref);
    if (key !== undefined && !known.has(key)) missing.add(key);
  }
  return [...missing];
}

/** Returns copies of the resources with every resolvable `medicationReference` turned into a code. */
export function resolveMedications(
  resources: readonly FhirResource[],
  lookup: MedicationLookup,
): FhirResource[] {
  return resources.map((r) => {
    const ref = referenceOf(r);
    if (ref === undefined) return r;
    const medication = ref.startsWith('#')
      ? containedMedication(r, ref.slice(1))
      : lookup.byReference.get(relativeReference(ref) ?? '');
    const code = medication?.['code'];
    if (code === undefined || code === null) return r;
    const rest: FhirResource = { ...r };
    delete rest['medicationReference'];
    const extensions = Array.isArray(r['extension']) ? (r['extension'] as unknown[]) : [];
    return {
      ...rest,
      medicationCodeableConcept: code,
      extension: [...extensions, { url: RESOLVED_FROM_EXTENSION, valueReference: { reference: ref } }],
    };
  });
}

function referenceOf(r: FhirResource): string | undefined {
  if (!MEDICATION_USERS.has(r.resourceType)) return undefined;
  const ref = (r['medicationReference'] as { reference?: unknown } | undefined)?.reference;
  return typeof ref === 'string' && ref !== '' ? ref : undefined;
}

function containedMedication(r: FhirResource, id: string): FhirResource | undefined {
  const contained = r['contained'];
  if (!Array.isArray(contained)) return undefined;
  return (contained as FhirResource[]).find((c) => c?.resourceType === 'Medication' && c.id === id);
}

/** `Medication/123` from a relative or absolute reference (`https://ehr/fhir/Medication/123`). */
export function relativeReference(ref: string): string | undefined {
  const match = /(?:^|\/)(Medication\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return match?.[1];
}
