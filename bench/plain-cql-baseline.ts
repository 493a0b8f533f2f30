/**
 * The baseline of the population bench (issue 6): what a plain cql-execution batch run does with the same
 * ELM and the same data, as other CQL engines' users ship it: one `cql.Library` per artefact built from
 * its ELM, cql-execution's own CodeService (value sets as lists of codes), a cql-exec-fhir
 * `PatientSource.FHIRv401` loaded with every resource of every patient, and `Executor.exec` over them
 * all: no indexing, no data filter, no triggers, results for every patient kept in memory.
 */
import cql from 'cql-execution';
import cqlfhir from 'cql-exec-fhir';
import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ElmLibrary } from '../src/engine/cql-evaluator.js';
import type { ValueSet } from '../src/engine/value-set.js';
import { flattenContains } from '../src/engine/value-set.js';
import { toCqlParameters } from '../src/engine/parameter-values.js';
import type { LoadedArtefact } from '../src/knowledge/knowledge-base.js';
import { builtLibraryOf } from '../src/population/artefact-library.js';

export interface BaselineResult {
  patients: number;
  resources: number;
  ms: number;
  msPerPatient: number;
}

/** The first `size` patients of an NDJSON folder with all their resources, as Bundles. */
export async function samplePatients(dir: string, size: number): Promise<object[]> {
  const byPatient = new Map<string, unknown[]>();
  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  for await (const line of createInterface({ input: createReadStream(path.join(dir, 'Patient.ndjson')) })) {
    if (byPatient.size >= size) break;
    const p = JSON.parse(line) as { id: string };
    byPatient.set(p.id, [p]);
  }
  for (const f of files.filter((f) => f !== 'Patient.ndjson')) {
    for await (const line of createInterface({ input: createReadStream(path.join(dir, f)) })) {
      const r = JSON.parse(line) as { subject?: { reference?: string } };
      const id = r.subject?.reference?.replace(/^Patient\//, '');
      if (id !== undefined) byPatient.get(id)?.push(r);
    }
  }
  return [...byPatient.values()].map((resources) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({ resource })),
  }));
}

/** cql-execution's CodeService input: `{ url: { version: [codes] } }`. */
export function plainCodeService(valueSets: readonly ValueSet[]): InstanceType<typeof cql.CodeService> {
  const json: Record<string, Record<string, Array<{ code: string; system: string }>>> = {};
  for (const vs of valueSets) {
    const codes = flattenContains(vs.expansion?.contains ?? [])
      .filter((c) => c.code !== undefined && c.system !== undefined)
      .map((c) => ({ code: c.code!, system: c.system! }));
    json[vs.url] = { [vs.version ?? '']: codes };
  }
  return new cql.CodeService(json);
}

/** Evaluates every artefact over every bundle, the plain way; times the executions only. */
export async function plainCqlBaseline(
  bundles: readonly object[],
  artefacts: readonly LoadedArtefact[],
  codeService: InstanceType<typeof cql.CodeService>,
  now: string,
): Promise<BaselineResult> {
  const executionTime = cql.DateTime.parse(now)!;
  let ms = 0;
  for (const artefact of artefacts) {
    const { main, includes } = builtLibraryOf(artefact);
    const repository: Record<string, ElmLibrary> = {};
    for (const lib of includes)
      repository[`${lib.library.identifier.id}|${lib.library.identifier.version ?? ''}`] = lib;
    const library = new cql.Library(main, new cql.Repository(repository));
    const source = cqlfhir.PatientSource.FHIRv401() as unknown as { loadBundles(b: readonly object[]): void };
    source.loadBundles(bundles);
    const executor = new cql.Executor(library, codeService, toCqlParameters(artefact.definition.parameters));
    const started = performance.now();
    await executor.exec(source as unknown as cql.DataProvider, executionTime);
    ms += performance.now() - started;
  }
  const resources = bundles.reduce<number>((s, b) => s + (b as { entry: unknown[] }).entry.length, 0);
  return { patients: bundles.length, resources, ms, msPerPatient: ms / Math.max(1, bundles.length) };
}
