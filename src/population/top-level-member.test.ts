import { describe, expect, it } from 'vitest';
import { topLevelMember } from './top-level-member.js';

describe('topLevelMember', () => {
  it('finds a member after nested objects, arrays and strings holding braces and quotes', () => {
    const line = JSON.stringify({
      resourceType: 'Observation',
      contained: [{ resourceType: 'Patient', id: 'decoy', subject: { reference: 'Patient/no' } }],
      note: [{ text: 'a "quoted" } brace ] and \\ backslash' }],
      subject: { reference: 'Patient/p1' },
    });
    expect(JSON.parse(topLevelMember(line, 'subject')!)).toEqual({ reference: 'Patient/p1' });
  });

  it('reads numbers, literals and whitespace between tokens', () => {
    expect(
      topLevelMember('{ "a" : 1 , "b" : true , "subject" : { "reference" : "Patient/x" } }', 'subject'),
    ).toBe('{ "reference" : "Patient/x" }');
    expect(topLevelMember('{"a":null,"b":-1.5e3}', 'b')).toBe('-1.5e3');
  });

  it('gives up (undefined) on what it does not handle, so that the caller parses', () => {
    expect(topLevelMember('{"sub\\u006aect":{"reference":"Patient/x"}}', 'subject')).toBeUndefined();
    expect(topLevelMember('[1,2]', 'subject')).toBeUndefined();
    expect(topLevelMember('{"subject":{"reference":"Patient/x"', 'subject')).toBeUndefined();
    expect(topLevelMember('{"other":1}', 'subject')).toBeUndefined();
  });
});
