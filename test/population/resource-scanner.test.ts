import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../src/engine/patient-bundle.js';
import { loadPopulationKnowledge, selectReleases } from '../../src/population/population-knowledge.js';
import { ResourceScanner } from '../../src/population/resource-scanner.js';
import { evaluableReleases } from '../../src/population/artefact-library.js';
import { KNOWLEDGE, valueSetCodes } from './support/test-population.js';

/**
 * The scanner drops most of a record before grouping, much of it without parsing. It must never drop a
 * resource that a chosen artefact's data requirements or triggers accept (the engine's own
 * DataRequirementFilter decides here), however the JSON is written.
 */
const { knowledge } = await loadPopulationKnowledge(KNOWLEDGE);
const artefacts = selectReleases(knowledge, 'pincer').map((r) => evaluableReleases(knowledge).get(r.key)!);
const scanner = new ResourceScanner(artefacts, knowledge.valueSets);
const accepted = (r: FhirResource) =>
  artefacts.some((a) => a.dataFilter.accepts(r) || (a.triggerFilter?.accepts(r) ?? false));
const codesOf = (url: string) => valueSetCodes(knowledge.valueSets, url, 40);
const pincerCodes = [
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-nsaid-curated'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-ppi'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-egfr'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-hf'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/statin-statins-dmd'),
];

const coding = fc.oneof(
  fc.constantFrom(...pincerCodes).map((c) => ({ system: c.system, code: c.code })),
  fc.record({
    system: fc.constantFrom('http://snomed.info/sct', 'http://loinc.org'),
    code: fc.stringMatching(/^[0-9]{5,12}$/),
  }),
);
const resource = fc.record({
  type: fc.constantFrom('MedicationRequest', 'Observation', 'Condition', 'Encounter', 'Procedure'),
  coding: fc.array(coding, { minLength: 0, maxLength: 3 }),
  patient: fc.constantFrom('Patient/p1', 'https://ehr.example/fhir/Patient/p-2', 'Group/g'),
  order: fc.boolean(),
  indent: fc.constantFrom(undefined, 1, '\t'),
  text: fc.constantFrom(undefined, 'a "quoted" note with } and \\', 'plain'),
});

describe('the scanner before grouping', () => {
  it('keeps every resource a chosen artefact accepts, whatever its key order and white space', () => {
    fc.assert(
      fc.property(resource, (g) => {
        const path = g.type === 'MedicationRequest' ? 'medicationCodeableConcept' : 'code';
        const body: Record<string, unknown> = {
          id: 'r1',
          status: 'final',
          subject: { reference: g.patient },
          [path]: { coding: g.coding },
        };
        if (g.text !== undefined) body['note'] = [{ text: g.text }];
        const r = (
          g.order ? { resourceType: g.type, ...body } : { ...body, resourceType: g.type }
        ) as FhirResource;
        const line = JSON.stringify(r, null, g.indent).replace(/\n/g, ' ');
        const scanned = scanner.scan(line);
        const wanted = accepted(r) && g.patient.includes('Patient/');
        expect(scanned.kind === 'resource').toBe(wanted);
        if (scanned.kind === 'resource') expect(JSON.parse(scanned.json)).toEqual(r);
      }),
      { numRuns: 400 },
    );
  });

  it("with the run's date, drops exactly the issues older than every window that reads them", () => {
    const now = '2026-10-01T12:00:00.000+01:00';
    const dated = new ResourceScanner(artefacts, knowledge.valueSets, now);
    const acceptedAt = (r: FhirResource) =>
      artefacts.some((a) => a.dataFilter.accepts(r, now) || (a.triggerFilter?.accepts(r) ?? false));
    // Around the 3-month window's cut-off (2026-06-29 with its two days of margin), and years back.
    const day = fc.oneof(
      fc.integer({ min: -6, max: 6 }).map((d) => new Date(Date.UTC(2026, 5, 29 + d))),
      fc.integer({ min: 0, max: 3000 }).map((d) => new Date(Date.UTC(2026, 9, 1 - d))),
    );
    let dropped = 0;
    let kept = 0;
    fc.assert(
      fc.property(fc.constantFrom(...pincerCodes), day, (c, date) => {
        const r = {
          resourceType: 'MedicationRequest',
          id: 'm1',
          status: 'active',
          subject: { reference: 'Patient/p1' },
          medicationCodeableConcept: { coding: [{ system: c.system, code: c.code }] },
          authoredOn: date.toISOString().slice(0, 10),
        } as FhirResource;
        const scanned = dated.scan(JSON.stringify(r));
        expect(scanned.kind === 'resource', r['authoredOn'] as string).toBe(acceptedAt(r));
        expect(scanner.scan(JSON.stringify(r)).kind === 'resource').toBe(accepted(r));
        if (scanned.kind === 'resource') kept++;
        else dropped++;
      }),
      { numRuns: 600 },
    );
    expect(dropped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  });

  it('reads the patient of a kept resource from its own subject, not from a contained resource', () => {
    const line = JSON.stringify({
      resourceType: 'Observation',
      contained: [{ resourceType: 'Observation', subject: { reference: 'Patient/decoy' } }],
      code: { coding: [codesOf('https://loopcds.org/fhir/ValueSet/pincer-egfr')[0]!] },
      subject: { reference: 'Patient/real' },
    });
    const scanned = scanner.scan(line);
    expect(scanned.kind === 'resource' ? scanned.patientId : scanned.kind).toBe('real');
  });
});
