import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNdjsonPopulation } from './ndjson-population.js';

describe('readNdjsonPopulation', () => {
  it('groups a Bulk Data folder by patient, resolves medication references and skips what it cannot place', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loopcds-ndjson-'));
    const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(
      path.join(dir, 'Patient.ndjson'),
      lines([
        { resourceType: 'Patient', id: 'b' },
        { resourceType: 'Patient', id: 'a' },
      ]),
    );
    const code = { coding: [{ system: 'http://snomed.info/sct', code: '329653008' }] };
    await writeFile(
      path.join(dir, 'MedicationRequest.ndjson'),
      lines([
        {
          resourceType: 'MedicationRequest',
          id: 'm1',
          subject: { reference: 'Patient/a' },
          medicationReference: { reference: 'Medication/x' },
        },
        {
          resourceType: 'MedicationRequest',
          id: 'm2',
          subject: { reference: 'https://ehr.example/fhir/Patient/b' },
        },
        { resourceType: 'MedicationRequest', id: 'm3', subject: { reference: 'Patient/nobody' } },
      ]) + 'not json\n',
    );
    await writeFile(
      path.join(dir, 'Medication.ndjson'),
      lines([{ resourceType: 'Medication', id: 'x', code }]),
    );
    await writeFile(
      path.join(dir, 'Observation.ndjson'),
      lines([{ resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/a' } }]),
    );

    const all = await readNdjsonPopulation(dir);
    expect(all.patients.map((p) => [p.id, p.resources.map((r) => r.id)])).toEqual([
      ['a', ['a', 'm1', 'o1']],
      ['b', ['b', 'm2']],
    ]);
    expect(all.patients[0]?.resources[1]?.['medicationCodeableConcept']).toEqual(code);
    expect(all.skipped).toBe(2); // the line that is not JSON, and the request of a patient not in Patient.ndjson

    const onlyRequests = await readNdjsonPopulation(dir, { types: new Set(['MedicationRequest']) });
    expect(onlyRequests.patients[0]?.resources.map((r) => r.id)).toEqual(['a', 'm1']);
  });
});
