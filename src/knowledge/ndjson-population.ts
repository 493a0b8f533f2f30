import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { resolveMedications } from '../context/medication-resolver.js';
import type { FhirResource } from '../engine/patient-bundle.js';

/** One patient of a population: the Patient resource first, then everything that refers to them. */
export interface PopulationPatient {
  id: string;
  resources: FhirResource[];
}

export interface NdjsonPopulation {
  /** In patient id order. */
  patients: PopulationPatient[];
  files: string[];
  /** Resources that name no patient we hold (or no patient at all), and lines that are not JSON. */
  skipped: number;
}

const PATIENT_REF = /(?:^|\/)Patient\/([^/]+)$/;

/**
 * Reads a population in the FHIR Bulk Data layout: a folder of `*.ndjson` files (Patient.ndjson,
 * MedicationRequest.ndjson, Observation.ndjson, Condition.ndjson, …), one resource per line, streamed
 * line by line and grouped by the patient each resource refers to (`subject`, else `patient`).
 * Medications (which belong to no patient) resolve `medicationReference`s, as in a hook call.
 * `types`, when given, keeps only resources of those types (besides Patient and Medication): what the
 * compared releases read.
 *
 * The grouped population is held in memory: this is for the diff of two releases on a test population;
 * population runs at scale stream by partition (src/population).
 */
export async function readNdjsonPopulation(
  dir: string,
  options: { types?: ReadonlySet<string> } = {},
): Promise<NdjsonPopulation> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson')).sort();
  const byPatient = new Map<string, FhirResource[]>();
  const patients = new Map<string, FhirResource>();
  const medications = new Map<string, FhirResource>();
  let skipped = 0;
  for (const name of files) {
    const lines = createInterface({ input: createReadStream(path.join(dir, name)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let resource: FhirResource;
      try {
        resource = JSON.parse(line) as FhirResource;
      } catch {
        skipped += 1;
        continue;
      }
      if (typeof resource.resourceType !== 'string') {
        skipped += 1;
      } else if (resource.resourceType === 'Patient' && typeof resource.id === 'string') {
        patients.set(resource.id, resource);
      } else if (resource.resourceType === 'Medication' && typeof resource.id === 'string') {
        medications.set(`Medication/${resource.id}`, resource);
      } else if (options.types !== undefined && !options.types.has(resource.resourceType)) {
        skipped += 1;
      } else {
        const patient = patientOf(resource);
        const list = patient === undefined ? undefined : byPatient.get(patient);
        if (patient === undefined) skipped += 1;
        else if (list === undefined) byPatient.set(patient, [resource]);
        else list.push(resource);
      }
    }
  }
  for (const id of byPatient.keys()) if (!patients.has(id)) skipped += byPatient.get(id)?.length ?? 0;
  const out: PopulationPatient[] = [...patients]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, patient]) => ({
      id,
      resources: resolveMedications([patient, ...(byPatient.get(id) ?? [])], { byReference: medications }),
    }));
  return { patients: out, files, skipped };
}

function patientOf(resource: FhirResource): string | undefined {
  for (const key of ['subject', 'patient']) {
    const ref = (resource[key] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string') return PATIENT_REF.exec(ref)?.[1];
  }
  return undefined;
}
