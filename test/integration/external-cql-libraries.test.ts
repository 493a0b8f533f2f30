import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/engine/cql-diagnostic.js';
import { CqlEvaluator, type ElmLibrary, type ExpressionResults } from '../../src/engine/cql-evaluator.js';
import { compileKnowledge, type CompiledLibrary } from '../../src/engine/knowledge-compiler.js';
import { patientBundle, type FhirResource } from '../../src/engine/patient-bundle.js';
import { ValueSetIndex } from '../../src/engine/value-set-index.js';
import { ROOT } from '../support/test-service.js';

/**
 * Issue 3, "How it is checked", third bullet: libraries written elsewhere against the standard FHIRHelpers
 * 4.0.1, in the style of AHRQ CDS Connect (implicit conversions of Coding, CodeableConcept, Quantity,
 * Period and the primitives), run unchanged. The folder test/fixtures/external-cql lies outside knowledge/
 * and is named by LOOPCDS_EXTRA_LIBRARY_DIRS, as an operator would; it is compiled the way
 * `loopcds knowledge build` compiles (knowledge/ plus the extra folders) and both libraries are evaluated
 * on the same records. src/engine/fhir-helpers.test.ts checks the conversions themselves on inline CQL.
 */

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'external-cql');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';
const NOW = '2026-06-15T10:00:00.000+01:00';

const VALUE_SETS = new ValueSetIndex([
  {
    url: 'http://example.org/fhir/ValueSet/statins',
    expansion: {
      contains: [
        { system: RXNORM, code: '617310' },
        { system: RXNORM, code: '617311' },
      ],
    },
  },
  {
    url: 'http://example.org/fhir/ValueSet/lipid-tests',
    expansion: {
      contains: [
        { system: LOINC, code: '18262-6' },
        { system: LOINC, code: '2085-9' },
      ],
    },
  },
]);

const quantity = (value: number, code: string) => ({
  value,
  unit: code,
  system: 'http://unitsofmeasure.org',
  code,
});
const observation = (
  id: string,
  code: string,
  value: number,
  unit: string,
  date: string,
  status = 'final',
) => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: LOINC, code }] },
  valueQuantity: quantity(value, unit),
  effectiveDateTime: date,
});
const order = (id: string, code: string, status: string, repeats: number) => ({
  resourceType: 'MedicationRequest',
  id,
  status,
  intent: 'order',
  medicationCodeableConcept: { coding: [{ system: RXNORM, code, display: `rxnorm ${code}` }] },
  dispenseRequest: { numberOfRepeatsAllowed: repeats },
});

/** Three records that exercise each conversion both ways. */
const RECORDS: Array<{ name: string; resources: FhirResource[] }> = [
  {
    name: 'a woman with an LDL of 150 mg/dL, a statin, hypertension and encounters',
    resources: [
      { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1961-03-01', active: true },
      observation('ldl-old', '18262-6', 120, 'mg/dL', '2018-01-01T09:00:00Z'),
      observation('ldl-new', '18262-6', 150, 'mg/dL', '2025-11-02T09:00:00Z'),
      observation('ldl-prelim', '18262-6', 300, 'mg/dL', '2026-01-02T09:00:00Z', 'preliminary'),
      observation('hdl', '2085-9', 45, 'mg/dL', '2025-11-02T09:00:00Z'),
      order('mr-statin', '617310', 'active', 3),
      order('mr-statin-stopped', '617311', 'stopped', 0),
      order('mr-other', '197361', 'active', 1),
      {
        resourceType: 'Condition',
        id: 'htn',
        code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
      },
      {
        resourceType: 'Encounter',
        id: 'enc-2025',
        status: 'finished',
        class: { code: 'AMB' },
        period: { start: '2025-03-01T09:00:00Z', end: '2025-03-01T10:00:00Z' },
      },
      {
        resourceType: 'Encounter',
        id: 'enc-ongoing',
        status: 'in-progress',
        class: { code: 'IMP' },
        period: { start: '2024-12-30T09:00:00Z' },
      },
    ],
  },
  {
    name: 'a man with an LDL of exactly 130 mg/dL and no statin',
    resources: [
      { resourceType: 'Patient', id: 'p2', gender: 'male', birthDate: '1975-06-15', active: false },
      observation('ldl-130', '18262-6', 130, 'mg/dL', '2024-06-15T08:00:00Z'),
      order('mr-other', '197361', 'completed', 2),
    ],
  },
  {
    name: 'an empty record',
    resources: [{ resourceType: 'Patient', id: 'p3' }],
  },
];

let cacheDir: string;
let implicit: CqlEvaluator;
let explicit: CqlEvaluator;
let extraLibraryDirs: readonly string[];

beforeAll(async () => {
  const config = loadConfig({ root: ROOT, env: { LOOPCDS_EXTRA_LIBRARY_DIRS: FIXTURES } });
  extraLibraryDirs = config.extraLibraryDirs;
  // Start from the suite's ELM cache so that only the two external libraries are translated here.
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'loopcds-external-cql-'));
  const suiteCache = config.elmCacheDir;
  for (const file of await readdir(suiteCache).catch(() => [] as string[]))
    if (file.endsWith('.json') && file !== 'index.json')
      await cp(path.join(suiteCache, file), path.join(cacheDir, file));
  const report = await compileKnowledge({
    knowledgeDirs: [config.knowledgeDir, ...config.extraLibraryDirs],
    cacheDir,
    baseDir: ROOT,
  });
  const fixtureErrors = report.diagnostics.filter(
    (d) => d.severity === 'error' && d.path.startsWith('test/fixtures/external-cql'),
  );
  expect(fixtureErrors.map(formatDiagnostic)).toEqual([]);
  const elm = (id: string): ElmLibrary => {
    const found = report.libraries.find((l: CompiledLibrary) => l.id === id);
    if (found === undefined) throw new Error(`${id} was not compiled`);
    return found.elm as ElmLibrary;
  };
  const helpers = elm('FHIRHelpers');
  implicit = new CqlEvaluator(elm('CdsConnectStyleImplicit'), [helpers], VALUE_SETS);
  explicit = new CqlEvaluator(elm('CdsConnectStyleExplicit'), [helpers], VALUE_SETS);
});

afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

/**
 * Expressions compared between the two styles: all but "Most Recent LDL Value", which the implicit library
 * leaves a FHIR.Quantity (nothing asks for a conversion) and the explicit one converts; it is checked below.
 */
const comparable = (results: ExpressionResults) =>
  Object.fromEntries(Object.entries(results).filter(([name]) => name !== 'Most Recent LDL Value'));
const ids = (value: unknown) => (value as Array<{ id: string }>).map((r) => r.id).sort();

describe('CQL libraries from outside knowledge/ (LOOPCDS_EXTRA_LIBRARY_DIRS)', () => {
  it('reads the folder from the setting, as `loopcds knowledge build` does', () => {
    expect(extraLibraryDirs).toEqual([FIXTURES]);
  });

  it.each(RECORDS.map((r) => [r.name, r.resources] as const))(
    'gives the same results with implicit and explicit FHIRHelpers conversions for %s',
    async (_name, resources) => {
      const bundle = patientBundle(resources);
      const [a, b] = await Promise.all([implicit.evaluate(bundle, NOW), explicit.evaluate(bundle, NOW)]);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      expect(comparable(a)).toEqual(comparable(b));
    },
  );

  it('converts each type as the standard FHIRHelpers does (the values, not only the agreement)', async () => {
    const results = await implicit.evaluate(patientBundle(RECORDS[0]!.resources), NOW);
    expect(results['Is Female']).toBe(true);
    expect(results['Is Active']).toBe(true);
    expect(results['Born Before 1970']).toBe(true);
    expect(ids(results['LDL Observations'])).toEqual(['ldl-new', 'ldl-old']);
    expect(ids(results['Lipid Observations'])).toEqual(['hdl', 'ldl-new', 'ldl-old', 'ldl-prelim']);
    expect(ids(results['Hypertension Conditions'])).toEqual(['htn']);
    expect(ids(results['Statin Orders'])).toEqual(['mr-statin']);
    expect(results['Most Recent LDL Value']).toEqual(quantity(150, 'mg/dL'));
    const converted = await explicit.evaluate(patientBundle(RECORDS[0]!.resources), NOW);
    expect(converted['Most Recent LDL Value']).toEqual({ value: 150, unit: 'mg/dL' });
    expect(results['LDL Over 130']).toBe(true);
    expect(results['LDL In g/L']).toEqual({ value: 1.5, unit: 'g/L' });
    expect(ids(results['LDL In Last 6 Years'])).toEqual(['ldl-new']);
    expect(ids(results['Encounters In 2025'])).toEqual(['enc-2025', 'enc-ongoing']);
    expect(ids(results['Ongoing Encounters'])).toEqual(['enc-ongoing']);
    expect(ids(results['Repeats Allowed'])).toEqual(['mr-statin']);
  });

  it('keeps the quantity comparison strict at the boundary (130 mg/dL is not over 130)', async () => {
    const results = await implicit.evaluate(patientBundle(RECORDS[1]!.resources), NOW);
    expect(results['LDL Over 130']).toBe(false);
    expect(results['Is Active']).toBe(false);
    expect(ids(results['Repeats Allowed'])).toEqual(['mr-other']);
  });
});
