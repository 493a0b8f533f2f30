import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKnowledge } from './compile-knowledge-cli.js';
import { formatDiagnostic } from './cql-diagnostic.js';
import { compileKnowledge, loadCompiledKnowledge, type CompileReport } from './knowledge-compiler.js';
import { fhirModelInfoFile } from './translator-options.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

const COMMON = lines(
  "library Common version '1.0.0'",
  "using FHIR version '4.0.1'",
  "include FHIRHelpers version '4.0.1'",
  'define function "Is Active"(M FHIR.MedicationRequest): M.status = \'active\'',
);
const NSAID = lines(
  "library Nsaid version '2.0.0'",
  "using FHIR version '4.0.1'",
  "include FHIRHelpers version '4.0.1' called FHIRHelpers",
  "include Common version '1.0.0' called Common",
  'context Patient',
  'define "Active Orders": [MedicationRequest] M where Common."Is Active"(M)',
);
const WARNS = lines("library Warns version '1.0.0'", 'define X: 1', "define Y: 'X'");

let root: string;
let cacheDir: string;
let cold: CompileReport;

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'loopcds-knowledge-'));
  cacheDir = join(root, 'knowledge', '.build', 'elm');
  await writeFiles(join(root, 'knowledge'), {
    'nsaid/Nsaid.cql': NSAID,
    'shared/Common.cql': COMMON,
    'shared/Warns.cql': WARNS,
    // Build output is never read back as source.
    '.build/Stale.cql': 'this is not CQL',
  });
  cold = await compileKnowledge({ knowledgeDirs: [join(root, 'knowledge')], cacheDir, baseDir: root });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('compileKnowledge', () => {
  it('compiles every library under the knowledge folders, plus our FHIRHelpers', () => {
    expect(cold.libraries.map((l) => `${l.id}|${l.version}`)).toEqual([
      'Common|1.0.0',
      'FHIRHelpers|4.0.1',
      'Nsaid|2.0.0',
      'Warns|1.0.0',
    ]);
    expect(cold.libraries.find((l) => l.id === 'Nsaid')?.path).toBe('knowledge/nsaid/Nsaid.cql');
    expect(cold).toMatchObject({ cached: 0, translated: 4 });
    expect(cold.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('writes one ELM file per library and an index by name|version', async () => {
    const index = JSON.parse(await readFile(join(cacheDir, 'index.json'), 'utf8')) as Record<
      string,
      { hash: string; elmFile: string; path: string }
    >;
    expect(Object.keys(index).sort()).toEqual([
      'Common|1.0.0',
      'FHIRHelpers|4.0.1',
      'Nsaid|2.0.0',
      'Warns|1.0.0',
    ]);
    const nsaid = index['Nsaid|2.0.0'];
    expect(nsaid).toMatchObject({ path: 'knowledge/nsaid/Nsaid.cql', elmFile: `${nsaid?.hash}.json` });
    const elm = JSON.parse(await readFile(join(cacheDir, nsaid?.elmFile ?? ''), 'utf8')) as {
      library: { identifier: unknown };
    };
    expect(elm.library.identifier).toEqual({ id: 'Nsaid', version: '2.0.0' });
  });

  it('reuses the cache on the second compile and translates nothing', async () => {
    const warm = await compileKnowledge({
      knowledgeDirs: [join(root, 'knowledge')],
      cacheDir,
      baseDir: root,
    });
    expect(warm).toMatchObject({ cached: 4, translated: 0 });
    expect(warm.libraries.map((l) => l.hash)).toEqual(cold.libraries.map((l) => l.hash));
    expect(warm.libraries.map((l) => l.elm)).toEqual(cold.libraries.map((l) => l.elm));
  });

  it('keeps reporting the warnings of a library whose ELM comes from the cache', async () => {
    const warning = 'knowledge/shared/Warns.cql:3:11 String literal';
    expect(cold.diagnostics.map(formatDiagnostic).join('\n')).toContain(warning);
    const warm = await compileKnowledge({
      knowledgeDirs: [join(root, 'knowledge')],
      cacheDir,
      baseDir: root,
    });
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    expect(warm.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
  });

  it('retranslates a library and its includers when an included library changes, and nothing else', async () => {
    const copy = join(root, 'changed');
    await cp(join(root, 'knowledge'), copy, { recursive: true });
    await writeFile(join(copy, 'shared', 'Common.cql'), COMMON.replace("'active'", "'completed'"));
    const copyCache = join(root, 'changed-cache'); // the same cache entries, but an index of its own
    await cp(cacheDir, copyCache, { recursive: true });

    const report = await compileKnowledge({ knowledgeDirs: [copy], cacheDir: copyCache, baseDir: root });

    expect(report).toMatchObject({ cached: 2, translated: 2 }); // FHIRHelpers and Warns from the cache
    const hash = (r: CompileReport, id: string) => r.libraries.find((l) => l.id === id)?.hash;
    expect(hash(report, 'Common')).not.toBe(hash(cold, 'Common'));
    expect(hash(report, 'Nsaid')).not.toBe(hash(cold, 'Nsaid'));
    expect(hash(report, 'FHIRHelpers')).toBe(hash(cold, 'FHIRHelpers'));
  });

  it('reports syntax, semantic, missing-include and declaration errors as path:line:col message', async () => {
    const bad = join(root, 'bad');
    await writeFiles(bad, {
      'Syntax.cql': lines("library Syntax version '1.0.0'", 'define X: 1 + * 2'),
      'Semantic.cql': lines("library Semantic version '1.0.0'", '', "define X: 1 + 'a'"),
      'Missing.cql': lines(
        "library Missing version '1.0.0'",
        "include Nope version '9' called Nope",
        'define X: 1',
      ),
      'NoVersion.cql': lines('library NoVersion', 'define X: 1'),
      'NoHeader.cql': lines('define X: 1'),
    });
    const before = {
      files: (await readdir(cacheDir)).sort(),
      index: await readFile(join(cacheDir, 'index.json'), 'utf8'),
    };

    const report = await compileKnowledge({ knowledgeDirs: [bad], cacheDir, baseDir: root });

    const messages = report.diagnostics.map(formatDiagnostic);
    expect(messages).toEqual(
      expect.arrayContaining([
        'bad/Syntax.cql:2:15 Syntax error at *',
        'bad/Semantic.cql:3:11 Could not resolve call to operator Add with signature (System.Integer, System.String).',
        expect.stringMatching(/^bad\/Missing\.cql:2:1 Could not load source for library Nope, version 9/),
        expect.stringMatching(/^bad\/NoVersion\.cql:1:1 Library NoVersion has no version/),
        expect.stringMatching(/^bad\/NoHeader\.cql:1:1 The file declares no library/),
      ]),
    );
    expect(report.libraries.map((l) => l.id)).toEqual(['FHIRHelpers']); // from the cache
    // Failed libraries are not cached, and a failed build leaves the last good index in place.
    expect((await readdir(cacheDir)).sort()).toEqual(before.files);
    expect(await readFile(join(cacheDir, 'index.json'), 'utf8')).toBe(before.index);
  });

  it('defines every conversion function the FHIR model info names in our FHIRHelpers', async () => {
    const modelInfo = await readFile(fhirModelInfoFile(), 'utf8');
    const conversions = [...modelInfo.matchAll(/<conversionInfo\s+([^>]*?)\/?>/g)].map((m) => ({
      functionName: /functionName="([^"]+)"/.exec(m[1] ?? '')?.[1],
      fromType: /fromType="([^"]+)"/.exec(m[1] ?? '')?.[1],
    }));
    expect(conversions).toHaveLength(264);

    const helpers = cold.libraries.find((l) => l.id === 'FHIRHelpers')?.elm as {
      library: {
        statements: {
          def: Array<{ name: string; operand?: Array<{ operandTypeSpecifier?: { name?: string } }> }>;
        };
      };
    };
    const overloads = new Set(
      helpers.library.statements.def.map(
        (d) => `${d.name}(${d.operand?.[0]?.operandTypeSpecifier?.name ?? ''})`,
      ),
    );
    const missing = conversions.filter(({ functionName, fromType }) => {
      const name = functionName?.replace(/^FHIRHelpers\./, '');
      const type = `{http://hl7.org/fhir}${fromType?.replace(/^FHIR\./, '')}`;
      return !overloads.has(`${name}(${type})`);
    });
    expect(missing).toEqual([]);
  });
});

describe('loadCompiledKnowledge', () => {
  it('reads the libraries of the last good build without translating', async () => {
    const loaded = await loadCompiledKnowledge(cacheDir);
    const byKey = (l: { id: string; version: string }) => `${l.id}|${l.version}`;
    expect(loaded.map(byKey).sort()).toEqual(cold.libraries.map(byKey));
    const nsaid = loaded.find((l) => l.id === 'Nsaid');
    expect(nsaid).toEqual(cold.libraries.find((l) => l.id === 'Nsaid'));
  });

  it('says to build the knowledge when there is no index', async () => {
    await expect(loadCompiledKnowledge(join(root, 'nowhere'))).rejects.toThrow(/loopcds knowledge build/);
  });
});

describe('buildKnowledge', () => {
  function capture() {
    let text = '';
    return { write: (chunk: string) => (text += chunk), text: () => text };
  }

  it('prints warnings and a summary, and exits 0 when there is no error', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await buildKnowledge({
      knowledgeDirs: [join(root, 'knowledge')],
      cacheDir,
      baseDir: root,
      stdout,
      stderr,
    });
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/^compiled 4 libraries \(4 from cache\) in \d+ ms\n$/);
    expect(stderr.text()).toMatch(
      /^knowledge\/shared\/Warns\.cql:3:11 String literal 'X' matches the identifier X/,
    );
  });

  it('prints each error as path:line:col message and exits 1', async () => {
    const dir = join(root, 'cli-bad');
    await writeFiles(dir, { 'Bad.cql': lines("library Bad version '1.0.0'", "define X: 1 + 'a'") });
    const stdout = capture();
    const stderr = capture();
    const code = await buildKnowledge({ knowledgeDirs: [dir], cacheDir, baseDir: root, stdout, stderr });
    expect(code).toBe(1);
    expect(stderr.text()).toContain(
      'cli-bad/Bad.cql:2:11 Could not resolve call to operator Add with signature (System.Integer, System.String).\n',
    );
    expect(stdout.text()).toMatch(/^compiled 1 libraries \(1 from cache\) in \d+ ms\n$/); // FHIRHelpers
  });
});
