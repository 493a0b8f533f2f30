import { readFileSync } from 'node:fs';
import path from 'node:path';

type Coding = { system: string; code: string; display: string };
type Resource = { resourceType: string; id: string; [k: string]: unknown };

const ROOT = path.resolve(import.meta.dirname, '..');

function valueSetCodings(id: string): Coding[] {
  const vs = JSON.parse(readFileSync(path.join(ROOT, 'knowledge', 'valuesets', `${id}.json`), 'utf8')) as {
    expansion: { contains: Coding[] };
  };
  return vs.expansion.contains;
}

/** A small deterministic generator, so every bench run sends the same patient. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A 78-year-old with ~300 resources: five years of monthly repeat issues of several long-term drugs
 * (codes drawn from the built value sets, never typed), an ibuprofen draft order, and no recent PPI.
 */
export function benchPatient(resourceCount = 300): {
  patient: Resource;
  history: Resource[];
  draft: Resource;
} {
  const random = rng(42);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const longTerm = ['pincer-acei', 'pincer-amio', 'pincer-anticoag', 'pincer-lith'].map((id) =>
    pick(valueSetCodings(id)),
  );
  const ppi = valueSetCodings('pincer-ppi').find(
    (c) => c.display === 'Omeprazole 20mg gastro-resistant capsules',
  )!;
  const ibuprofen = valueSetCodings('pincer-nsaid-curated').find(
    (c) => c.display === 'Ibuprofen 400mg tablets',
  )!;
  const patient: Resource = {
    resourceType: 'Patient',
    id: 'bench-patient',
    gender: 'male',
    birthDate: '1948-02-11',
  };
  const history: Resource[] = [];
  for (let i = 0; history.length < resourceCount - 1; i++) {
    const monthsAgo = 4 + Math.floor(i / longTerm.length); // all older than the 3-month window
    const drug = i % 37 === 0 ? ppi : longTerm[i % longTerm.length]!;
    const date = new Date(Date.UTC(2026, 10, 1 - (i % 27)));
    date.setUTCMonth(date.getUTCMonth() - (monthsAgo % 60));
    history.push({
      resourceType: 'MedicationRequest',
      id: `mr-${i}`,
      status: 'completed',
      intent: 'order',
      medicationCodeableConcept: { coding: [drug], text: drug.display },
      subject: { reference: 'Patient/bench-patient' },
      authoredOn: date.toISOString().slice(0, 10),
    });
  }
  const draft: Resource = {
    resourceType: 'MedicationRequest',
    id: 'draft-ibuprofen',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { coding: [ibuprofen], text: ibuprofen.display },
    subject: { reference: 'Patient/bench-patient' },
  };
  return { patient, history, draft };
}
