import { describe, expect, it } from 'vitest';
import { emulatePrefetch } from './ehr-prefetch-emulator.js';

const record = [
  { resourceType: 'Patient', id: 'p1' },
  {
    resourceType: 'Observation',
    id: 'egfr',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '1011481000000105' }] },
  },
  {
    resourceType: 'Observation',
    id: 'bp',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '75367002' }] },
  },
  {
    resourceType: 'MedicationRequest',
    id: 'mr',
    status: 'completed',
    medicationReference: { reference: 'Medication/m1' },
  },
  { resourceType: 'Medication', id: 'm1' },
];

describe('the EHR prefetch emulation of "try it"', () => {
  it('answers a read with the resource and a search with a searchset of the matching type', () => {
    const { prefetch, notes } = emulatePrefetch(
      {
        patient: 'Patient/{{context.patientId}}',
        meds: 'MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication',
      },
      { patientId: 'p1' },
      record,
    );
    expect(prefetch['patient']).toEqual(record[0]);
    const meds = prefetch['meds'] as { entry: Array<{ resource: { id: string }; search: { mode: string } }> };
    expect(meds.entry.map((e) => [e.resource.id, e.search.mode])).toEqual([
      ['mr', 'match'],
      ['m1', 'include'],
    ]);
    expect(notes).toEqual([]);
  });

  it('applies code token searches and names the parameters it does not apply', () => {
    const { prefetch, notes } = emulatePrefetch(
      {
        egfr: 'Observation?patient={{context.patientId}}&code=http://snomed.info/sct|1011481000000105&date=ge2020',
      },
      { patientId: 'p1' },
      record,
    );
    const egfr = prefetch['egfr'] as { total: number; entry: Array<{ resource: { id: string } }> };
    expect(egfr.entry.map((e) => e.resource.id)).toEqual(['egfr']);
    expect(notes).toEqual([
      'egfr: search parameter date was not applied (all Observation resources were sent)',
    ]);
  });

  it('sends null for a read the record cannot answer, as an EHR with no such resource would', () => {
    const { prefetch } = emulatePrefetch(
      { encounter: 'Encounter/{{context.encounterId}}' },
      { patientId: 'p1', encounterId: 'e1' },
      record,
    );
    expect(prefetch['encounter']).toBeNull();
  });
});
