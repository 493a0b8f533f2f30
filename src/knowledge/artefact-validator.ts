import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseLibraryHeader } from '../engine/cql-source.js';
import type { ElmLibrary } from '../engine/cql-evaluator.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactDefinitionSchema, type ArtefactDefinition } from './artefact-definition.js';
import { artefactTestCaseSchema } from './artefact-test-case.js';
import { checkCardTemplates } from './card-template-check.js';
import { declaredValueSets, includedLibraries, statementNames } from './loaded-artefact.js';
import { error, warning, type ValidationFinding } from './validation-finding.js';

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The compiled libraries by name (the highest version when a name has several). */
export type CompiledByName = ReadonlyMap<string, ElmLibrary>;

/**
 * Checks one artefact folder: its metadata (schema: semantic version, status, owner, sources; a
 * changelog entry for its version), that its CQL declares the same library name and version, that every
 * expression its metadata, cards and test cases name is defined, that the value sets its libraries
 * declare exist, and its card templates (card-template-check.ts). Returns the definition when it parses.
 */
export async function validateArtefact(
  dir: string,
  compiled: CompiledByName,
  valueSets: ValueSetIndex,
  display: (file: string) => string,
): Promise<{ findings: ValidationFinding[]; definition?: ArtefactDefinition }> {
  const findings: ValidationFinding[] = [];
  const file = path.join(dir, 'artefact.json');
  const where = display(file);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    return { findings: [error(where, `not valid JSON: ${(e as Error).message}`)] };
  }
  const parsed = artefactDefinitionSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      findings.push(error(where, `${issue.path.join('.') || '(root)'}: ${issue.message}`));
    return { findings };
  }
  const d = parsed.data;
  if (d.id !== path.basename(dir)) findings.push(error(where, `id "${d.id}" is not the folder's name`));
  if (!d.changelog.some((c) => c.version === d.version))
    findings.push(error(where, `changelog: no entry for version ${d.version}`));
  for (const c of d.changelog)
    if (!SEMVER.test(c.version))
      findings.push(error(where, `changelog: "${c.version}" is not a semantic version`));

  const cqlFile = path.join(dir, d.library.file);
  try {
    const header = parseLibraryHeader(await readFile(cqlFile, 'utf8'));
    const at = `${display(cqlFile)}:${header?.line ?? 1}:1`;
    if (header === undefined) findings.push(error(at, 'declares no library'));
    else if (header.id !== d.library.name)
      findings.push(error(at, `library ${header.id}, but artefact.json names ${d.library.name}`));
    else if (header.version !== d.version)
      findings.push(
        error(
          at,
          `library version '${header.version ?? ''}' does not match artefact.json version ${d.version}`,
        ),
      );
  } catch {
    findings.push(error(where, `library.file ${d.library.file} cannot be read`));
  }

  const elm = compiled.get(d.library.name);
  if (elm === undefined) {
    findings.push(
      error(where, `library ${d.library.name} did not compile, so its expressions cannot be checked`),
    );
    return { findings, definition: d };
  }
  const expressions = statementNames(elm);
  const expression = (name: string | undefined, what: string) => {
    if (name !== undefined && !expressions.has(name))
      findings.push(error(where, `${what} names "${name}", which ${d.library.name} does not define`));
  };
  expression(d.result.fired, 'result.fired');
  expression(d.result.missingData, 'result.missingData');
  const parameters = new Set(
    ((elm.library['parameters'] as { def?: Array<{ name: string }> } | undefined)?.def ?? []).map(
      (p) => p.name,
    ),
  );
  for (const name of Object.keys(d.parameters))
    if (!parameters.has(name))
      findings.push(error(where, `parameters.${name}: ${d.library.name} has no such parameter`));

  for (const url of new Set([
    ...declaredValueSets(elm),
    ...includesOf(elm, compiled).flatMap(declaredValueSets),
  ]))
    if (!valueSets.has(url))
      findings.push(error(where, `value set ${url} (declared in the CQL) is not in the value set folder`));
  const declared = new Set(declaredValueSets(elm));
  for (const r of [...d.dataRequirements, ...(d.triggers ?? [])])
    for (const url of r.codeFilter?.valueSets ?? [])
      if (!declared.has(url))
        findings.push(
          error(where, `dataRequirements/triggers name ${url}, which ${d.library.name} does not declare`),
        );

  findings.push(...checkCardTemplates(d.cards, expressions, valueSets, where, d.library.name));
  findings.push(...(await checkTestCases(dir, expressions, d.library.name, display)));
  return { findings, definition: d };
}

async function checkTestCases(
  dir: string,
  expressions: ReadonlySet<string>,
  library: string,
  display: (file: string) => string,
): Promise<ValidationFinding[]> {
  const findings: ValidationFinding[] = [];
  const testsDir = path.join(dir, 'tests');
  const names = (await readdir(testsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  if (names.length === 0) findings.push(warning(display(dir), 'no test cases (tests/*.json)'));
  for (const name of names.sort()) {
    const file = path.join(testsDir, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      findings.push(error(display(file), `not valid JSON: ${(e as Error).message}`));
      continue;
    }
    const parsed = artefactTestCaseSchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        findings.push(error(display(file), `${issue.path.join('.') || '(root)'}: ${issue.message}`));
      continue;
    }
    for (const name of Object.keys(parsed.data.expect.expressions))
      if (!expressions.has(name))
        findings.push(
          error(display(file), `expect.expressions names "${name}", which ${library} does not define`),
        );
    if (parsed.data.expect.result !== 'fired' && (parsed.data.expect.cards?.length ?? 0) > 0)
      findings.push(warning(display(file), `expects cards from a result of ${parsed.data.expect.result}`));
  }
  return findings;
}

function includesOf(elm: ElmLibrary, compiled: CompiledByName): ElmLibrary[] {
  const seen = new Map<string, ElmLibrary>();
  const pending = [elm];
  for (let lib = pending.pop(); lib !== undefined; lib = pending.pop()) {
    for (const { name } of includedLibraries(lib)) {
      const found = compiled.get(name);
      if (found === undefined || seen.has(name)) continue;
      seen.set(name, found);
      pending.push(found);
    }
  }
  return [...seen.values()];
}
