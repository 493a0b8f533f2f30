import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CqlEvaluator, type ElmLibrary } from '../../src/engine/cql-evaluator.js';
import { ElmTranslator, formatDiagnostic, type ElmJson } from '../../src/engine/cql-translator.js';
import { patientBundle } from '../../src/engine/patient-bundle.js';
import { ValueSetIndex } from '../../src/engine/value-set-index.js';
import {
  NO_CONDITIONS,
  qrisk3Oracle,
  readQrisk3Table,
  type Qrisk3Input,
  type Qrisk3TableJson,
} from '../support/qrisk3-oracle.js';
import { ROOT } from '../support/test-service.js';

/**
 * QRISK3-2017 in CQL (knowledge/libraries/QRISK3.cql, generated from the coefficient table) against the
 * published example scores and against an independent TypeScript reading of the same table
 * (test/support/qrisk3-oracle.ts). Issue 3, "How it is checked".
 */

const INPUT_FIELDS = [
  'sex String',
  'age Integer',
  'bmi Decimal',
  'rati Decimal',
  'sbp Decimal',
  'sbps5 Decimal',
  'town Decimal',
  'ethrisk Integer',
  'smoke_cat Integer',
  ...Object.keys(NO_CONDITIONS).map((b) => `${b} Boolean`),
];

const HARNESS = `library QRISK3Harness version '0.0.0'
using FHIR version '4.0.1'
include QRISK3 version '2017.0.0' called QRISK3
parameter Inputs List<Tuple { ${INPUT_FIELDS.join(', ')} }>
context Patient
define "Scores": Inputs I return all QRISK3."Ten Year Risk"(I)
define "Disclaimer": QRISK3."Disclaimer"
`;

let table: Qrisk3TableJson;
let evaluator: CqlEvaluator;
const ONE_PATIENT = patientBundle([{ resourceType: 'Patient', id: 'harness' }]);
const NOW = '2026-06-15T10:00:00.000+01:00';

beforeAll(() => {
  table = readQrisk3Table();
  const result = new ElmTranslator().translate([
    { path: 'test/QRISK3Harness.cql', text: HARNESS },
    {
      path: 'knowledge/libraries/QRISK3.cql',
      text: readFileSync(path.join(ROOT, 'knowledge/libraries/QRISK3.cql'), 'utf8'),
    },
  ]);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const elmOf = (id: string): ElmJson => {
    const found = result.libraries.find((l) => l.identifier.id === id);
    if (found === undefined) throw new Error(`${id} was not translated`);
    return found.elm;
  };
  evaluator = new CqlEvaluator(
    elmOf('QRISK3Harness') as unknown as ElmLibrary,
    [elmOf('QRISK3') as unknown as ElmLibrary],
    new ValueSetIndex([]),
  );
});

/** Scores a batch of inputs in CQL. */
async function cqlScores(inputs: readonly Qrisk3Input[]): Promise<Array<number | null>> {
  const results = await evaluator.evaluate(ONE_PATIENT, NOW, { Inputs: inputs });
  return results['Scores'] as Array<number | null>;
}

// The published examples of qrisk3-2017.json: BMI 70/1.7^2, SBP 120, SD 10, Townsend 0, White, non-smoker.
const BMI = 70 / 1.7 ** 2;
const EXAMPLE = { bmi: BMI, sbp: 120, sbps5: 10, town: 0, ethrisk: 1, smoke_cat: 0, ...NO_CONDITIONS };
const PUBLISHED: Array<[string, Qrisk3Input]> = [
  ['male, age 65, ratio 4', { sex: 'male', age: 65, rati: 4, ...EXAMPLE }],
  ['female, age 55, ratio 8', { sex: 'female', age: 55, rati: 8, ...EXAMPLE }],
  ['male, age 35, ratio 3.5', { sex: 'male', age: 35, rati: 3.5, ...EXAMPLE }],
];

describe('QRISK3-2017 computed in CQL', () => {
  it('reproduces the three published example scores to one decimal place', async () => {
    const scores = await cqlScores(PUBLISHED.map(([, input]) => input));
    const published = table.publishedExamples.map((e) => e.score);
    expect(published).toEqual([12.7, 6.1, 0.6]);
    expect(scores.map((s) => Math.round((s ?? NaN) * 10) / 10)).toEqual(published);
    // The examples' descriptions match the inputs used here.
    PUBLISHED.forEach(([, input], i) => {
      expect(table.publishedExamples[i]?.inputs).toContain(`${input.sex}, age ${input.age}, `);
      expect(table.publishedExamples[i]?.inputs).toContain(`ratio ${input.rati}, SBP 120, SD 10`);
    });
  });

  it('agrees with an independent evaluation of the same table on 500 generated input sets', async () => {
    const random = mulberry32(20170613);
    const inputs = Array.from({ length: 500 }, () => generatedInput(random));
    const scores = await cqlScores(inputs);
    const differences = inputs.flatMap((input, i) => {
      const expected = qrisk3Oracle(table, input);
      const actual = scores[i];
      return typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, expected)
        ? []
        : [{ input, expected, actual }];
    });
    expect(differences).toEqual([]);
    // The generated inputs span the range of scores, not just low risks.
    expect(Math.max(...(scores as number[]))).toBeGreaterThan(40);
    expect(Math.min(...(scores as number[]))).toBeLessThan(1);
  });

  it('gives null, never a score, when an input is missing or a category is out of range', async () => {
    const complete = PUBLISHED[0]![1];
    const scores = await cqlScores([
      { ...complete, rati: null as unknown as number },
      { ...complete, smoke_cat: 5 },
      { ...complete, ethrisk: 10 },
      { ...complete, b_AF: null as unknown as boolean },
      { ...complete, sex: 'unknown' as 'male' },
    ]);
    expect(scores).toEqual([null, null, null, null, null]);
  });

  it('ignores erectile dysfunction for women and counts it for men', async () => {
    const [woman, womanEd, man, manEd] = await cqlScores([
      PUBLISHED[1]![1],
      { ...PUBLISHED[1]![1], b_impotence2: true },
      PUBLISHED[0]![1],
      { ...PUBLISHED[0]![1], b_impotence2: true },
    ]);
    expect(womanEd).toBe(woman);
    expect(manEd).toBeGreaterThan(man!);
  });

  it('holds the ClinRisk disclaimer from the table, to be shown with every score', async () => {
    const results = await evaluator.evaluate(ONE_PATIENT, NOW, { Inputs: [] });
    expect(results['Disclaimer']).toBe(table.disclaimer);
  });
});

/** A seeded PRNG (mulberry32), so a failing input set can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An input set within the model's credible ranges (clinical-spec §3.2). */
function generatedInput(random: () => number): Qrisk3Input {
  const between = (low: number, high: number) => low + (high - low) * random();
  const flag = (p = 0.2) => random() < p;
  const diabetes = random();
  return {
    sex: random() < 0.5 ? 'female' : 'male',
    age: Math.floor(between(25, 85)),
    bmi: between(18, 47),
    rati: between(1, 12),
    sbp: between(70, 210),
    sbps5: between(0, 30),
    town: between(-7, 11),
    ethrisk: Math.floor(between(0, 10)),
    smoke_cat: Math.floor(between(0, 5)),
    b_AF: flag(),
    b_atypicalantipsy: flag(),
    b_corticosteroids: flag(),
    b_impotence2: flag(),
    b_migraine: flag(),
    b_ra: flag(),
    b_renal: flag(),
    b_semi: flag(),
    b_sle: flag(0.1),
    b_treatedhyp: flag(0.3),
    b_type1: diabetes < 0.1,
    b_type2: diabetes >= 0.1 && diabetes < 0.3,
    fh_cvd: flag(),
  };
}
