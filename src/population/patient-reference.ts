import type { FhirResource } from '../engine/patient-bundle.js';

/** FHIR R4 ids: [A-Za-z0-9\-.]{1,64} (http://hl7.org/fhir/R4/datatypes.html#id). */
const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The elements that link a resource to its patient (the Patient compartment: subject, or patient). */
const LINKS = ['subject', 'patient'] as const;

/** The id in a reference to a Patient (`Patient/123`, `https://ehr/fhir/Patient/123/_history/2`), else undefined. */
export function patientIdIn(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  return PATIENT_REFERENCE.exec(reference)?.[1];
}

/**
 * The patient a resource belongs to: the Patient's own id, or the Patient its `subject` (or, for types
 * such as AllergyIntolerance and Immunization, `patient`) references. Undefined for resources outside
 * the Patient compartment or referring to a group.
 */
export function patientIdOf(resource: FhirResource): string | undefined {
  if (resource.resourceType === 'Patient') return typeof resource.id === 'string' ? resource.id : undefined;
  for (const link of LINKS) {
    const id = patientIdIn((resource[link] as { reference?: unknown } | undefined)?.reference);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The practice a Patient is registered with: the first Organization in `generalPractitioner`. */
export function practiceIdOf(patient: FhirResource): string | undefined {
  const refs = patient['generalPractitioner'];
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs as Array<{ reference?: unknown; type?: unknown }>) {
    const reference = typeof ref?.reference === 'string' ? ref.reference : '';
    const match = /(?:^|\/)Organization\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}
