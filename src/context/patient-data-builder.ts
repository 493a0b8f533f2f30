import { isOperationOutcome } from '../errors/operation-outcome.js';
import { patientBundle, type FhirBundle, type FhirResource } from '../engine/patient-bundle.js';
import { Deadline } from './deadline.js';
import { draftOrderResources } from './draft-orders.js';
import { FhirFetchError, FhirFetcher, type FhirServerAccess } from './fhir-fetcher.js';
import { resolveMedications, unresolvedMedicationReferences } from './medication-resolver.js';
import { resolvePrefetchTemplate } from './prefetch-template.js';

/** What became of each prefetch key: the outcome store records it and `412` explains it. */
export interface PrefetchReport {
  /** Keys the EHR supplied in `prefetch` (a `null` value counts: it means "no data"). */
  supplied: string[];
  /** Keys fetched from `fhirServer` because the EHR did not supply them (or supplied an OperationOutcome). */
  fetched: string[];
  /** Keys that could not be had, with the reason. */
  missing: Array<{ key: string; reason: string }>;
}

export interface PatientData {
  patientId: string;
  bundle: FhirBundle;
  report: PrefetchReport;
  /** Whether the Patient resource itself was obtained. */
  hasPatient: boolean;
  timings: { prefetchMs: number; fallbackMs: number };
}

/** The parts of a hook request that say where the patient's data is. */
export interface DataRequest {
  context: Readonly<Record<string, unknown>>;
  prefetch?: Readonly<Record<string, unknown>> | undefined;
  fhirServer?: string | undefined;
  fhirAuthorization?: { access_token: string } | undefined;
}

export interface PatientDataOptions {
  prefetchTemplates: Readonly<Record<string, string>>;
  deadlineMs: number;
  maxPages: number;
  /** Seam for tests; by default a fhir-kit-client fetcher. */
  createFetcher?: (access: FhirServerAccess, maxPages: number) => Pick<FhirFetcher, 'get'>;
}

/**
 * Builds one patient's data for a hook call, CDS Hooks 2.0 §Prefetch: prefetch first; a key that is
 * absent, or holds an OperationOutcome, is fetched from `fhirServer` with the `fhirAuthorization`
 * token, every query in parallel under one deadline; `null` means "no data" and is not fetched. Draft
 * orders are merged in, and `medicationReference` resolved to a code.
 */
export async function buildPatientData(
  request: DataRequest,
  options: PatientDataOptions,
): Promise<PatientData> {
  const started = performance.now();
  const patientId = typeof request.context['patientId'] === 'string' ? request.context['patientId'] : '';
  const report: PrefetchReport = { supplied: [], fetched: [], missing: [] };
  const resources = new Map<string, FhirResource>();
  const add = (r: FhirResource) => resources.set(`${r.resourceType}/${r.id ?? resources.size}`, r);

  const toFetch: Array<{ key: string; url: string }> = [];
  for (const [key, template] of Object.entries(options.prefetchTemplates)) {
    const supplied = request.prefetch?.[key];
    if (supplied === null) {
      report.supplied.push(key);
      continue;
    }
    if (supplied !== undefined && !isOperationOutcome(supplied) && isResource(supplied)) {
      report.supplied.push(key);
      for (const r of resourcesOf(supplied)) add(r);
      continue;
    }
    const url = resolvePrefetchTemplate(template, request.context);
    if (url === undefined)
      report.missing.push({ key, reason: 'its prefetch template cannot be resolved from the context' });
    else toFetch.push({ key, url });
  }
  const prefetchMs = performance.now() - started;

  const fallbackStarted = performance.now();
  const access: FhirServerAccess | undefined =
    request.fhirServer === undefined
      ? undefined
      : { baseUrl: request.fhirServer, accessToken: request.fhirAuthorization?.access_token };
  const fetcher =
    access === undefined
      ? undefined
      : (options.createFetcher ?? ((a, p) => new FhirFetcher(a, p)))(access, options.maxPages);
  const deadline = new Deadline(options.deadlineMs);
  try {
    if (toFetch.length > 0) {
      if (fetcher === undefined) {
        for (const { key } of toFetch)
          report.missing.push({ key, reason: 'not in prefetch, and the request names no fhirServer' });
      } else {
        const settled = await Promise.allSettled(toFetch.map(({ url }) => fetcher.get(url, deadline)));
        settled.forEach((result, i) => {
          const { key } = toFetch[i]!;
          if (result.status === 'fulfilled' && !isOperationOutcome(result.value)) {
            report.fetched.push(key);
            for (const r of resourcesOf(result.value)) add(r);
          } else {
            report.missing.push({
              key,
              reason: failureReason(result.status === 'rejected' ? result.reason : 'an OperationOutcome'),
            });
          }
        });
      }
    }

    for (const r of draftOrderResources(request.context['draftOrders'])) add(r);

    const medications = new Map<string, FhirResource>();
    for (const r of resources.values())
      if (r.resourceType === 'Medication' && r.id !== undefined) medications.set(`Medication/${r.id}`, r);
    const unresolved = unresolvedMedicationReferences([...resources.values()], medications);
    if (unresolved.length > 0 && fetcher !== undefined) {
      const settled = await Promise.allSettled(unresolved.map((ref) => fetcher.get(ref, deadline)));
      settled.forEach((result, i) => {
        if (result.status === 'fulfilled' && result.value.resourceType === 'Medication')
          medications.set(unresolved[i]!, result.value);
        else
          report.missing.push({
            key: unresolved[i]!,
            reason: failureReason(result.status === 'rejected' ? result.reason : 'not a Medication'),
          });
      });
    } else {
      for (const ref of unresolved)
        report.missing.push({
          key: ref,
          reason: 'a medicationReference that is not contained, prefetched or fetchable',
        });
    }
    const resolved = resolveMedications([...resources.values()], { byReference: medications });

    const patient = resolved.find((r) => r.resourceType === 'Patient' && r.id === patientId);
    const ordered = patient === undefined ? resolved : [patient, ...resolved.filter((r) => r !== patient)];
    return {
      patientId,
      bundle: patientBundle(ordered),
      report,
      hasPatient: patient !== undefined,
      timings: {
        prefetchMs,
        fallbackMs: toFetch.length > 0 || unresolved.length > 0 ? performance.now() - fallbackStarted : 0,
      },
    };
  } finally {
    deadline.close();
  }
}

function isResource(value: unknown): value is FhirResource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { resourceType?: unknown }).resourceType === 'string'
  );
}

/** The resources in a prefetch value: a Bundle's entries (less OperationOutcomes), or the resource itself. */
function resourcesOf(value: FhirResource): FhirResource[] {
  if (value.resourceType !== 'Bundle') return isOperationOutcome(value) ? [] : [value];
  const entries = (value as FhirBundle).entry ?? [];
  return entries
    .map((e) => e.resource)
    .filter((r): r is FhirResource => isResource(r) && !isOperationOutcome(r));
}

function failureReason(error: unknown): string {
  if (error instanceof FhirFetchError) return error.message;
  return typeof error === 'string' ? `the FHIR server answered with ${error}` : 'the FHIR query failed';
}
