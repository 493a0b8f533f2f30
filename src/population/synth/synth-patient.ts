import { addDays, addMonths, type CalendarDate } from './calendar-date.js';
import type { SeededRandom } from './seeded-random.js';
import type { CodeClass, SynthCodes } from './synth-codes.js';
import type { SynthDosage, SynthPatientFacts, SynthPractice } from './synth-facts.js';

const FAMILY = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Khan',
  'Evans',
  'Thomas',
  'Roberts',
  'Walker',
  'Wright',
  'Hughes',
];
const GIVEN_FEMALE = [
  'Amelia',
  'Olivia',
  'Isla',
  'Ava',
  'Emily',
  'Sophie',
  'Margaret',
  'Susan',
  'Fatima',
  'Joan',
];
const GIVEN_MALE = [
  'Oliver',
  'George',
  'Harry',
  'Jack',
  'Mohammed',
  'Noah',
  'John',
  'David',
  'Arthur',
  'Ravi',
];

/** Age bands of a GP list (ONS mid-year estimates for England, rounded): band [from, to] and share. */
const AGE_BANDS: ReadonlyArray<[number, number, number]> = [
  [0, 17, 21],
  [18, 39, 28],
  [40, 64, 32],
  [65, 74, 10],
  [75, 84, 6.5],
  [85, 99, 2.5],
];

/** How a population is shaped. */
export interface SynthProfile {
  /** Years of consultations and routine observations written. */
  historyYears: number;
  /** Years of prescription issues and blood tests written (a bulk extract of the recent record). */
  recentYears: number;
  /**
   * Multiplies the prevalence of the rarer conditions and medicines (heart failure, atrial fibrillation,
   * peptic ulcer, methotrexate, lithium, amiodarone, NSAIDs): 1 is a plausible practice list; tests use
   * more, so that a small population has patients in every indicator.
   */
  rare: number;
}

/** A plausible practice list. */
export const REALISTIC: SynthProfile = { historyYears: 10, recentYears: 3, rare: 1 };

/**
 * Generates one patient's record as facts: a UK primary-care story (age and sex, long-term conditions,
 * repeat prescriptions issued every 28 days, acute courses, blood tests, consultations), with PINCER
 * hazards (an NSAID without gastroprotection, a missed monitoring test, …) whose probability is scaled by
 * the practice's hazard factor. The numbers are plausible, not epidemiology; what matters is that every
 * indicator has patients in and out of its denominator and numerator, and that practices differ.
 */
export function generatePatient(
  rng: SeededRandom,
  codes: SynthCodes,
  id: string,
  practice: SynthPractice,
  asOf: CalendarDate,
  profile: SynthProfile = REALISTIC,
): SynthPatientFacts {
  const f = practice.hazardFactor;
  const m = profile.rare;
  const HISTORY_YEARS = profile.historyYears;
  const RECENT_YEARS = profile.recentYears;
  const band = AGE_BANDS[rng.weighted(AGE_BANDS.map((b) => b[2]))]!;
  const age = rng.int(band[0], band[1]);
  const birthDate = addDays(addMonths(asOf, -12 * age), -rng.int(0, 364));
  const r = rng.next();
  const gender = r < 0.003 ? 'unknown' : r < 0.5 ? 'female' : 'male';
  const p: SynthPatientFacts = {
    id,
    practiceId: practice.id,
    nhsNumber: testNhsNumber(rng),
    family: rng.pick(FAMILY),
    given: rng.pick(
      gender === 'female' ? GIVEN_FEMALE : gender === 'male' ? GIVEN_MALE : [...GIVEN_FEMALE, ...GIVEN_MALE],
    ),
    gender,
    birthDate,
    issues: [],
    events: [],
    tests: [],
    encounters: [],
  };
  if (rng.chance(0.004)) p.deceased = addDays(asOf, -rng.int(1, 700));
  const start = addMonths(asOf, -12 * RECENT_YEARS);
  const pick = (c: CodeClass) => rng.pick(codes.of(c));
  const daysAgo = (min: number, max: number) => addDays(asOf, -rng.int(min, max));
  const event = (c: CodeClass, date: CalendarDate) => p.events.push({ coding: pick(c), date });
  /** Repeat issues every 28 days from `from` to the index date (or `to`). */
  const repeat = (c: CodeClass, from: CalendarDate, dosage: SynthDosage = { kind: 'daily' }, to = asOf) => {
    const coding = pick(c);
    let date = from < start ? addDays(start, rng.int(0, 27)) : from;
    while (date <= to) {
      p.issues.push({ coding, date, dosage });
      date = addDays(date, 28);
    }
  };
  const course = (c: CodeClass, from: CalendarDate, count: number) => {
    const coding = pick(c);
    for (let i = 0; i < count; i++)
      p.issues.push({ coding, date: addDays(from, 28 * i), dosage: { kind: 'daily' } });
  };
  const test = (c: CodeClass, date: CalendarDate, value?: { value: number; unit: string }) =>
    p.tests.push({ coding: pick(c), date, ...(value === undefined ? {} : { value }) });
  const longTerm = () => daysAgo(500, 3000);

  const adult = age >= 18;
  const old = age >= 65;
  const veryOld = age >= 75;
  const hypertension = rng.chance(age < 40 ? 0.02 : old ? 0.45 : 0.15);
  const diabetes = rng.chance(age < 40 ? 0.02 : old ? 0.18 : 0.08);
  const asthma = rng.chance(0.11);
  const heartFailure = rng.chance(m * (veryOld ? 0.08 : old ? 0.03 : age >= 40 ? 0.003 : 0));
  const af = rng.chance(m * (veryOld ? 0.12 : old ? 0.05 : age >= 40 ? 0.005 : 0));
  const ulcer = age >= 40 && rng.chance(m * 0.03);
  const bleed = age >= 40 && rng.chance(m * 0.012);
  const ckd = old && rng.chance(0.1);
  if (hypertension) event('hypertension', longTerm());
  if (diabetes) event('diabetes', longTerm());
  if (asthma) {
    // A few recent diagnoses (within 3 months: not yet history) and a few resolved.
    event('asthma', rng.chance(0.05) ? daysAgo(5, 80) : daysAgo(200, 6000));
    if (rng.chance(0.1)) event('asthma-resolved', daysAgo(100, 150));
  }
  if (heartFailure) event('heart-failure', rng.chance(0.05) ? daysAgo(5, 80) : daysAgo(200, 3000));
  if (af) event('atrial-fibrillation', longTerm());
  if (ulcer) event('peptic-ulcer', daysAgo(200, 6000));
  if (bleed) event('gi-bleed', daysAgo(200, 6000));

  // Repeat medicines.
  if (age >= 40 && rng.chance(old ? 0.45 : 0.2)) repeat('statin', longTerm());
  if (hypertension && rng.chance(0.7)) repeat('antihypertensive', longTerm());
  const acei =
    (hypertension && rng.chance(0.5)) || (diabetes && rng.chance(0.4)) || (heartFailure && rng.chance(0.7));
  if (acei) repeat('acei', rng.chance(0.15) ? daysAgo(60, 400) : longTerm());
  const loop = (heartFailure && rng.chance(0.7)) || (old && rng.chance(0.02));
  if (loop) repeat('loop', rng.chance(0.15) ? daysAgo(60, 400) : longTerm());
  let ppi = rng.chance(old ? 0.2 : adult ? 0.08 : 0);
  const anticoag = af && rng.chance(0.75);
  if (anticoag)
    repeat(rng.chance(0.3) ? 'warfarin' : 'doac', rng.chance(0.1) ? daysAgo(30, 150) : longTerm());
  const aspirin = !anticoag && rng.chance(veryOld ? 0.1 : age >= 50 ? 0.04 : 0);
  if (aspirin) repeat('aspirin', longTerm());
  // Dual antiplatelet therapy (F) and an antiplatelet with an anticoagulant (E).
  if (
    (aspirin && rng.chance(0.1 * f)) ||
    (anticoag && rng.chance(0.08 * f)) ||
    (age >= 50 && rng.chance(0.01))
  )
    repeat('clopidogrel', daysAgo(20, 400));
  if ((ulcer || bleed) && rng.chance(0.5)) ppi = ppi || rng.chance(Math.max(0, 1 - 0.3 * f));
  // NSAIDs: short courses, recent (in the 3-month window) or older; more often where lapses are common.
  const atRisk = old || ulcer || bleed || heartFailure || anticoag || ckd;
  if (adult && rng.chance(Math.min(0.5, m * (atRisk ? 0.06 * f : 0.05)))) {
    course('nsaid', daysAgo(3, 85), rng.int(1, 2));
    if (old && rng.chance(Math.max(0, 1 - 0.5 * f))) ppi = true;
  } else if (adult && rng.chance(0.04)) course('nsaid', daysAgo(120, 1500), rng.int(1, 3));
  if (ppi) repeat('ppi', longTerm());
  if (adult && rng.chance(asthma ? 0.01 * f : 0.015)) repeat('nsbb', daysAgo(30, 2000));
  if (age >= 30 && rng.chance(m * 0.006)) {
    const weekly = rng.chance(Math.max(0, 1 - 0.1 * f));
    repeat('methotrexate', rng.chance(0.1) ? daysAgo(20, 80) : longTerm(), {
      kind: weekly ? 'weekly' : 'daily',
    });
    for (let d = 40; d < 700; d += rng.int(50, 90))
      if (d > 90 || rng.chance(1 - 0.25 * f)) {
        test('fbc', addDays(asOf, -d));
        test('lft', addDays(asOf, -d));
      }
  }
  if (adult && rng.chance(m * 0.004)) {
    repeat('lithium', rng.chance(0.1) ? daysAgo(20, 80) : longTerm());
    for (let d = 30; d < 700; d += 90)
      if (d > 90 || rng.chance(1 - 0.2 * f)) test('lithium-level', addDays(asOf, -d));
  }
  if (af && rng.chance(Math.min(1, m * 0.1))) {
    const high = rng.chance(0.25 * f);
    repeat('amiodarone', rng.chance(0.1) ? daysAgo(20, 150) : longTerm(), {
      kind: 'mg',
      mg: 200,
      perDay: high ? 2 : 1,
    });
    for (let d = 60; d < 700; d += 180)
      if (d > 180 || rng.chance(1 - 0.2 * f)) test('tft', addDays(asOf, -d));
  }
  if (adult && rng.chance(0.03)) course('corticosteroid', daysAgo(10, 1500), 1);

  // Blood tests: a yearly renal panel for the monitored, occasional ones for others.
  const monitored = acei || loop || diabetes || old;
  const lapse = rng.chance(0.12 * f);
  for (let y = 0; y < RECENT_YEARS + 2; y++) {
    if (!(monitored ? !(y === 0 && lapse) : rng.chance(0.25))) continue;
    const date = addDays(asOf, -(y * 365 + rng.int(20, 300)));
    const egfr = ckd ? rng.int(20, 40) : rng.int(62, 100);
    test('egfr', date, { value: egfr, unit: 'mL/min/{1.73_m2}' });
    test('creatinine', date, { value: rng.int(60, 110), unit: 'umol/L' });
    test('electrolytes', date);
    if (rng.chance(0.4)) test('fbc', date);
    if (rng.chance(0.3)) test('lft', date);
    if (rng.chance(0.1)) test('tft', date);
  }
  // Consultations, each with a blood pressure for adults, and a weight and cholesterol now and then.
  const visitsPerYear = age < 18 ? 2 : age < 40 ? 4 : old ? 10 : 6;
  for (let y = 0; y < HISTORY_YEARS; y++) {
    for (let v = 0; v < visitsPerYear + rng.int(0, 3); v++) {
      const date = addDays(asOf, -(y * 365 + rng.int(1, 364)));
      p.encounters.push(date);
      if (adult) test('systolic-bp', date, { value: rng.int(105, 170), unit: 'mm[Hg]' });
      if (adult && rng.chance(0.5)) {
        test('body-weight', date, { value: rng.int(50, 110), unit: 'kg' });
        test('bmi', date, { value: rng.int(180, 380) / 10, unit: 'kg/m2' });
      }
      if (age >= 40 && rng.chance(0.15))
        test('cholesterol', date, { value: rng.int(30, 70) / 10, unit: 'mmol/L' });
    }
  }
  p.issues.sort((a, b) => a.date.localeCompare(b.date));
  return p;
}

/** An NHS number in the 999 range set aside for test data, with a valid modulus-11 check digit. */
function testNhsNumber(rng: SeededRandom): string {
  for (;;) {
    const digits = [9, 9, 9, ...Array.from({ length: 6 }, () => rng.int(0, 9))];
    const sum = digits.reduce((s, d, i) => s + d * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return [...digits, check === 11 ? 0 : check].join('');
  }
}
