import { ageInYears } from '../patient-key.js';
import { addDays, addMonths, daysBetween, within, type CalendarDate } from './calendar-date.js';
import type { SynthCodes } from './synth-codes.js';
import type { SynthIssue, SynthPatientFacts, SynthTest } from './synth-facts.js';

/** Whether a patient is in an indicator's denominator and numerator. */
export interface OracleVerdict {
  denominator: boolean;
  numerator: boolean;
}

type Indicator = (p: SynthPatientFacts, t: OracleContext) => OracleVerdict;

interface OracleContext {
  t0: CalendarDate;
  /** Issues of drugs in a value set (file name) dated in [t0 - from months, t0 - to months]. */
  rx(vs: string, fromMonths: number, toMonths: number): SynthIssue[];
  /** Any coded event (diagnosis or coded observation) in the value set dated on or before `date`. */
  history(vs: string, onOrBefore: CalendarDate): boolean;
  /** Tests in the value set dated in [from, t0]. */
  testsSince(vs: string, from: CalendarDate): SynthTest[];
  in(vs: string, coding: { system: string; code: string }): boolean;
}

/**
 * An independent statement, in TypeScript over the generator's facts, of the PINCER indicators as
 * clinical-spec §1.3-§1.5 defines them and loopcds's artefacts implement them (windows in calendar months
 * with both ends included; co-prescription as two issues less than 28 days apart, §1.4). It knows the
 * expected denominator and numerator of each generated patient without running any CQL, so a population
 * run can be checked against it exactly. Only the facts the generator writes are handled (no undated
 * records, no comparators, no draft orders).
 */
export const PINCER_ORACLE: Readonly<Record<string, Indicator>> = {
  'pincer-a': (p, t) => gi(t, age(p, t) >= 65, 'pincer-nsaid-curated'),
  'pincer-b': (_p, t) => gi(t, ulcerHistory(t), 'pincer-nsaid-curated'),
  'pincer-c': (_p, t) => {
    const den = ulcerHistory(t) && t.rx('pincer-ppi', 3, 0).length === 0;
    return verdict(
      den,
      t.rx('pincer-aspirin', 3, 0).length + t.rx('pincer-non-asp-antiplate', 3, 0).length > 0,
    );
  },
  'pincer-d': (_p, t) =>
    verdict(t.rx('pincer-anticoag', 3, 0).length > 0, t.rx('pincer-nsaid-curated', 3, 0).length > 0),
  'pincer-e': (_p, t) => coPrescribed(t, 'pincer-anticoag', 'pincer-antiplat'),
  'pincer-f': (_p, t) => coPrescribed(t, 'pincer-aspirin', 'pincer-non-asp-antiplate'),
  'pincer-g': (p, t) => {
    const events = (vs: string) =>
      p.events.filter((e) => t.in(vs, e.coding) && e.date <= t.t0).map((e) => e.date);
    const asthma = events('pincer-ast');
    const resolved = events('pincer-ast-res');
    const latestAsthma = asthma.sort().at(-1);
    const latestResolved = resolved.sort().at(-1);
    const active =
      t.history('pincer-ast', addMonths(t.t0, -3)) &&
      (latestResolved === undefined || (latestAsthma !== undefined && latestResolved < latestAsthma));
    return verdict(active, t.rx('pincer-nsbb', 3, 0).length > 0);
  },
  'pincer-i': (_p, t) =>
    verdict(t.history('pincer-hf', addMonths(t.t0, -3)), t.rx('pincer-nsaid-curated', 3, 0).length > 0),
  'pincer-k': (p, t) => {
    const cutoff = addMonths(t.t0, -3);
    const results = p.tests.filter(
      (x) => t.in('pincer-egfr', x.coding) && x.date <= cutoff && x.value !== undefined,
    );
    const latest = results
      .map((x) => x.date)
      .sort()
      .at(-1);
    const lowest = Math.min(...results.filter((x) => x.date === latest).map((x) => x.value!.value));
    return verdict(
      latest !== undefined && lowest >= 1 && lowest < 45,
      t.rx('pincer-nsaid-curated', 3, 0).length > 0,
    );
  },
  'pincer-ac': (p, t) => {
    const longTerm = (vs: string) =>
      p.issues.some((i) => t.in(vs, i.coding) && i.date <= addMonths(t.t0, -15)) && t.rx(vs, 6, 0).length > 0;
    const den = age(p, t) >= 75 && (longTerm('pincer-acei') || longTerm('pincer-loop-diuretic'));
    const from = addMonths(t.t0, -15);
    return verdict(
      den,
      t.testsSince('pincer-renal', from).length === 0 || t.testsSince('pincer-electro', from).length === 0,
    );
  },
  'pincer-me-fbc': (_p, t) => monitoring(t, 'pincer-met', [6, 3, 0], 'pincer-fbc', addMonths(t.t0, -3)),
  'pincer-me-lft': (_p, t) => monitoring(t, 'pincer-met', [6, 3, 0], 'pincer-lft', addMonths(t.t0, -3)),
  'pincer-li': (_p, t) => monitoring(t, 'pincer-lith', [6, 3, 0], 'pincer-lith-lev', addMonths(t.t0, -3)),
  'pincer-am': (_p, t) => monitoring(t, 'pincer-amio', [12, 6, 0], 'pincer-tft', addMonths(t.t0, -6)),
  // INR tests are not generated (their LOINC codes are in the artefact, not in a value set): every patient
  // on warfarin long enough is in the numerator.
  'pincer-warfarin-inr': (_p, t) =>
    monitoring(t, 'pincer-warfarin', [6, 3, 0], undefined, addDays(t.t0, -84)),
  'pincer-amio-dose': (_p, t) => {
    const issues = t.rx('pincer-amio', 3, 0);
    const mgPerDay = (i: SynthIssue) => (i.dosage.kind === 'mg' ? i.dosage.mg * i.dosage.perDay : Number.NaN);
    const lastBreak = issues
      .filter((i) => !(mgPerDay(i) > 200))
      .map((i) => i.date)
      .sort()
      .at(-1);
    const run = issues.filter((i) => mgPerDay(i) > 200 && (lastBreak === undefined || i.date > lastBreak));
    const since = run.map((i) => i.date).sort()[0];
    return verdict(issues.length > 0, since !== undefined && since <= addMonths(t.t0, -1));
  },
  'pincer-mtx-weekly': (_p, t) => {
    const issues = t.rx('pincer-met', 3, 0);
    const latest = issues
      .map((i) => i.date)
      .sort()
      .at(-1);
    const current = issues.filter((i) => i.date === latest);
    return verdict(
      current.length > 0,
      current.some((i) => i.dosage.kind !== 'weekly'),
    );
  },
};

/**
 * The expected verdict of an indicator for a patient on the index date: the base population (alive, aged
 * 18-120; clinical-spec §1.2) and the indicator. Registration and sex are the run's measure population,
 * applied by the caller.
 */
export function oracleVerdict(
  indicator: string,
  p: SynthPatientFacts,
  codes: SynthCodes,
  t0: CalendarDate,
): OracleVerdict | undefined {
  const rule = PINCER_ORACLE[indicator];
  if (rule === undefined) return undefined;
  const t = context(p, codes, t0);
  const a = age(p, t);
  const base = (p.deceased === undefined || p.deceased > t0) && a >= 18 && a <= 120;
  const v = rule(p, t);
  return { denominator: base && v.denominator, numerator: base && v.denominator && v.numerator };
}

function context(p: SynthPatientFacts, codes: SynthCodes, t0: CalendarDate): OracleContext {
  const inVs = (vs: string, c: { system: string; code: string }) => codes.inValueSet(vs, c);
  return {
    t0,
    in: inVs,
    rx: (vs, from, to) =>
      p.issues.filter((i) => inVs(vs, i.coding) && within(i.date, addMonths(t0, -from), addMonths(t0, -to))),
    history: (vs, onOrBefore) => p.events.some((e) => inVs(vs, e.coding) && e.date <= onOrBefore),
    testsSince: (vs, from) => p.tests.filter((x) => inVs(vs, x.coding) && within(x.date, from, t0)),
  };
}

function age(p: SynthPatientFacts, t: OracleContext): number {
  return ageInYears(p.birthDate, t.t0) ?? fallbackAge(p.birthDate, t.t0);
}

/** Age for 29 February births: CQL counts the birthday as reached on 1 March in other years. */
function fallbackAge(birthDate: CalendarDate, t0: CalendarDate): number {
  return ageInYears(addDays(birthDate, 1), t0)!;
}

function verdict(denominator: boolean, hazard: boolean): OracleVerdict {
  return { denominator, numerator: denominator && hazard };
}

/** Indicators A and B: a condition, no gastroprotection in 3 months; the hazard an NSAID in 3 months. */
function gi(t: OracleContext, condition: boolean, drug: string): OracleVerdict {
  return verdict(condition && t.rx('pincer-ppi', 3, 0).length === 0, t.rx(drug, 3, 0).length > 0);
}

function ulcerHistory(t: OracleContext): boolean {
  const cutoff = addMonths(t.t0, -3);
  return t.history('pincer-pep', cutoff) || t.history('pincer-gi-bleed', cutoff);
}

/** Indicators E and F: drug A in 3 months without gastroprotection; hazard: A and B issued < 28 days apart. */
function coPrescribed(t: OracleContext, a: string, b: string): OracleVerdict {
  const issuesA = t.rx(a, 3, 0);
  const issuesB = t.rx(b, 3, 0);
  const pair = issuesA.some((x) => issuesB.some((y) => Math.abs(daysBetween(x.date, y.date)) < 28));
  return verdict(issuesA.length > 0 && t.rx('pincer-ppi', 3, 0).length === 0, pair);
}

/** Monitoring indicators: on the drug long enough ([earlier from, earlier to / recent from, 0]); no test since `from`. */
function monitoring(
  t: OracleContext,
  drug: string,
  [earlyFrom, earlyTo, recentTo]: [number, number, number],
  testVs: string | undefined,
  from: CalendarDate,
): OracleVerdict {
  const onLongEnough = t.rx(drug, earlyFrom, earlyTo).length > 0 && t.rx(drug, earlyTo, recentTo).length > 0;
  return verdict(onLongEnough, testVs === undefined || t.testsSince(testVs, from).length === 0);
}
