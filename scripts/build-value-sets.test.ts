import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  flattenContains,
  isValidSctid,
  loadValueSets,
  sctidProblem,
  verhoeffValid,
  type ValueSet,
} from '../src/engine/value-set.js';
import {
  buildValueSets,
  compareWithDir,
  DEFAULT_CODELISTS_DIR,
  DEFAULT_OUT_DIR,
  main,
  parseCsv,
  readCodelistCsv,
  writeBuild,
  type Build,
  type Codelist,
} from './build-value-sets.js';

// These tests need the codelists beside the repository (../shared/codelists/opensafely-pincer), as CI has
// them. Without them they fail, loudly: a skipped test would prove nothing about the committed files.
let build: Build;
let committed: Map<string, ValueSet>;
const temporary: string[] = [];

beforeAll(async () => {
  if (!existsSync(DEFAULT_CODELISTS_DIR)) {
    throw new Error(
      `The value-set tests need the OpenSAFELY codelists at ${DEFAULT_CODELISTS_DIR}, and they are missing.`,
    );
  }
  build = await buildValueSets(DEFAULT_CODELISTS_DIR);
  committed = new Map((await loadValueSets(DEFAULT_OUT_DIR)).map((vs) => [vs.id, vs]));
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'loopcds-value-sets-'));
  temporary.push(dir);
  return dir;
}

function codelist(name: string): Codelist {
  const list = build.codelists.find((c) => c.name === name);
  if (list === undefined) throw new Error(`no codelist ${name}`);
  return list;
}

/** The code of the one row of a codelist whose term matches: codes are looked up, never typed. */
function codeOf(name: string, term: string | RegExp): string {
  const rows = codelist(name).rows.filter((r) =>
    typeof term === 'string' ? r.term === term : term.test(r.term),
  );
  expect(rows, `rows of pincer-${name}.csv matching ${String(term)}`).toHaveLength(1);
  return rows[0]?.code ?? '';
}

/** The codes of every row of a codelist whose term matches; there must be at least one. */
function codesWhere(name: string, term: RegExp): string[] {
  const codes = codelist(name)
    .rows.filter((r) => term.test(r.term))
    .map((r) => r.code);
  expect(codes.length, `rows of pincer-${name}.csv matching ${String(term)}`).toBeGreaterThan(0);
  return codes;
}

function codesOf(id: string): Set<string> {
  const vs = committed.get(id);
  if (vs === undefined) throw new Error(`no committed value set ${id}`);
  return new Set(flattenContains(vs.expansion?.contains ?? []).map((c) => c.code ?? ''));
}

describe('the committed value sets', () => {
  it('match a rebuild from the codelists, file for file', async () => {
    expect(await compareWithDir(build, DEFAULT_OUT_DIR)).toEqual([]);
  });

  it('are one per codelist plus the curated ones', () => {
    const expected = [
      ...build.codelists.map((c) => `pincer-${c.name.replace(/_/g, '-')}`),
      'pincer-loop-diuretic',
      'pincer-nsaid-curated',
      'pincer-ace-inhibitor',
      'pincer-arb',
      'pincer-warfarin',
    ];
    expect([...committed.keys()].filter((id) => id.startsWith('pincer-')).sort()).toEqual(expected.sort());
  });

  it('have an expansion total equal to the number of codes the expansion and the compose contain', () => {
    for (const vs of committed.values()) {
      const contains = flattenContains(vs.expansion?.contains ?? []);
      expect(vs.expansion?.total, vs.id).toBe(contains.length);
      expect(
        vs.compose?.include.flatMap((i) => i.concept ?? []).map((c) => c.code),
        vs.id,
      ).toEqual(contains.map((c) => c.code));
    }
  });

  it('hold every valid row of their codelist, with the codelist version, id, URL and download time', () => {
    for (const list of build.codelists) {
      const vs = committed.get(`pincer-${list.name.replace(/_/g, '-')}`);
      expect(vs?.version).toBe(list.version);
      expect(vs?.identifier).toEqual([
        { system: 'https://codelists.opensafely.org', value: `pincer/${list.name}/${list.version}` },
      ]);
      expect(vs?.extension).toContainEqual({
        url: 'https://loopcds.org/fhir/StructureDefinition/source-codelist',
        valueUri: list.url,
      });
      expect(vs?.expansion?.timestamp).toBe(list.downloadedAt);
      expect(vs?.expansion?.identifier).toMatch(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(vs?.copyright).toContain('Bennett Institute for Applied Data Science');
      expect(vs?.expansion?.contains).toEqual(
        list.rows.map((r) => ({ system: 'http://snomed.info/sct', code: r.code, display: r.term })),
      );
    }
  });
});

describe('the build', () => {
  it('writes byte-identical files when run twice', async () => {
    const [first, second] = [await tempDir(), await tempDir()];
    await writeBuild(await buildValueSets(DEFAULT_CODELISTS_DIR), first);
    await writeBuild(await buildValueSets(DEFAULT_CODELISTS_DIR), second);
    const names = (await readdir(first)).sort();
    expect(names).toEqual((await readdir(second)).sort());
    for (const name of names) {
      expect(
        (await readFile(path.join(first, name))).equals(await readFile(path.join(second, name))),
        name,
      ).toBe(true);
    }
  });

  it('in --check mode exits 0 when the files match and 1, naming the file, when one differs or is stale', async () => {
    const out = await tempDir();
    await cp(DEFAULT_OUT_DIR, out, { recursive: true });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await main(['--check', '--out', out])).toBe(0);

    const file = path.join(out, 'pincer-hf.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"status": "active"', '"status": "draft"'));
    await writeFile(path.join(out, 'pincer-old.json'), '{}');
    expect(await main(['--check', '--out', out])).toBe(1);
    const printed = errors.mock.calls.map((call) => String(call[0])).join('\n');
    expect(printed).toContain('pincer-hf.json: differs from a rebuild');
    expect(printed).toContain('pincer-old.json: stale');
  });

  it('reads every code as a valid SCTID: none of the codelist rows is rejected', () => {
    expect(build.codelists.flatMap((c) => c.rejects)).toEqual([]);
    for (const list of build.codelists)
      for (const row of list.rows) expect(sctidProblem(row.code), `${list.file}:${row.line}`).toBeUndefined();
  });

  it('rejects a codelist row whose check digit is corrupted, and reports its line', () => {
    const code = codeOf('diur', 'Furosemide 40mg tablets');
    const corrupted = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
    const read = readCodelistCsv('test.csv', `id,term\n${code},good row\n${corrupted},"corrupted, row"\n`);
    expect(read.rows.map((r) => r.code)).toEqual([code]);
    expect(read.rejects).toEqual([
      {
        file: 'test.csv',
        line: 3,
        code: corrupted,
        term: 'corrupted, row',
        problem: 'wrong Verhoeff check digit',
      },
    ]);
  });

  it('drops a repeated code and says which line it repeats', () => {
    const code = codeOf('hf', 'Heart failure');
    const read = readCodelistCsv(
      'test.csv',
      `code,term\r\n${code},Heart failure\r\n${code},Heart failure\r\n`,
    );
    expect(read.rows).toHaveLength(1);
    expect(read.duplicates).toEqual([`test.csv:3 repeats code ${code} of line 2`]);
  });

  it('refuses a CSV without an id,term or code,term header', () => {
    expect(() => readCodelistCsv('test.csv', 'snomed,description\n')).toThrow(/test\.csv: header/);
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas and doubled quotes, and CRLF or LF line ends', () => {
    expect(parseCsv('a,"b, c"\r\n"say ""hi""",d\ne,f')).toEqual([
      { line: 1, fields: ['a', 'b, c'] },
      { line: 2, fields: ['say "hi"', 'd'] },
      { line: 3, fields: ['e', 'f'] },
    ]);
  });

  it('fails on an unterminated quoted field', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(/unterminated/);
  });
});

describe('the SCTID check', () => {
  it('follows the Verhoeff algorithm', () => {
    // The textbook example: 236 takes the check digit 3.
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
  });

  it('accepts known-good SCTIDs from the codelists, short and long format', () => {
    for (const code of [
      codeOf('hf', 'Heart failure'),
      codeOf('diur', 'Furosemide 40mg tablets'),
      codeOf('ppi', /^Naproxen 500mg \/ Esomeprazole 20mg/),
    ]) {
      expect(isValidSctid(code), code).toBe(true);
    }
  });

  it('rejects every single-digit change and every swap of two adjacent digits of a good SCTID', () => {
    const code = codeOf('ppi', /^Naproxen 500mg \/ Esomeprazole 20mg/);
    for (let i = 0; i < code.length; i++) {
      for (let digit = 0; digit <= 9; digit++) {
        const changed = code.slice(0, i) + String(digit) + code.slice(i + 1);
        if (changed !== code) expect(verhoeffValid(changed), changed).toBe(false);
      }
      const swapped = code.slice(0, i) + (code[i + 1] ?? '') + (code[i] ?? '') + code.slice(i + 2);
      if (i + 1 < code.length && swapped !== code) expect(verhoeffValid(swapped), swapped).toBe(false);
    }
  });

  it('rejects codes that are not digits, too short or too long, or have a leading zero', () => {
    expect(sctidProblem('')).toBe('not all digits');
    expect(sctidProblem('12a456')).toBe('not all digits');
    expect(sctidProblem('12345')).toMatch(/not 6 to 18/);
    expect(sctidProblem('1'.repeat(19))).toMatch(/not 6 to 18/);
    expect(sctidProblem(`0${codeOf('hf', 'Heart failure')}`)).toBe('leading zero');
  });
});

describe('the curated value sets', () => {
  it('pincer-loop-diuretic holds furosemide 40mg tablets but not spironolactone 25mg tablets, degarelix or toremifene', () => {
    const loop = codesOf('pincer-loop-diuretic');
    const diur = codesOf('pincer-diur');
    const furosemide = codeOf('diur', 'Furosemide 40mg tablets');
    const spironolactone = codeOf('diur', 'Spironolactone 25mg tablets');
    expect(loop.has(furosemide)).toBe(true);
    expect(diur.has(spironolactone)).toBe(true);
    expect(loop.has(spironolactone)).toBe(false);
    const displays = flattenContains(committed.get('pincer-loop-diuretic')?.expansion?.contains ?? []).map(
      (c) => c.display ?? '',
    );
    expect(
      displays.filter((d) => /degarelix|firmagon|toremifene|fareston|eplerenone|metolazone/i.test(d)),
    ).toEqual([]);
    expect([...loop].every((code) => diur.has(code))).toBe(true);
  });

  it('pincer-loop-diuretic keeps the combinations and brands of loop diuretics', () => {
    const loop = codesOf('pincer-loop-diuretic');
    for (const term of [
      /^Co-amilofruse /,
      /^Burinex /,
      /^Torem /,
      /^Lasilactone /,
      /^Frumil /,
      /^Lasix /,
      /^Triamterene 50mg \/ Furosemide/,
    ]) {
      for (const code of codesWhere('diur', term))
        expect(loop.has(code), `${String(term)} ${code}`).toBe(true);
    }
  });

  it('pincer-nsaid-curated holds naproxen/esomeprazole from the PPI list and ibuprofen/diphenhydramine, but no eye drops and no aspirin/omeprazole', () => {
    const nsaid = codesOf('pincer-nsaid-curated');
    expect(nsaid.has(codeOf('ppi', /^Naproxen 500mg \/ Esomeprazole 20mg/))).toBe(true);
    expect(nsaid.has(codeOf('ppi', /^Axorid 100mg\/20mg/))).toBe(true);
    expect(nsaid.has(codeOf('nsaid', 'Diphenhydramine 25 mg and ibuprofen 200 mg/1 each oral capsule'))).toBe(
      true,
    );
    expect(nsaid.has(codeOf('nsaid', /eye drops/))).toBe(false);
    expect(nsaid.has(codeOf('ppi', 'Aspirin and omeprazole product'))).toBe(false);
    expect(nsaid.has(codeOf('nsaid', 'Ibuprofen 400mg tablets'))).toBe(true);
  });

  it('pincer-warfarin holds warfarin and its brands from pincer-anticoag, but no DOAC, acenocoumarol or phenindione', () => {
    const warfarin = codesOf('pincer-warfarin');
    const anticoag = codesOf('pincer-anticoag');
    expect(warfarin.has(codeOf('anticoag', 'Warfarin 1mg tablets'))).toBe(true);
    for (const code of codesWhere('anticoag', /^Marevan /)) expect(warfarin.has(code), code).toBe(true);
    for (const term of [
      /^Apixaban 5mg tablets$/,
      /^Acenocoumarol 1mg tablets$/,
      /^Phenindione 10mg tablets$/,
    ])
      expect(warfarin.has(codeOf('anticoag', term)), String(term)).toBe(false);
    expect([...warfarin].every((code) => anticoag.has(code))).toBe(true);
    expect(
      codelist('anticoag').rows.filter((r) => /warfarin/i.test(r.term) && !warfarin.has(r.code)),
    ).toEqual([]);
  });

  it('pincer-ace-inhibitor and pincer-arb split pincer-acei, leaving out only aliskiren alone', () => {
    const ace = codesOf('pincer-ace-inhibitor');
    const arb = codesOf('pincer-arb');
    expect([...ace].filter((code) => arb.has(code))).toEqual([]);
    const neither = codelist('acei').rows.filter((r) => !ace.has(r.code) && !arb.has(r.code));
    expect(neither.length).toBeGreaterThan(0);
    expect(neither.filter((r) => !/aliskiren|rasilez/i.test(r.term))).toEqual([]);
    expect(neither.filter((r) => /sartan/i.test(r.term))).toEqual([]);
    expect(ace.has(codeOf('acei', 'Ramipril 5mg capsules'))).toBe(true);
    expect(arb.has(codeOf('acei', 'Losartan 50mg tablets'))).toBe(true);
    expect(arb.has(codeOf('acei', /^Entresto 49mg\/51mg tablets/))).toBe(true);
  });

  it('say how they were derived, from which codelists, under which rule version', () => {
    for (const id of [
      'pincer-loop-diuretic',
      'pincer-nsaid-curated',
      'pincer-ace-inhibitor',
      'pincer-arb',
      'pincer-warfarin',
    ]) {
      const vs = committed.get(id);
      expect(vs?.description, id).toMatch(/selected by rule .* from .* no code was typed/);
      expect(vs?.extension?.filter((e) => e.url.endsWith('/source-codelist')).length, id).toBeGreaterThan(0);
      expect(vs?.version, id).toMatch(/^\d+\.\d+\.\d+\+/);
    }
  });
});

describe('loadValueSets', () => {
  async function dirWith(name: string, content: string): Promise<string> {
    const dir = await tempDir();
    await writeFile(path.join(dir, name), content);
    return dir;
  }
  const good = (): ValueSet => structuredClone(committed.get('pincer-hf') as ValueSet);

  it('reads every JSON file of a folder and skips the others', async () => {
    const dir = await dirWith('a.json', JSON.stringify(good()));
    await writeFile(path.join(dir, 'README.md'), '# not a value set');
    expect((await loadValueSets(dir)).map((vs) => vs.id)).toEqual(['pincer-hf']);
  });

  it('names the file that is not JSON', async () => {
    const dir = await dirWith('broken.json', '{"resourceType": ');
    await expect(loadValueSets(dir)).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it('names the file and the element when the shape is wrong', async () => {
    const withoutUrl: Partial<ValueSet> = good();
    delete withoutUrl.url;
    const dir = await dirWith('no-url.json', JSON.stringify(withoutUrl));
    await expect(loadValueSets(dir)).rejects.toThrow(/no-url\.json: not a valid ValueSet[\s\S]*url/);
  });

  it('names the file whose expansion total does not match its codes', async () => {
    const vs = good();
    if (vs.expansion !== undefined) vs.expansion.total = 1;
    const dir = await dirWith('total.json', JSON.stringify(vs));
    await expect(loadValueSets(dir)).rejects.toThrow(/total\.json: .*expansion\.total is 1/);
  });

  it('names the file holding a SNOMED CT code that is not a valid SCTID', async () => {
    const vs = good();
    const first = vs.expansion?.contains?.[0];
    if (first?.code !== undefined)
      first.code = first.code.slice(0, -1) + String((Number(first.code.at(-1)) + 1) % 10);
    const dir = await dirWith('bad-code.json', JSON.stringify(vs));
    await expect(loadValueSets(dir)).rejects.toThrow(
      /bad-code\.json: expansion\.contains\[0\] code .*Verhoeff/,
    );
  });

  it('names the file and the element when a compose concept has no code', async () => {
    const vs = good();
    const concept = vs.compose?.include[0]?.concept?.[1] as { code?: string } | undefined;
    if (concept !== undefined) delete concept.code;
    const dir = await dirWith('no-code.json', JSON.stringify(vs));
    await expect(loadValueSets(dir)).rejects.toThrow(
      /no-code\.json: compose\.include\[0\]\.concept\[1\]\.code is missing/,
    );
  });

  it('names both files when two share a url and version', async () => {
    const dir = await dirWith('a.json', JSON.stringify(good()));
    await writeFile(path.join(dir, 'b.json'), JSON.stringify(good()));
    await expect(loadValueSets(dir)).rejects.toThrow(/b\.json: same url and version .* as .*a\.json/);
  });
});
