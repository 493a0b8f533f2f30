import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenContains, parseValueSet, type ValueSet } from '../src/engine/value-set.js';
import { ValueSetIndex } from '../src/engine/value-set-index.js';
import { buildStatinValueSets, buildValueSet, OUT_DIR, parseCodeCsv } from './build-statin-value-sets.js';
import { STATIN_VALUE_SETS } from './statin-value-set-sources.js';

const built = await buildStatinValueSets();
const sets = new Map(
  [...built].map(([name, text]) => [name.replace(/\.json$/, ''), JSON.parse(text) as ValueSet]),
);
const codes = (id: string) =>
  flattenContains(sets.get(id)?.expansion?.contains ?? []).map((c) => `${c.system}|${c.code}`);

describe('build-statin-value-sets', () => {
  it('has built every committed statin-* and cvd-* value set from the extracted codelists', async () => {
    for (const [name, text] of built)
      expect(await readFile(path.join(OUT_DIR, name), 'utf8'), name).toBe(text);
  });

  it('says in every description that it is a minimal verified set, and cites a source for every code', () => {
    for (const meta of STATIN_VALUE_SETS) {
      const vs = sets.get(meta.id)!;
      expect(vs.description).toContain('A minimal verified set, not a complete codelist');
      expect(meta.sources.length).toBeGreaterThan(0);
      for (const source of meta.sources) expect(vs.description).toContain(source.url);
    }
  });

  it('puts each ethnicity code in exactly one QRISK3 category', () => {
    const seen = new Map<string, string>();
    for (const id of [...sets.keys()].filter((k) => k.startsWith('statin-ethnicity-'))) {
      for (const code of codes(id)) {
        expect(seen.get(code), `${code} is in ${seen.get(code)} and ${id}`).toBeUndefined();
        seen.set(code, id);
      }
    }
    expect(seen.get('https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|J')).toBe(
      'statin-ethnicity-pakistani',
    );
    expect(seen.has('https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|Z')).toBe(false);
  });

  it('puts each smoking code in exactly one QRISK3 smoking category', () => {
    const all = ['never', 'ex', 'light', 'moderate', 'heavy', 'current'].flatMap((c) =>
      codes(`statin-smoking-${c}`),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  it('resolves the atorvastatin the cards suggest by display term to one dm+d VMP each', () => {
    const index = new ValueSetIndex([sets.get('statin-atorvastatin-tablets')!]);
    const url = 'https://loopcds.org/fhir/ValueSet/statin-atorvastatin-tablets';
    expect(index.codingByDisplay(url, 'Atorvastatin 20mg tablets')?.code).toBe('320030001');
    expect(index.codingByDisplay(url, 'Atorvastatin 80mg tablets')?.code).toBe('134489001');
  });

  it('keeps plain hypercholesterolaemia out of the familial hypercholesterolaemia set', () => {
    const terms = flattenContains(
      sets.get('statin-familial-hypercholesterolaemia')!.expansion!.contains!,
    ).map((c) => c.display ?? '');
    expect(terms.every((t) => /^familial/i.test(t))).toBe(true);
  });

  it('refuses a malformed codelist row and an invalid SNOMED CT code', () => {
    expect(() => parseCodeCsv('system,code,display\nhttp://snomed.info/sct,123\n', 'x.csv')).toThrow(
      /expected system,code,display/,
    );
    const meta = STATIN_VALUE_SETS[0]!;
    const bad = buildValueSet(meta, [
      { system: 'http://snomed.info/sct', code: '22298007', display: 'typo' },
    ]);
    expect(() => parseValueSet(bad, 'bad.json')).toThrow(/Verhoeff/);
  });
});
