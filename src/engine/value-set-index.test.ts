import cql from 'cql-execution';
import { describe, expect, it } from 'vitest';
import { ValueSetIndex } from './value-set-index.js';

const SCT = 'http://snomed.info/sct';
const index = new ValueSetIndex([
  {
    url: 'https://example.org/vs/a',
    version: '1',
    expansion: {
      contains: [
        { system: SCT, code: '111', display: 'One' },
        { system: SCT, code: '222', display: 'Two' },
      ],
    },
  },
]);

describe('ValueSetIndex', () => {
  it('finds a code by system and code', () => {
    expect(index.findValueSet('https://example.org/vs/a')!.hasMatch(new cql.Code('222', SCT))).toBe(true);
  });

  it('does not match the same code in another system', () => {
    expect(
      index.findValueSet('https://example.org/vs/a')!.hasMatch(new cql.Code('222', 'http://loinc.org')),
    ).toBe(false);
  });

  it('matches a concept when any of its codes is in the set', () => {
    const concept = new cql.Concept([new cql.Code('999', SCT), new cql.Code('111', SCT)]);
    expect(index.findValueSet('https://example.org/vs/a')!.hasMatch(concept)).toBe(true);
  });

  it('matches a bare string on code alone', () => {
    expect(index.findValueSet('https://example.org/vs/a')!.hasMatch('111')).toBe(true);
  });

  it('returns null for an unknown value set and for an unknown version', () => {
    expect(index.findValueSet('https://example.org/vs/none')).toBeNull();
    expect(index.findValueSet('https://example.org/vs/a', '2')).toBeNull();
  });

  it('finds a coding by its display term', () => {
    expect(index.codingByDisplay('https://example.org/vs/a', 'Two')).toEqual({
      system: SCT,
      code: '222',
      display: 'Two',
    });
    expect(index.codingByDisplay('https://example.org/vs/a', 'Three')).toBeUndefined();
  });

  it("agrees with cql-execution's own value set on codes in and out of the set", () => {
    const contains = Array.from({ length: 300 }, (_, i) => ({
      system: i % 2 ? SCT : 'http://loinc.org',
      code: String(1000 + i),
    }));
    const ours = new ValueSetIndex([{ url: 'vs', expansion: { contains } }]).findValueSet('vs')!;
    const theirs = new cql.ValueSet(
      'vs',
      undefined,
      contains.map((c) => new cql.Code(c.code, c.system)),
    );
    for (let i = 0; i < 400; i++) {
      for (const system of [SCT, 'http://loinc.org']) {
        const code = new cql.Code(String(950 + i), system);
        expect(ours.hasMatch(code), `${system}|${code.code}`).toBe(theirs.hasMatch(code));
      }
    }
  });
});
