import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/test-service.js';
import { loopcdsKnowledge } from './run-knowledge-command.js';
import {
  compile,
  makeTempKnowledge,
  releasePincerA,
  writeService,
  type TempKnowledge,
} from './temp-knowledge.js';

const repository = {
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
  baseDir: ROOT,
};

async function editJson(file: string, edit: (json: any) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8'));
  edit(json);
  await writeFile(file, JSON.stringify(json, null, 2));
}

describe('loopcds knowledge test', () => {
  it('passes every case of every artefact in the repository, and prints one row per case', async () => {
    const { code, stdout, stderr } = await loopcdsKnowledge(repository, ['test']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^artefact\s+case\s+result\s+differs\s+expected\s+actual\n/);
    expect(stdout).toMatch(/^pincer-a@1\.0\.0 \(release\)\s+.+\s+pass$/m);
    expect(stdout).toMatch(/^pincer-a@1\.0\.0\s+.+\s+pass$/m);
    expect(stdout).toMatch(/\d+ cases in \d+ artefact releases: \d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
  }, 600_000);

  it('fails with the differing expression, the value expected and the value found', async () => {
    const t = await makeTempKnowledge('failing-case');
    await compile(t);
    const tests = path.join(t.knowledgeDir, 'pincer-a', 'tests');
    await editJson(path.join(tests, 'age-64-nsaid-ordered.json'), (c) => {
      c.expect.expressions = { Age: 65 };
    });
    const { code, stdout } = await loopcdsKnowledge(t, ['test', 'pincer-a']);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^pincer-a@1\.0\.0\s+does not fire the day before the 65th birthday\s+FAIL\s+Age\s+65\s+64$/m,
    );
    expect(stdout).toMatch(/10 cases in 1 artefact releases: 9 passed, 1 failed/);
  }, 120_000);
});

describe('loopcds knowledge validate', () => {
  it('finds nothing wrong with PINCER A as it is', async () => {
    const t = await makeTempKnowledge('valid');
    const { code, stdout } = await loopcdsKnowledge(t, ['validate']);
    expect(stdout).toMatch(/validated 1 artefacts, 0 releases, 0 services: 0 errors/);
    expect(code).toBe(0);
  }, 120_000);

  it('reports metadata, CQL, value-set, card-template and test-case problems, each where it is', async () => {
    const t = await makeTempKnowledge('invalid');
    const dir = path.join(t.knowledgeDir, 'pincer-a');
    await editJson(path.join(dir, 'artefact.json'), (a) => {
      a.version = '1.0.1'; // neither the CQL nor the changelog follow
      a.cards[0].when = 'No Such Expression';
      a.cards[0].summary[1].value = `${'x'.repeat(150)} {{Age}}`;
      a.cards[0].suggestions[0].actions[0].resource.medication.display = 'Omeprazole 21mg capsules';
    });
    await editJson(path.join(dir, 'tests', 'age-64-nsaid-ordered.json'), (c) => {
      c.expect.expressions['Agee'] = 64;
    });
    await rm(path.join(t.valueSetDir, 'pincer-ppi.json'));
    await mkdir(path.join(t.knowledgeDir, 'broken'));
    await writeFile(
      path.join(t.knowledgeDir, 'broken', 'Broken.cql'),
      "library Broken version '1.0.0'\nusing FHIR version '4.0.1'\ncontext Patient\ndefine \"X\": 1 +\n",
    );
    const { code, stdout } = await loopcdsKnowledge(t, ['validate']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^knowledge\/broken\/Broken\.cql:\d+:\d+ /m);
    expect(stdout).toMatch(
      /^knowledge\/pincer-a\/PincerA\.cql:12:1 library version '1\.0\.0' does not match artefact\.json version 1\.0\.1$/m,
    );
    expect(stdout).toMatch(/^knowledge\/pincer-a\/artefact\.json changelog: no entry for version 1\.0\.1$/m);
    expect(stdout).toMatch(
      /cards\[0\] \(nsaid-without-gastroprotection\)\.when names "No Such Expression", which PincerA does not define/,
    );
    expect(stdout).toMatch(/summary\[1\]: the summary's fixed text is 150 characters/);
    expect(stdout).toMatch(
      /value set https:\/\/loopcds\.org\/fhir\/ValueSet\/pincer-ppi \(declared in the CQL\) is not in the value set folder/,
    );
    expect(stdout).toMatch(
      /actions\[0\] orders from value set https:\/\/loopcds\.org\/fhir\/ValueSet\/pincer-ppi, which is not available/,
    );
    expect(stdout).toMatch(
      /^knowledge\/pincer-a\/tests\/age-64-nsaid-ordered\.json expect\.expressions names "Agee", which PincerA does not define$/m,
    );
  }, 120_000);
});

describe('loopcds knowledge list and export', () => {
  let t: TempKnowledge;

  async function released(): Promise<TempKnowledge> {
    if (t !== undefined) return t;
    t = await makeTempKnowledge('list-export');
    await compile(t);
    await releasePincerA(t);
    await writeService(t, { active: ['pincer-a@1.0.0'], shadow: [] });
    return t;
  }

  it('lists each release with its status, source, services and last test run', async () => {
    const k = await released();
    const { code, stdout } = await loopcdsKnowledge(k, ['list', '--json']);
    expect(code).toBe(0);
    const listing = JSON.parse(stdout);
    expect(listing.artefacts).toMatchObject([
      {
        ref: 'pincer-a@1.0.0',
        status: 'active',
        source: 'release',
        workingCopy: true,
        services: [{ service: 'pincer-order-sign', role: 'active' }],
        tests: null,
      },
    ]);
    expect(listing.services).toMatchObject([
      { id: 'pincer-order-sign', active: [{ ref: 'pincer-a@1.0.0', source: 'release' }] },
    ]);
    await loopcdsKnowledge(k, ['test', 'pincer-a@1.0.0']);
    const table = await loopcdsKnowledge(k, ['list']);
    expect(table.stdout).toMatch(
      /^pincer-a@1\.0\.0\s+active\s+release 2026-11-23\s+[0-9a-f]{12}\s+pincer-order-sign\s+pass 10\/10 /m,
    );
  }, 120_000);

  it('exports the release as FHIR Libraries and the service as a PlanDefinition', async () => {
    const k = await released();
    const out = path.join(k.root, 'fhir');
    const { code, stdout } = await loopcdsKnowledge(k, ['export', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/wrote 6 FHIR resources/);
    const read = async (f: string) => JSON.parse(await readFile(path.join(out, f), 'utf8'));
    const library = await read('Library-PincerA-1.0.0.json');
    const manifest = JSON.parse(
      await readFile(path.join(k.knowledgeDir, 'releases', 'pincer-a@1.0.0', 'manifest.json'), 'utf8'),
    );
    expect(library).toMatchObject({
      resourceType: 'Library',
      url: 'https://loopcds.org/fhir/Library/PincerA',
      version: '1.0.0',
      name: 'PincerA',
      status: 'active',
      type: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }],
      },
      extension: [
        {
          url: 'https://loopcds.org/fhir/StructureDefinition/release-content-hash',
          valueString: manifest.hash,
        },
      ],
    });
    const [cql, elm] = library.content;
    expect(cql.contentType).toBe('text/cql');
    expect(Buffer.from(cql.data, 'base64').toString('utf8')).toContain("library PincerA version '1.0.0'");
    expect(elm.contentType).toBe('application/elm+json');
    expect(JSON.parse(Buffer.from(elm.data, 'base64').toString('utf8')).library.identifier).toEqual({
      id: 'PincerA',
      version: '1.0.0',
    });
    const related = library.relatedArtifact.map((r: any) => `${r.type} ${r.resource ?? r.url}`);
    expect(related).toContain('citation https://github.com/opensafely/pincer-measures');
    expect(related).toContain('depends-on https://loopcds.org/fhir/Library/PincerCommon|1.0.0');
    expect(related).toContain('depends-on https://loopcds.org/fhir/Library/FHIRHelpers|4.0.1');
    expect(related).toContainEqual(
      expect.stringMatching(/^depends-on https:\/\/loopcds\.org\/fhir\/ValueSet\/pincer-ppi\|/),
    );
    expect(library.dataRequirement).toEqual([
      { type: 'Patient' },
      {
        type: 'MedicationRequest',
        codeFilter: [
          { path: 'medication', valueSet: 'https://loopcds.org/fhir/ValueSet/pincer-nsaid-curated' },
        ],
      },
      {
        type: 'MedicationRequest',
        codeFilter: [{ path: 'medication', valueSet: 'https://loopcds.org/fhir/ValueSet/pincer-ppi' }],
      },
    ]);
    expect((await read('Library-PincerCommon-1.0.0.json')).content.map((c: any) => c.contentType)).toEqual([
      'text/cql',
      'application/elm+json',
    ]);
    const plan = await read('PlanDefinition-pincer-order-sign.json');
    expect(plan).toMatchObject({
      resourceType: 'PlanDefinition',
      name: 'PincerOrderSign',
      type: { coding: [{ code: 'eca-rule' }] },
      library: ['https://loopcds.org/fhir/Library/PincerA|1.0.0'],
      action: [
        {
          id: 'pincer-a',
          trigger: [{ type: 'named-event', name: 'order-sign' }],
          condition: [
            {
              kind: 'applicability',
              expression: {
                language: 'text/cql-identifier',
                expression: 'Hazard',
                reference: 'https://loopcds.org/fhir/Library/PincerA|1.0.0',
              },
            },
          ],
        },
      ],
    });
    expect(plan.extension[0]).toEqual({
      url: 'http://hl7.org/fhir/StructureDefinition/cqf-cdsHooksEndpoint',
      valueUri: '/cds-services/pincer-order-sign',
    });
    expect((await read('ValueSet-pincer-ppi.json')).resourceType).toBe('ValueSet');
  }, 120_000);
});
