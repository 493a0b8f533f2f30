import type { CalendarDate } from './calendar-date.js';
import type { SynthCoding } from './synth-codes.js';

/** How an issue's dosage instruction is written. */
export type SynthDosage =
  /** one a day, no dose quantity */
  | { kind: 'daily' }
  /** methotrexate taken once a week (structured weekly timing and text) */
  | { kind: 'weekly' }
  /** a dose in mg, `perDay` times a day (amiodarone) */
  | { kind: 'mg'; mg: number; perDay: number };

/** One prescription issue (a MedicationRequest, authoredOn = issue date). */
export interface SynthIssue {
  coding: SynthCoding;
  date: CalendarDate;
  dosage: SynthDosage;
}

/** A coded diagnosis (a Condition, onset = date). */
export interface SynthEvent {
  coding: SynthCoding;
  date: CalendarDate;
}

/** A test (an Observation, effective = date), with a numeric result for eGFR and the like. */
export interface SynthTest {
  coding: SynthCoding;
  date: CalendarDate;
  value?: { value: number; unit: string };
}

/**
 * A synthetic patient as facts: what the FHIR writer turns into resources, and what the indicator oracle
 * reads to know, by construction, which indicators' denominators and numerators the patient is in.
 */
export interface SynthPatientFacts {
  id: string;
  practiceId: string;
  nhsNumber: string;
  family: string;
  given: string;
  gender: 'male' | 'female' | 'unknown';
  birthDate: CalendarDate;
  deceased?: CalendarDate;
  issues: SynthIssue[];
  events: SynthEvent[];
  tests: SynthTest[];
  /** Dates of surgery consultations (Encounters: not read by PINCER, there for realism and volume). */
  encounters: CalendarDate[];
}

/** A practice: an Organization with an ODS-style code, and its factor for how often hazards occur. */
export interface SynthPractice {
  id: string;
  name: string;
  /** Multiplies the probability of each prescribing or monitoring lapse (1 = typical). */
  hazardFactor: number;
}
