import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CqlEvaluator, type ElmLibrary } from '../../src/engine/cql-evaluator.js';
import { ElmTranslator, formatDiagnostic } from '../../src/engine/cql-translator.js';
import { patientBundle } from '../../src/engine/patient-bundle.js';
import { ValueSetIndex } from '../../src/engine/value-set-index.js';
import { ROOT } from '../support/test-service.js';

/**
 * The Pooled Cohort Equations in CQL (knowledge/libraries/PooledCohortEquations.cql) against the worked
 * example of the 2013 ACC/AHA guideline (Goff et al., Appendix Table A): a 55-year-old with total
 * cholesterol 213 mg/dL, HDL 50 mg/dL, untreated systolic BP 120 mmHg, non-smoker, no diabetes.
 * Published: white women 2.1%, African-American women 3.0%, white men 5.3%, African-American men 6.1%.
 */

interface PceInput {
  sex: 'female' | 'male';
  africanAmerican: boolean;
  age: number;
  totalCholesterol: number;
  hdl: number;
  sbp: number;
  treatedBp: boolean;
  smoker: boolean;
  diabetes: boolean;
}

const FIELDS =
  'sex String, africanAmerican Boolean, age Integer, totalCholesterol Decimal, hdl Decimal, sbp Decimal, treatedBp Boolean, smoker Boolean, diabetes Boolean';

const HARNESS = `library PceHarness version '0.0.0'
using FHIR version '4.0.1'
include PooledCohortEquations version '2013.0.0' called PCE
parameter Inputs List<Tuple { ${FIELDS} }>
parameter Sums List<Decimal>
context Patient
define "Individual Sums": Inputs I return all PCE."Individual Sum"(I)
define "Risks": Inputs I return all PCE."Ten Year Risk"(I)
define "Risks From Sums": (Inputs I return all Tuple { input: I, index: IndexOf(Inputs, I) }) X
  return all PCE."Risk From Sum"(Sums[X.index], X.input.sex = 'female', X.input.africanAmerican)
`;

let evaluator: CqlEvaluator;
const PATIENT = patientBundle([{ resourceType: 'Patient', id: 'harness' }]);
const NOW = '2026-06-15T10:00:00.000+01:00';

beforeAll(() => {
  const result = new ElmTranslator().translate([
    { path: 'test/PceHarness.cql', text: HARNESS },
    {
      path: 'knowledge/libraries/PooledCohortEquations.cql',
      text: readFileSync(path.join(ROOT, 'knowledge/libraries/PooledCohortEquations.cql'), 'utf8'),
    },
  ]);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const elmOf = (id: string): ElmLibrary => {
    const found = result.libraries.find((l) => l.identifier.id === id);
    if (found === undefined) throw new Error(`${id} was not translated`);
    return found.elm as unknown as ElmLibrary;
  };
  evaluator = new CqlEvaluator(elmOf('PceHarness'), [elmOf('PooledCohortEquations')], new ValueSetIndex([]));
});

async function run(inputs: PceInput[], sums: number[] = inputs.map(() => 0)) {
  return evaluator.evaluate(PATIENT, NOW, { Inputs: inputs, Sums: sums });
}

const EXAMPLE = {
  age: 55,
  totalCholesterol: 213,
  hdl: 50,
  sbp: 120,
  treatedBp: false,
  smoker: false,
  diabetes: false,
};
const GROUPS: PceInput[] = [
  { sex: 'female', africanAmerican: false, ...EXAMPLE },
  { sex: 'female', africanAmerican: true, ...EXAMPLE },
  { sex: 'male', africanAmerican: false, ...EXAMPLE },
  { sex: 'male', africanAmerican: true, ...EXAMPLE },
];
/** Table A "Individual Sum", two decimals, white women, AA women, white men, AA men. */
const TABLE_A_SUMS = [-29.67, 86.16, 60.69, 18.97];
/** Table A "Estimated 10-y risk of hard ASCVD". */
const PUBLISHED_RISKS = [2.1, 3.0, 5.3, 6.1];

const oneDecimal = (x: unknown) => Math.round((x as number) * 10) / 10;
const twoDecimalsTruncated = (x: unknown) => Math.trunc((x as number) * 100) / 100;

describe('Pooled Cohort Equations computed in CQL', () => {
  it('gives the individual sums of the guideline worked example (Table A, to two decimals)', async () => {
    const results = await run(GROUPS);
    expect((results['Individual Sums'] as number[]).map(twoDecimalsTruncated)).toEqual(TABLE_A_SUMS);
  });

  it('reproduces the published risks 2.1%, 3.0%, 5.3% and 6.1% from the table sums', async () => {
    const results = await run(GROUPS, TABLE_A_SUMS);
    expect((results['Risks From Sums'] as number[]).map(oneDecimal)).toEqual(PUBLISHED_RISKS);
  });

  it('agrees with the published risks at full precision, but for white men (5.38%, published 5.3% from a sum cut to 60.69)', async () => {
    const results = await run(GROUPS);
    const risks = results['Risks'] as number[];
    expect(risks.map(oneDecimal)).toEqual([2.1, 3.0, 5.4, 6.1]);
    expect(risks[2]).toBeCloseTo(5.384, 3);
  });

  it('computes only for ages 40 to 79', async () => {
    const results = await run([39, 40, 79, 80].map((age) => ({ ...GROUPS[2]!, age })));
    const risks = results['Risks'] as Array<number | null>;
    expect(risks[0]).toBeNull();
    expect(risks[1]).toBeGreaterThan(0);
    expect(risks[2]).toBeGreaterThan(risks[1]!);
    expect(risks[3]).toBeNull();
  });

  it('clamps total cholesterol, HDL and systolic BP to the ranges of the technical report', async () => {
    const base = GROUPS[2]!;
    const results = await run([
      { ...base, totalCholesterol: 130, hdl: 100, sbp: 90 },
      { ...base, totalCholesterol: 100, hdl: 140, sbp: 70 },
      { ...base, totalCholesterol: 320, hdl: 20, sbp: 200 },
      { ...base, totalCholesterol: 400, hdl: 10, sbp: 240 },
    ]);
    const risks = results['Risks'] as number[];
    expect(risks[1]).toBe(risks[0]);
    expect(risks[3]).toBe(risks[2]);
  });

  it('raises the risk for treated blood pressure, smoking and diabetes, and never imputes a missing input', async () => {
    const base = GROUPS[0]!;
    const results = await run([
      base,
      { ...base, treatedBp: true },
      { ...base, smoker: true },
      { ...base, diabetes: true },
      { ...base, hdl: null as unknown as number },
      { ...base, sex: 'other' as 'female' },
    ]);
    const [untreated, treated, smoker, diabetes, missing, otherSex] = results['Risks'] as Array<
      number | null
    >;
    expect(treated).toBeGreaterThan(untreated!);
    expect(smoker).toBeGreaterThan(untreated!);
    expect(diabetes).toBeGreaterThan(untreated!);
    expect(missing).toBeNull();
    expect(otherSex).toBeNull();
  });
});
