import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadValueSets, type ValueSet } from '../../src/engine/value-set.js';
import { ValueSetIndex } from '../../src/engine/value-set-index.js';
import { ROOT } from '../support/test-service.js';

/**
 * The vital-sign and sepsis value sets (knowledge/valuesets/vital-*.json, sepsis-*.json) are built from
 * standard code systems (LOINC, SNOMED CT) with a cited source for each code, not from a codelist CSV:
 * these checks keep their compose, expansion and citations in step.
 */
const DIR = path.join(ROOT, 'knowledge', 'valuesets');
const OURS = /^(vital|sepsis)-[a-z0-9-]+\.json$/;
const files = (await readdir(DIR)).filter((f) => OURS.test(f)).sort();
const all = await loadValueSets(DIR);
const byId = new Map(all.map((vs) => [vs.id, vs]));

function composeCodes(vs: ValueSet): string[] {
  return (vs.compose?.include ?? []).flatMap((inc) =>
    (inc.concept ?? []).map((c) => `${inc.system}|${c.code}`),
  );
}

describe('vital-sign and sepsis value sets', () => {
  it('are all present', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of files) {
    const id = file.replace(/\.json$/, '');
    it(`${id}: loads, with an expansion holding exactly the compose codes`, () => {
      const vs = byId.get(id);
      expect(vs, `${file} did not load`).toBeDefined();
      expect(vs!.url).toBe(`https://loopcds.org/fhir/ValueSet/${id}`);
      const expansion = (vs!.expansion?.contains ?? []).map((c) => `${c.system}|${c.code}`);
      expect([...expansion].sort()).toEqual(composeCodes(vs!).sort());
      expect(vs!.expansion?.total).toBe(expansion.length);
    });

    it(`${id}: cites a source for every code in its description`, () => {
      const vs = byId.get(id)!;
      for (const c of vs.expansion?.contains ?? []) {
        const system = c.system === 'http://loinc.org' ? 'LOINC' : 'SNOMED CT';
        expect(vs.description).toMatch(new RegExp(`${system} ${c.code} "[^"]+" \\[\\d+(, \\d+)*\\]`));
      }
      expect(vs.description).toContain('Sources: [1] ');
    });
  }

  it('matches a LOINC-coded reading by system and code (LOINC codes are not SNOMED-checked)', () => {
    const index = new ValueSetIndex(all);
    const url = 'https://loopcds.org/fhir/ValueSet/vital-respiratory-rate';
    expect(index.contains(url, 'http://loinc.org', '9279-1')).toBe(true);
    expect(index.contains(url, 'http://snomed.info/sct', '9279-1')).toBe(false);
  });
});
