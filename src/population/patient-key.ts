import type { FhirResource } from '../engine/patient-bundle.js';
import type { ExpressionReads } from './elm-analysis.js';

/**
 * The key under which a patient's denominator result can be shared with other patients: two patients
 * with the same key, and no resources that the denominator reads besides the Patient, get the same
 * result. The key holds the Patient elements the expressions read (with their `_element` extensions and
 * every choice form: `deceasedBoolean`, `deceasedDateTime`), and, when the birth date is read only as
 * an age on the evaluation date, the age in whole years instead of the date. Returns undefined when
 * no key can be made (the Patient is read whole): the patient is then evaluated.
 */
export class PatientKeyMaker {
  private readonly elements: readonly string[];

  constructor(
    private readonly reads: ExpressionReads,
    /** The local date of the evaluation (`Today()`), YYYY-MM-DD. */
    private readonly today: string,
  ) {
    this.elements = [...(reads.patientElements ?? [])].sort();
  }

  get usable(): boolean {
    return this.reads.patientElements !== undefined;
  }

  keyOf(patient: FhirResource): string | undefined {
    if (!this.usable) return undefined;
    const parts: unknown[] = [];
    for (const element of this.elements) {
      if (element === 'birthDate' && this.reads.birthDateAsAgeOnly) {
        parts.push(this.birthDatePart(patient));
        continue;
      }
      parts.push(elementForms(patient, element));
    }
    return JSON.stringify(parts);
  }

  private birthDatePart(patient: FhirResource): unknown {
    const value = patient['birthDate'];
    const extension = patient['_birthDate'];
    const age = typeof value === 'string' ? ageInYears(value, this.today) : undefined;
    // A birth date that is not a full, ordinary date keeps its own key: only whole-day dates are aged here.
    return age === undefined ? ['raw', value, extension] : ['age', age, extension];
  }
}

/** Every form of an element in the resource: `x`, `_x`, and the choice forms `xType` / `_xType`. */
function elementForms(resource: FhirResource, element: string): Array<[string, unknown]> {
  const forms: Array<[string, unknown]> = [];
  for (const key of Object.keys(resource).sort()) {
    const bare = key.startsWith('_') ? key.slice(1) : key;
    if (bare === element || (bare.startsWith(element) && /^[A-Z]/.test(bare.slice(element.length))))
      forms.push([key, resource[key]]);
  }
  return forms;
}

/**
 * Whole years from a birth date to a date, both YYYY-MM-DD, as CQL `AgeInYearsAt` computes them for
 * whole-day dates. 29 February births are left out (undefined), since calendars differ on when their
 * birthday falls in other years; so is anything that is not a valid full date.
 */
export function ageInYears(birthDate: string, on: string): number | undefined {
  const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  const t = /^(\d{4})-(\d{2})-(\d{2})$/.exec(on);
  if (b === null || t === null) return undefined;
  const [by, bm, bd] = [Number(b[1]), Number(b[2]), Number(b[3])];
  const [ty, tm, td] = [Number(t[1]), Number(t[2]), Number(t[3])];
  if (bm < 1 || bm > 12 || bd < 1 || bd > daysInMonth(by, bm) || (bm === 2 && bd === 29)) return undefined;
  const hadBirthday = tm > bm || (tm === bm && td >= bd);
  return ty - by - (hadBirthday ? 0 : 1);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
