import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ElmLibrary } from '../engine/cql-evaluator.js';
import { compileKnowledge } from '../engine/knowledge-compiler.js';
import { parseValueSet, type ValueSet } from '../engine/value-set.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactDefinitionSchema } from './artefact-definition.js';
import { validateArtefact } from './artefact-validator.js';
import { artefactDirs, releasesDirOf } from './knowledge-base.js';
import { collectReleaseContents, ReleaseError, type WorkingLocations } from './release-contents.js';
import { sha256Hex } from './release-manifest.js';
import { listReleases, readVerifiedRelease, type StoredRelease } from './release-store.js';
import { serviceDefinitionSchema } from './service-definition.js';
import { error, warning, type ValidationFinding } from './validation-finding.js';

export interface ValidationReport {
  findings: ValidationFinding[];
  artefacts: number;
  services: number;
  releases: number;
}

/**
 * `loopcds knowledge validate`: compiles the CQL (errors as `file:line:col`), checks every value set file,
 * every artefact (artefact-validator.ts), every service definition (its releases exist; none retired runs
 * active), and every release folder (unchanged since it was frozen). A working copy at a released version
 * whose content differs from the release is a warning: the service runs the release, so the change needs
 * a new version before it can run.
 */
export async function validateKnowledge(
  locations: WorkingLocations & { servicesDir: string },
  only?: string,
): Promise<ValidationReport> {
  const baseDir = path.resolve(locations.baseDir ?? process.cwd());
  const display = (file: string) => {
    const rel = path.relative(baseDir, path.resolve(file));
    return rel.startsWith('..') ? path.resolve(file) : rel;
  };
  const findings: ValidationFinding[] = [];
  const report = await compileKnowledge({
    knowledgeDirs: [locations.knowledgeDir, ...locations.extraLibraryDirs],
    cacheDir: locations.elmCacheDir,
    baseDir,
  });
  for (const d of report.diagnostics)
    findings.push({ severity: d.severity, where: `${d.path}:${d.line}:${d.column}`, message: d.message });
  const compiled = new Map<string, ElmLibrary>();
  for (const lib of [...report.libraries].sort((a, b) =>
    a.version.localeCompare(b.version, 'en', { numeric: true }),
  ))
    compiled.set(lib.id, lib.elm as ElmLibrary);

  const valueSets: ValueSet[] = [];
  for (const name of (await readdir(locations.valueSetDir)).filter((f) => f.endsWith('.json')).sort()) {
    const file = path.join(locations.valueSetDir, name);
    try {
      valueSets.push(parseValueSet(JSON.parse(await readFile(file, 'utf8')), display(file)));
    } catch (e) {
      findings.push(error(display(file), (e as Error).message));
    }
  }
  const index = new ValueSetIndex(valueSets);

  const working = new Map<string, { status: string }>();
  let artefacts = 0;
  for (const dir of await artefactDirs(locations.knowledgeDir)) {
    if (only !== undefined && path.basename(dir) !== only) continue;
    artefacts += 1;
    const result = await validateArtefact(dir, compiled, index, display);
    findings.push(...result.findings);
    if (result.definition !== undefined)
      working.set(`${result.definition.id}@${result.definition.version}`, {
        status: result.definition.status,
      });
  }

  const listed = await listReleases(releasesDirOf(locations.knowledgeDir));
  for (const p of listed.problems) findings.push(error(display(releasesDirOf(locations.knowledgeDir)), p));
  const releases = new Map(listed.releases.map((r) => [r.ref, r]));
  for (const release of listed.releases) {
    if (only !== undefined && release.manifest.id !== only) continue;
    findings.push(...(await checkRelease(release, locations, working, display)));
  }

  let services = 0;
  const unreleased = new Map<string, string[]>();
  const retired = new Set(
    [...working].filter(([, a]) => a.status === 'retired').map(([ref]) => ref.split('@')[0]),
  );
  for (const name of (await readdir(locations.servicesDir)).filter((f) => f.endsWith('.json')).sort()) {
    const file = path.join(locations.servicesDir, name);
    services += 1;
    const parsed = serviceDefinitionSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        findings.push(error(display(file), `${issue.path.join('.') || '(root)'}: ${issue.message}`));
      continue;
    }
    for (const [role, refs] of [
      ['active', parsed.data.artefacts],
      ['shadow', parsed.data.shadow],
    ] as const) {
      for (const ref of refs) {
        const release = releases.get(ref);
        if (release === undefined && !working.has(ref) && only === undefined)
          findings.push(
            error(
              display(file),
              `${role} ${ref}: no release in knowledge/releases and no working copy at that version`,
            ),
          );
        const status = release?.manifest.status ?? working.get(ref)?.status;
        if (role === 'active' && (status === 'retired' || retired.has(ref.split('@')[0])))
          findings.push(error(display(file), `${ref} is retired and cannot run as an active release`));
        if (role === 'active' && release === undefined && working.has(ref))
          unreleased.set(ref, [...(unreleased.get(ref) ?? []), parsed.data.id]);
      }
    }
  }
  for (const [ref, by] of unreleased)
    findings.push(
      warning(
        display(path.join(locations.knowledgeDir, ref.split('@')[0] ?? ref)),
        `${ref} is not released: ${by.join(', ')} run${by.length === 1 ? 's' : ''} its working copy (release it before production)`,
      ),
    );
  return { findings, artefacts, services, releases: listed.releases.length };
}

async function checkRelease(
  release: StoredRelease,
  locations: WorkingLocations,
  working: ReadonlyMap<string, { status: string }>,
  display: (file: string) => string,
): Promise<ValidationFinding[]> {
  const where = display(release.dir);
  const verified = await readVerifiedRelease(release);
  const findings = verified.problems.map((p) => error(where, p));
  const artefactJson = verified.files.get('artefact.json');
  if (
    artefactJson !== undefined &&
    !artefactDefinitionSchema.safeParse(JSON.parse(artefactJson.toString('utf8'))).success
  )
    findings.push(error(where, 'its artefact.json does not match the artefact schema'));
  if (findings.length > 0 || !working.has(release.ref)) return findings;
  // The working copy is at this released version: has it changed since?
  try {
    const contents = await collectReleaseContents(locations, release.manifest.id);
    const frozen = new Map(release.manifest.files.map((f) => [f.path, f.sha256]));
    const changed = [...new Set([...frozen.keys(), ...contents.files.keys()])]
      .filter((p) => !p.startsWith('elm/'))
      .filter(
        (p) => frozen.get(p) !== (contents.files.has(p) ? sha256Hex(contents.files.get(p) ?? '') : undefined),
      )
      .sort();
    if (changed.length > 0)
      findings.push(
        warning(
          display(path.join(locations.knowledgeDir, release.manifest.id)),
          `differs from release ${release.ref} (${changed.join(', ')}): the service runs the release; bump the version to release the change`,
        ),
      );
  } catch (e) {
    if (!(e instanceof ReleaseError)) throw e;
  }
  return findings;
}
