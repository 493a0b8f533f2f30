/** Minimal FHIR R4 shapes the engine needs; the engine treats resources as opaque JSON otherwise. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type?: string;
  entry?: Array<{ resource?: FhirResource; fullUrl?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** One patient's data: the Patient resource first, then everything else, as a collection Bundle. */
export function patientBundle(resources: readonly FhirResource[]): FhirBundle {
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}
