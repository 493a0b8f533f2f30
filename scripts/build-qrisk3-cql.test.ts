import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  buildQrisk3Cql,
  cqlDecimal,
  DEFAULT_OUT,
  DEFAULT_TABLE,
  transformToCql,
  type Qrisk3Table,
} from './build-qrisk3-cql.js';

// Needs the coefficient table beside the repository (../shared/qrisk3), as CI has it.
const table = JSON.parse(await readFile(DEFAULT_TABLE, 'utf8')) as Qrisk3Table;

describe('build-qrisk3-cql', () => {
  it('has generated the committed QRISK3.cql from the coefficient table (nothing typed by hand)', async () => {
    expect(await readFile(DEFAULT_OUT, 'utf8')).toBe(buildQrisk3Cql(table));
  });

  it('writes every coefficient of the table into the library, exactly', () => {
    const cql = buildQrisk3Cql(table);
    for (const sex of ['female', 'male'] as const) {
      const t = table.coefficients[sex];
      const numbers = [
        t.baselineSurvival10y,
        ...t.ethnicity,
        ...t.smoking,
        ...Object.values(t.centring),
        ...t.terms.map((term) => Math.abs(term.coefficient)),
      ];
      for (const n of numbers) {
        expect(cql).toContain(cqlDecimal(n));
        expect(Number(cqlDecimal(n))).toBe(n);
      }
    }
  });

  it('writes numbers as CQL decimals without exponents, keeping every digit', () => {
    expect(cqlDecimal(-1.271874191588457e-5)).toBe('-0.00001271874191588457');
    expect(cqlDecimal(0)).toBe('0.0');
    expect(cqlDecimal(77.2840805053711)).toBe('77.2840805053711');
    expect(cqlDecimal(1e21)).toBe('1000000000000000000000.0');
    expect(Number(cqlDecimal(-9.329964232327289e-5))).toBe(-9.329964232327289e-5);
  });

  it('translates the transforms the table uses and refuses any other form', () => {
    expect(transformToCql('pow(dage,-2)')).toBe('Power((input.age / 10.0), -2.0)');
    expect(transformToCql('pow(dbmi,-2)*log(dbmi)')).toBe(
      'Power((input.bmi / 10.0), -2.0) * Ln((input.bmi / 10.0))',
    );
    expect(transformToCql('dage')).toBe('(input.age / 10.0)');
    expect(() => transformToCql('exp(dage)')).toThrow(/unsupported transform/);
    expect(() => transformToCql('pow(dsbp,2)')).toThrow(/unsupported transform/);
  });

  it('refuses a table whose ethnicity or smoking coefficients are the wrong length', () => {
    const broken = structuredClone(table);
    broken.coefficients.male.smoking.pop();
    expect(() => buildQrisk3Cql(broken)).toThrow(/smoking needs 5/);
  });
});
