import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { codingFrom, drugs, issue, patient } from '../support/pincer-fixtures.js';
import { loopcdsKnowledge as loopcds } from './run-knowledge-command.js';
import {
  bumpPincerA,
  compile,
  makeTempKnowledge,
  releasePincerA,
  type TempKnowledge,
} from './temp-knowledge.js';

const NOW = '2026-06-15T10:00:00.000+01:00';

/**
 * A population in the Bulk Data layout: who is affected by taking ibuprofen 400 mg tablets out of the
 * NSAID value set is exactly the patients aged 65+ with no gastroprotection whose only NSAID is that one,
 * whether coded inline or through a Medication resource.
 */
async function writePopulation(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ibuprofen = drugs.ibuprofen();
  const patients = [
    patient('aged-on-ibuprofen', '1950-01-01'),
    patient('aged-on-naproxen', '1950-01-01'),
    patient('young-on-ibuprofen', '1990-01-01'),
    patient('aged-on-ibuprofen-and-ppi', '1950-01-01'),
    patient('aged-on-ibuprofen-by-reference', '1950-01-01'),
    patient('aged-on-nothing', '1950-01-01'),
  ];
  const byReference = {
    ...issue('aged-on-ibuprofen-by-reference', ibuprofen, '2026-05-01'),
    medicationCodeableConcept: undefined,
    medicationReference: { reference: 'Medication/ibu-400' },
  };
  const requests = [
    issue('aged-on-ibuprofen', ibuprofen, '2026-05-01'),
    issue('aged-on-naproxen', drugs.naproxen(), '2026-05-01'),
    issue('young-on-ibuprofen', ibuprofen, '2026-05-01'),
    issue('aged-on-ibuprofen-and-ppi', ibuprofen, '2026-05-01'),
    issue('aged-on-ibuprofen-and-ppi', drugs.omeprazole(), '2026-05-01'),
    JSON.parse(JSON.stringify(byReference)) as Record<string, unknown>,
  ];
  const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await writeFile(path.join(dir, 'Patient.ndjson'), ndjson(patients));
  await writeFile(path.join(dir, 'MedicationRequest.ndjson'), ndjson(requests));
  await writeFile(
    path.join(dir, 'Medication.ndjson'),
    ndjson([{ resourceType: 'Medication', id: 'ibu-400', code: { coding: [ibuprofen] } }]),
  );
  await writeFile(
    path.join(dir, 'Observation.ndjson'),
    ndjson([
      {
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { text: 'unrelated' },
        subject: { reference: 'Patient/aged-on-nothing' },
      },
    ]),
  );
}

/** Removes one code (by its display term) from a value set's expansion, keeping `total` right. */
async function removeCode(file: string, display: string): Promise<void> {
  const vs = JSON.parse(await readFile(file, 'utf8')) as {
    expansion: { total?: number; contains: Array<{ display?: string }> };
  };
  vs.expansion.contains = vs.expansion.contains.filter((c) => c.display !== display);
  vs.expansion.total = vs.expansion.contains.length;
  await writeFile(file, JSON.stringify(vs, null, 2));
}

describe('loopcds knowledge diff', () => {
  let t: TempKnowledge;
  let population: string;

  beforeAll(async () => {
    t = await makeTempKnowledge('diff');
    await compile(t);
    await releasePincerA(t);
    // 1.1.0, a working change: one code less in the NSAID value set, nothing else but the version.
    await removeCode(path.join(t.valueSetDir, 'pincer-nsaid-curated.json'), 'Ibuprofen 400mg tablets');
    await bumpPincerA(t, '1.1.0');
    await compile(t);
    population = path.join(t.root, 'population');
    await writePopulation(population);
  });

  it('reports exactly the patients that one value-set code affects, with counts', async () => {
    const { code, stdout } = await loopcds(t, [
      'diff',
      'pincer-a@1.0.0',
      'pincer-a@1.1.0',
      '--population',
      population,
      '--now',
      NOW,
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.a).toMatchObject({ ref: 'pincer-a@1.0.0', source: 'release' });
    expect(report.b).toMatchObject({ ref: 'pincer-a@1.1.0', source: 'working-copy' });
    const ibuprofen = codingFrom('pincer-nsaid-curated', 'Ibuprofen 400mg tablets');
    expect(report.changes.valueSets).toEqual([
      {
        url: 'https://loopcds.org/fhir/ValueSet/pincer-nsaid-curated',
        a: expect.any(String),
        b: expect.any(String),
        added: [],
        removed: [ibuprofen],
      },
    ]);
    expect(report.population.patients).toBe(6);
    expect(report.population.differing.map((d: { subject: string }) => d.subject)).toEqual([
      'aged-on-ibuprofen',
      'aged-on-ibuprofen-by-reference',
    ]);
    expect(report.population.differing[0].a.result).toBe('fired');
    expect(report.population.differing[0].b.result).toBe('not-fired');
    expect(report.population.fired).toEqual({ a: 3, b: 1 });
    expect(report.population.transitions).toEqual({
      'fired → fired': 1,
      'fired → not-fired': 2,
      'not-fired → not-fired': 3,
    });
  });

  it('shows the CQL change, the codes removed and the differing test cases in plain text', async () => {
    const { code, stdout } = await loopcds(t, ['diff', 'pincer-a@1.0.0', 'pincer-a@1.1.0']);
    expect(code).toBe(0);
    expect(stdout).toContain("-library PincerA version '1.0.0'");
    expect(stdout).toContain("+library PincerA version '1.1.0'");
    expect(stdout).toMatch(
      /value set https:\/\/loopcds\.org\/fhir\/ValueSet\/pincer-nsaid-curated: 0 codes added, 1 removed/,
    );
    expect(stdout).toMatch(/- http:\/\/snomed\.info\/sct\|\d+ Ibuprofen 400mg tablets/);
    // The cases that order ibuprofen 400 mg tablets fire on 1.0.0 and no longer on 1.1.0.
    expect(stdout).toMatch(/Test cases of both releases: \d+ compared, [1-9]\d* differ/);
    expect(stdout).toMatch(/fires at order-sign on the 65th birthday.*fired;.*not-fired/);
  });

  it('refuses a release that is neither released nor the working copy', async () => {
    const { code, stderr } = await loopcds(t, ['diff', 'pincer-a@1.0.0', 'pincer-a@9.9.9']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /pincer-a@9\.9\.9 is not released, and the working copy knowledge\/pincer-a is at version 1\.1\.0/,
    );
  });
});
