import type { FhirResource } from '../engine/patient-bundle.js';

/**
 * The meta.tag loopcds puts on resources that come from the hook's `draftOrders`, so that CQL can tell
 * the order being placed from the record (knowledge/libraries/PincerCommon.cql "Is Draft Order").
 */
export const DRAFT_ORDER_TAG = {
  system: 'https://loopcds.org/fhir/CodeSystem/data-origin',
  code: 'draft-order',
  display: 'Draft order in the current hook call',
} as const;

/** The resources of a `draftOrders` (or `appointments`) Bundle, each tagged as a draft order. */
export function draftOrderResources(bundle: unknown): FhirResource[] {
  const entries = (bundle as { entry?: unknown })?.entry;
  if (!Array.isArray(entries)) return [];
  const out: FhirResource[] = [];
  for (const entry of entries) {
    const resource = (entry as { resource?: unknown })?.resource;
    if (
      typeof resource !== 'object' ||
      resource === null ||
      typeof (resource as { resourceType?: unknown }).resourceType !== 'string'
    )
      continue;
    const r = resource as FhirResource;
    const meta = (typeof r['meta'] === 'object' && r['meta'] !== null ? r['meta'] : {}) as {
      tag?: unknown[];
    };
    const tags = Array.isArray(meta.tag) ? meta.tag : [];
    out.push({ ...r, meta: { ...meta, tag: [...tags, { ...DRAFT_ORDER_TAG }] } });
  }
  return out;
}
