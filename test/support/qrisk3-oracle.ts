/**
 * A test oracle for QRISK3-2017: evaluates ../shared/qrisk3/qrisk3-2017.json directly, reading its
 * "howToRead" recipe, so that the generated CQL (knowledge/libraries/QRISK3.cql) can be checked against a
 * second, independent reading of the same table. Test code only: never used to score a patient.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const QRISK3_TABLE_FILE = path.resolve(import.meta.dirname, '../../../shared/qrisk3/qrisk3-2017.json');

interface SexTable {
  baselineSurvival10y: number;
  ethnicity: number[];
  smoking: number[];
  transforms: Record<string, string>;
  centring: Record<string, number>;
  terms: Array<{ factors: string[]; coefficient: number }>;
}

export interface Qrisk3TableJson {
  disclaimer: string;
  publishedExamples: Array<{ inputs: string; score: number }>;
  coefficients: { female: SexTable; male: SexTable };
}

/** The model's inputs, named as in the table. */
export interface Qrisk3Input {
  sex: 'female' | 'male';
  age: number;
  bmi: number;
  rati: number;
  sbp: number;
  sbps5: number;
  town: number;
  ethrisk: number;
  smoke_cat: number;
  b_AF: boolean;
  b_atypicalantipsy: boolean;
  b_corticosteroids: boolean;
  b_impotence2: boolean;
  b_migraine: boolean;
  b_ra: boolean;
  b_renal: boolean;
  b_semi: boolean;
  b_sle: boolean;
  b_treatedhyp: boolean;
  b_type1: boolean;
  b_type2: boolean;
  fh_cvd: boolean;
}

export function readQrisk3Table(): Qrisk3TableJson {
  return JSON.parse(readFileSync(QRISK3_TABLE_FILE, 'utf8')) as Qrisk3TableJson;
}

/** Evaluates one transform expression of the table (pow, log, products of dage/dbmi) with its own parser. */
function evaluateTransform(expression: string, dage: number, dbmi: number): number {
  const value = (name: string) => {
    if (name === 'dage') return dage;
    if (name === 'dbmi') return dbmi;
    throw new Error(`unknown variable ${name}`);
  };
  return expression
    .replace(/\s+/g, '')
    .split('*')
    .reduce((product, factor) => {
      const pow = /^pow\((\w+),(-?\d+(?:\.\d+)?)\)$/.exec(factor);
      if (pow) return product * value(pow[1] ?? '') ** Number(pow[2]);
      const log = /^log\((\w+)\)$/.exec(factor);
      if (log) return product * Math.log(value(log[1] ?? ''));
      return product * value(factor);
    }, 1);
}

/** The 10-year risk in percent, unrounded. */
export function qrisk3Oracle(table: Qrisk3TableJson, input: Qrisk3Input): number {
  const t = table.coefficients[input.sex];
  const centred: Record<string, number> = {};
  for (const [name, expression] of Object.entries(t.transforms)) {
    centred[name] = evaluateTransform(expression, input.age / 10, input.bmi / 10) - (t.centring[name] ?? NaN);
  }
  for (const name of ['rati', 'sbp', 'sbps5', 'town'] as const) {
    centred[name] = input[name] - (t.centring[name] ?? NaN);
  }
  const factorValue = (factor: string): number => {
    const c = centred[factor];
    if (c !== undefined) return c;
    const smoke = /^\(smoke_cat==(\d)\)$/.exec(factor);
    if (smoke) return input.smoke_cat === Number(smoke[1]) ? 1 : 0;
    const flag = (input as unknown as Record<string, unknown>)[factor];
    if (typeof flag !== 'boolean') throw new Error(`unknown factor ${factor}`);
    return flag ? 1 : 0;
  };
  let a = (t.ethnicity[input.ethrisk] ?? NaN) + (t.smoking[input.smoke_cat] ?? NaN);
  for (const term of t.terms) a += term.factors.reduce((p, f) => p * factorValue(f), term.coefficient);
  return 100 * (1 - t.baselineSurvival10y ** Math.exp(a));
}

/** Every boolean false: "no conditions" in the published examples. */
export const NO_CONDITIONS = {
  b_AF: false,
  b_atypicalantipsy: false,
  b_corticosteroids: false,
  b_impotence2: false,
  b_migraine: false,
  b_ra: false,
  b_renal: false,
  b_semi: false,
  b_sle: false,
  b_treatedhyp: false,
  b_type1: false,
  b_type2: false,
  fh_cvd: false,
} as const;
