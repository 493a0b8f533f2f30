import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './test-service.js';

type Resource = { resourceType: string; id?: string; [k: string]: unknown };

/**
 * A coding looked up by its display term in one of the built value sets: tests name drugs as a pharmacist
 * would and never type a code.
 */
export function codingFrom(
  valueSetId: string,
  display: string,
): { system: string; code: string; display: string } {
  const vs = JSON.parse(
    readFileSync(path.join(ROOT, 'knowledge', 'valuesets', `${valueSetId}.json`), 'utf8'),
  ) as {
    expansion: { contains: Array<{ system: string; code: string; display: string }> };
  };
  const found = vs.expansion.contains.find((c) => c.display === display);
  if (found === undefined) throw new Error(`"${display}" is not in value set ${valueSetId}`);
  return { system: found.system, code: found.code, display: found.display };
}

export const drugs = {
  ibuprofen: () => codingFrom('pincer-nsaid-curated', 'Ibuprofen 400mg tablets'),
  naproxen: () => codingFrom('pincer-nsaid-curated', 'Naproxen 500mg tablets'),
  naproxenEsomeprazole: () =>
    codingFrom('pincer-ppi', 'Naproxen 500mg / Esomeprazole 20mg modified-release tablets'),
  omeprazole: () => codingFrom('pincer-ppi', 'Omeprazole 20mg gastro-resistant capsules'),
  famotidine: () => codingFrom('pincer-ppi', 'Famotidine 20mg tablets'),
  /** A drug unrelated to PINCER A: what the prescriber signs when the hazard is only in the record. */
  amiodarone: () => codingFrom('pincer-amio', 'Amiodarone 200mg tablets'),
};

export function patient(
  id: string,
  birthDate: string | undefined,
  extra: Record<string, unknown> = {},
): Resource {
  return {
    resourceType: 'Patient',
    id,
    gender: 'female',
    ...(birthDate === undefined ? {} : { birthDate }),
    ...extra,
  };
}

/** A prescription issue on a date (authoredOn). */
export function issue(
  patientId: string,
  coding: { system: string; code: string; display: string },
  authoredOn: string,
  status = 'completed',
): Resource {
  return {
    resourceType: 'MedicationRequest',
    id: `mr-${randomUUID().slice(0, 8)}`,
    status,
    intent: 'order',
    medicationCodeableConcept: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patientId}` },
    authoredOn,
  };
}

/** A draft order as the EHR sends it in `draftOrders`. */
export function draft(
  patientId: string,
  coding: { system: string; code: string; display: string },
  id = 'draft-1',
): Resource {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patientId}` },
  };
}

export function searchset(resources: Resource[]): Resource {
  return { resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) };
}

/**
 * The PINCER services' history prefetch keys (cds-hooks/pincer-*.json) filled from a list of resources:
 * Conditions in `conditions`, Observations in `egfr`, everything else in `medications`. A key with no
 * resources is `null`, which CDS Hooks 2.0 §Prefetch defines as "no data": the service neither fetches
 * it nor reports it missing.
 */
export function historyPrefetch(history: Resource[]): Record<string, Resource | null> {
  const conditions = history.filter((r) => r.resourceType === 'Condition');
  const observations = history.filter((r) => r.resourceType === 'Observation');
  const medications = history.filter(
    (r) => r.resourceType !== 'Condition' && r.resourceType !== 'Observation',
  );
  return {
    medications: searchset(medications),
    conditions: conditions.length > 0 ? searchset(conditions) : null,
    egfr: observations.length > 0 ? searchset(observations) : null,
  };
}

/** An order-sign (or order-select) request with full prefetch. */
export function orderRequest(
  hook: 'order-sign' | 'order-select',
  pt: Resource,
  history: Resource[],
  drafts: Resource[],
  now?: string,
): Record<string, unknown> {
  return {
    hook,
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/gp-1',
      patientId: pt.id,
      // order-sign and order-select always carry at least one draft: an unrelated drug stands in when the test has none.
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: (drafts.length > 0 ? drafts : [draft(String(pt.id), drugs.amiodarone(), 'draft-other')]).map(
          (resource) => ({ resource }),
        ),
      },
      ...(hook === 'order-select' ? { selections: drafts.map((d) => `MedicationRequest/${d.id}`) } : {}),
    },
    prefetch: { patient: pt, ...historyPrefetch(history) },
    ...(now === undefined ? {} : { extension: { 'org.loopcds.evaluation-time': now } }),
  };
}
