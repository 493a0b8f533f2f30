import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Pseudonymiser } from './pseudonymiser.js';

const KEY = 'k'.repeat(32);

describe('Pseudonymiser', () => {
  it('gives a patient the same pseudonym every time, never the id', () => {
    const p = new Pseudonymiser(KEY);
    const a = p.pseudonym('https://ehr.example/fhir', 'patient-1');
    expect(a).toBe(p.pseudonym('https://ehr.example/fhir', 'patient-1'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain('patient-1');
  });

  it('is the HMAC-SHA256 of site NUL id under the key', () => {
    const expected = createHmac('sha256', KEY).update('site\u0000id').digest('hex');
    expect(new Pseudonymiser(KEY).pseudonym('site', 'id')).toBe(expected);
  });

  it('gives different pseudonyms under another key and at another site', () => {
    const p = new Pseudonymiser(KEY);
    const q = new Pseudonymiser('q'.repeat(32));
    expect(p.pseudonym('s', 'id')).not.toBe(q.pseudonym('s', 'id'));
    expect(p.pseudonym('s1', 'id')).not.toBe(p.pseudonym('s2', 'id'));
    expect(p.pseudonym('a', 'bc')).not.toBe(p.pseudonym('ab', 'c'));
    expect(p.keyId).not.toBe(q.keyId);
  });

  it('refuses a short key', () => {
    expect(() => new Pseudonymiser('short')).toThrow(RangeError);
  });
});
