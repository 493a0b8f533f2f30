import { describe, expect, it } from 'vitest';
import { ageInYears, PatientKeyMaker } from './patient-key.js';

describe('ageInYears', () => {
  it('turns a year older on the birthday, not the day before', () => {
    expect(ageInYears('1961-10-01', '2026-10-01')).toBe(65);
    expect(ageInYears('1961-10-02', '2026-10-01')).toBe(64);
  });

  it('leaves 29 February births and partial or invalid dates to their own key', () => {
    expect(ageInYears('1960-02-29', '2026-10-01')).toBeUndefined();
    expect(ageInYears('1960-02', '2026-10-01')).toBeUndefined();
    expect(ageInYears('1960-02-30', '2026-10-01')).toBeUndefined();
  });
});

describe('PatientKeyMaker', () => {
  const reads = {
    resourceTypes: new Set<string>(),
    patientElements: new Set(['birthDate', 'deceased']),
    birthDateAsAgeOnly: true,
  };

  it('gives patients of the same age and the same deceased elements the same key, whatever else differs', () => {
    const keys = new PatientKeyMaker(reads, '2026-10-01');
    const a = keys.keyOf({
      resourceType: 'Patient',
      id: 'a',
      birthDate: '1950-03-04',
      name: [{ family: 'A' }],
    });
    const b = keys.keyOf({ resourceType: 'Patient', id: 'b', birthDate: '1950-09-30', gender: 'male' });
    expect(a).toBe(b);
    expect(keys.keyOf({ resourceType: 'Patient', birthDate: '1950-10-02' })).not.toBe(a);
    expect(keys.keyOf({ resourceType: 'Patient', birthDate: '1950-03-04', deceasedBoolean: true })).not.toBe(
      a,
    );
    expect(
      keys.keyOf({ resourceType: 'Patient', birthDate: '1950-03-04', _birthDate: { extension: [] } }),
    ).not.toBe(a);
  });

  it('keys on the birth date itself when the rule reads it otherwise than as an age', () => {
    const keys = new PatientKeyMaker({ ...reads, birthDateAsAgeOnly: false }, '2026-10-01');
    expect(keys.keyOf({ resourceType: 'Patient', birthDate: '1950-03-04' })).not.toBe(
      keys.keyOf({ resourceType: 'Patient', birthDate: '1950-03-05' }),
    );
  });

  it('makes no key when the rule reads the Patient whole', () => {
    const keys = new PatientKeyMaker({ ...reads, patientElements: undefined }, '2026-10-01');
    expect(keys.keyOf({ resourceType: 'Patient', birthDate: '1950-03-04' })).toBeUndefined();
  });
});
