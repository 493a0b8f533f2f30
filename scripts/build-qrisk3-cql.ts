/**
 * Generates knowledge/libraries/QRISK3.cql from the QRISK3-2017 coefficient table
 * (../shared/qrisk3/qrisk3-2017.json, clinical-spec §3.2), so that no coefficient is typed by hand.
 *
 *   tsx scripts/build-qrisk3-cql.ts [--table <json>] [--out <cql>] [--check]
 *
 * `--check` writes nothing and exits 1 when the committed library differs from a rebuild.
 * scripts/build-qrisk3-cql.test.ts runs the check, and test/knowledge/qrisk3.test.ts compares the CQL's
 * scores with an independent evaluation of the same table.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_TABLE = path.resolve(REPO_ROOT, '../shared/qrisk3/qrisk3-2017.json');
export const DEFAULT_OUT = path.resolve(REPO_ROOT, 'knowledge/libraries/QRISK3.cql');

/** The library's name and version: the model's name and release year. */
export const QRISK3_LIBRARY = { name: 'QRISK3', version: '2017.0.0' } as const;

export interface Qrisk3Term {
  factors: string[];
  coefficient: number;
}

export interface Qrisk3SexTable {
  baselineSurvival10y: number;
  ethnicity: number[];
  smoking: number[];
  transforms: Record<string, string>;
  centring: Record<string, number>;
  terms: Qrisk3Term[];
}

/** The part of qrisk3-2017.json the generator reads. */
export interface Qrisk3Table {
  model: string;
  source: string;
  licence: string;
  disclaimer: string;
  coefficients: { female: Qrisk3SexTable; male: Qrisk3SexTable };
}

/** Continuous inputs that are centred, as named in the table (the transforms add age_1, age_2, bmi_1, bmi_2). */
const CONTINUOUS = ['rati', 'sbp', 'sbps5', 'town'] as const;

/** Boolean inputs, as named in the table ("howToRead"). */
export const BOOLEAN_INPUTS = [
  'b_AF',
  'b_atypicalantipsy',
  'b_corticosteroids',
  'b_impotence2',
  'b_migraine',
  'b_ra',
  'b_renal',
  'b_semi',
  'b_sle',
  'b_treatedhyp',
  'b_type1',
  'b_type2',
  'fh_cvd',
] as const;

/** The CQL type of the model's input: one tuple, element names as in the table. */
const INPUT_TYPE = [
  'Tuple {',
  '    sex String,',
  '    age Integer,',
  '    bmi Decimal,',
  '    rati Decimal,',
  '    sbp Decimal,',
  '    sbps5 Decimal,',
  '    town Decimal,',
  '    ethrisk Integer,',
  '    smoke_cat Integer,',
  ...BOOLEAN_INPUTS.map((b, i) => `    ${b} Boolean${i === BOOLEAN_INPUTS.length - 1 ? '' : ','}`),
  '  }',
].join('\n');

/**
 * A number as a CQL Decimal literal: plain notation (CQL has no exponent form) with every significant
 * digit of the JSON number kept, so the engine parses back exactly the same double.
 */
export function cqlDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const negative = n < 0 || Object.is(n, -0);
  const text = String(Math.abs(n));
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (match === null) throw new Error(`cannot write ${n} as a CQL decimal`);
  const [, whole = '', fraction = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const digits = whole + fraction;
  let point = whole.length + exponent;
  let padded = digits;
  if (point <= 0) {
    padded = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    padded = digits + '0'.repeat(point - digits.length);
  }
  const intPart = padded.slice(0, point).replace(/^0+(?=\d)/, '');
  const fracPart = padded.slice(point).replace(/0+$/, '');
  return `${negative ? '-' : ''}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

/** A CQL string literal. */
function cqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Translates one transform of the table (a C expression over dage and dbmi) to CQL. Only the forms the
 * table uses are accepted: pow(v,n), log(v), v, and products of those; anything else is an error, so a
 * changed table cannot be silently mistranslated.
 */
export function transformToCql(expression: string, operand = 'input'): string {
  const variable = (name: string): string => {
    if (name === 'dage') return `(${operand}.age / 10.0)`;
    if (name === 'dbmi') return `(${operand}.bmi / 10.0)`;
    throw new Error(`unknown variable ${name} in transform ${expression}`);
  };
  return expression
    .replace(/\s+/g, '')
    .split('*')
    .map((factor) => {
      let m = /^pow\((dage|dbmi),(-?\d+)\)$/.exec(factor);
      if (m?.[1] !== undefined && m[2] !== undefined) return `Power(${variable(m[1])}, ${m[2]}.0)`;
      m = /^log\((dage|dbmi)\)$/.exec(factor);
      if (m?.[1] !== undefined) return `Ln(${variable(m[1])})`;
      if (factor === 'dage' || factor === 'dbmi') return variable(factor);
      throw new Error(`unsupported transform ${expression}`);
    })
    .join(' * ');
}

/** The name a factor of a term has in the factors tuple. */
function factorName(factor: string): string {
  const smoke = /^\(smoke_cat==([1-4])\)$/.exec(factor);
  if (smoke?.[1] !== undefined) return `smoke_${smoke[1]}`;
  return factor;
}

function sexFunctions(sex: 'female' | 'male', table: Qrisk3SexTable): string {
  const title = sex === 'female' ? 'Female' : 'Male';
  const transformed = Object.keys(table.transforms).sort();
  const centred = [...transformed, ...CONTINUOUS];
  for (const name of centred) {
    if (table.centring[name] === undefined) throw new Error(`${sex}: no centring constant for ${name}`);
  }
  const used = new Set(table.terms.flatMap((t) => t.factors));
  const booleans = BOOLEAN_INPUTS.filter((b) => used.has(b));
  const smokes = [...used].filter((f) => f.startsWith('(smoke_cat==')).sort();
  for (const factor of used) {
    if (
      !centred.includes(factor) &&
      !(BOOLEAN_INPUTS as readonly string[]).includes(factor) &&
      !smokes.includes(factor)
    )
      throw new Error(`${sex}: unknown factor ${factor}`);
  }
  const factorLines = [
    ...transformed.map(
      (name) =>
        `    ${name}: ${transformToCql(table.transforms[name] ?? '', 'factorInput')} - ${cqlDecimal(table.centring[name] ?? NaN)}`,
    ),
    ...CONTINUOUS.map(
      (name) => `    ${name}: factorInput.${name} - ${cqlDecimal(table.centring[name] ?? NaN)}`,
    ),
    ...booleans.map((b) => `    ${b}: if factorInput.${b} then 1.0 else 0.0`),
    ...smokes.map(
      (s) => `    ${factorName(s)}: if factorInput.smoke_cat = ${s.slice(12, 13)} then 1.0 else 0.0`,
    ),
  ];
  const termLines = table.terms.map((term) => {
    const sign = term.coefficient < 0 ? '-' : '+';
    const product = term.factors.map((f) => `f.${factorName(f)}`).join(' * ');
    return `      ${sign} ${cqlDecimal(Math.abs(term.coefficient))} * ${product}`;
  });
  return `/*
 * ${title}s: the centred and transformed inputs (booleans and smoking categories as 0 or 1), computed once
 * and shared by every term.
 */
define function "${title} Factors"(factorInput ${INPUT_TYPE}):
  Tuple {
${factorLines.join(',\n')}
  }

/* ${title}s: the linear predictor a = ethnicity[ethrisk] + smoking[smoke_cat] + sum of coefficient x factors. */
define function "${title} Linear Predictor"(predictorInput ${INPUT_TYPE}):
  First(({ "${title} Factors"(predictorInput) }) f
    return all
      { ${table.ethnicity.map(cqlDecimal).join(', ')} }[predictorInput.ethrisk]
      + { ${table.smoking.map(cqlDecimal).join(', ')} }[predictorInput.smoke_cat]
${termLines.join('\n')}
  )

/* ${title}s: score (%) = 100 x (1 - S0 ^ exp(a)), with the 10-year baseline survival S0. */
define function "${title} Ten Year Risk"(scoreInput ${INPUT_TYPE}):
  100.0 * (1.0 - Power(${cqlDecimal(table.baselineSurvival10y)}, Exp("${title} Linear Predictor"(scoreInput))))
`;
}

/** Wraps text as lines of a block comment, at most `width` characters. */
function commentLines(text: string, width = 104): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => ` *   ${l}`);
}

/** The whole library, deterministic for a given table. */
export function buildQrisk3Cql(table: Qrisk3Table): string {
  const { female, male } = table.coefficients;
  if (female.ethnicity.length !== 10 || male.ethnicity.length !== 10)
    throw new Error('ethnicity needs 10 coefficients (ethrisk 0-9)');
  if (female.smoking.length !== 5 || male.smoking.length !== 5)
    throw new Error('smoking needs 5 coefficients (smoke_cat 0-4)');
  const complete = [
    'candidate.sex is not null',
    'candidate.age is not null',
    ...['bmi', 'rati', 'sbp', 'sbps5', 'town'].map((n) => `candidate.${n} is not null`),
    'candidate.ethrisk between 0 and 9',
    'candidate.smoke_cat between 0 and 4',
    ...BOOLEAN_INPUTS.map((b) => `candidate.${b} is not null`),
  ];
  return `/*
 * QRISK3-2017: the 10-year risk (%) of a heart attack or stroke, computed in CQL.
 *
 * GENERATED by scripts/build-qrisk3-cql.ts from ../shared/qrisk3/qrisk3-2017.json: do not edit by hand.
 * Change the script or the table and rebuild with \`npx tsx scripts/build-qrisk3-cql.ts\`; a test fails
 * while this file differs from a rebuild, and another compares its scores with an independent
 * evaluation of the same table over generated inputs (test/knowledge/qrisk3.test.ts).
 *
 * Source of the model:
${commentLines(table.source).join('\n')}
 *
 * Licence. This library implements the QRISK3-2017 algorithm from ClinRisk's open-source release and is
 * distributed under the GNU Lesser General Public License v3.0 with ClinRisk's additional terms, not
 * under the Apache-2.0 licence of the rest of loopcds (docs/qrisk3-licence.md explains what that means
 * for users and for changes):
${commentLines(table.licence).join('\n')}
 *
 * Disclaimer (ClinRisk's additional terms: it must be held together with any score, and displayed, or
 * made easily accessible, wherever a score is displayed; "Disclaimer" below holds it for cards):
${commentLines(table.disclaimer).join('\n')}
 *
 * Inputs (clinical-spec §3.2): sex 'female' | 'male'; age in whole years (the model is valid for 25-84;
 * the caller checks); bmi (kg/m2); rati (total cholesterol / HDL cholesterol); sbp (systolic blood
 * pressure, mmHg); sbps5 (standard deviation of recent systolic readings); town (Townsend deprivation
 * score); ethrisk 0-9 (0 or 1 White or not stated, 2 Indian, 3 Pakistani, 4 Bangladeshi, 5 Other Asian,
 * 6 Black Caribbean, 7 Black African, 8 Chinese, 9 Other); smoke_cat 0-4 (non, ex, light <10/day,
 * moderate 10-19, heavy 20+); and the booleans, of which b_impotence2 (erectile dysfunction) enters the
 * male equation only. An incomplete input (any element null, a category out of range) gives null: this
 * library never imputes.
 */
library ${QRISK3_LIBRARY.name} version '${QRISK3_LIBRARY.version}'

/* The model, as displayed beside a score. */
define "Model": ${cqlString(table.model.replace(/ 10-year cardiovascular risk$/, ''))}

/* ClinRisk's disclaimer, to be shown (or linked) wherever a score is displayed. */
define "Disclaimer":
  ${cqlString(table.disclaimer)}

/* Whether every input is present and each category is in range. */
define function "Is Complete"(candidate ${INPUT_TYPE}):
  ${complete.join('\n    and ')}

/* The 10-year risk in percent, unrounded; null when the input is incomplete or sex is neither. */
define function "Ten Year Risk"(input ${INPUT_TYPE}):
  if "Is Complete"(input) is not true then null
  else if input.sex = 'female' then "Female Ten Year Risk"(input)
  else if input.sex = 'male' then "Male Ten Year Risk"(input)
  else null

${sexFunctions('female', female)}
${sexFunctions('male', male)}`;
}

/** Reads the table, builds the library, and writes it (or, with `check`, compares). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { table: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } },
  });
  const tableFile = values.table === undefined ? DEFAULT_TABLE : path.resolve(values.table);
  const outFile = values.out === undefined ? DEFAULT_OUT : path.resolve(values.out);
  const table = JSON.parse(await readFile(tableFile, 'utf8')) as Qrisk3Table;
  const cql = buildQrisk3Cql(table);
  if (values.check === true) {
    const committed = await readFile(outFile, 'utf8').catch(() => '');
    if (committed !== cql) {
      process.stderr.write(`${outFile} differs from a rebuild from ${tableFile}\n`);
      return 1;
    }
    return 0;
  }
  await writeFile(outFile, cql);
  process.stdout.write(`wrote ${outFile}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
