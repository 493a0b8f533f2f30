import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadValueSets } from '../../../src/engine/value-set.js';
import type { ValueSetIndex } from '../../../src/engine/value-set-index.js';
import type { KnowledgeLocations } from '../../../src/knowledge/knowledge-base.js';
import type { PopulationRunResult } from '../../../src/population/population-run.js';
import {
  writeSyntheticPopulation,
  type SynthManifest,
} from '../../../src/population/synth/synth-population.js';
import { ROOT } from '../../support/test-service.js';

export const KNOWLEDGE: KnowledgeLocations = {
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
};

/** The index date of the test populations. */
export const AS_OF = '2026-10-01';

/**
 * A small synthetic population in a temporary folder: few years of history (fast), and rare conditions
 * and medicines made common, so that every PINCER indicator has patients in its numerator.
 */
export async function testPopulation(
  patients: number,
  practices: number,
  seed: number,
): Promise<{ dir: string; manifest: SynthManifest; remove(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-synth-'));
  const manifest = writeSyntheticPopulation({
    patients,
    practices,
    seed,
    asOf: AS_OF,
    outDir: dir,
    valueSets: await loadValueSets(KNOWLEDGE.valueSetDir),
    profile: { historyYears: 2, recentYears: 2, rare: 8 },
  });
  return { dir, manifest, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What two runs must agree on: counts by practice and release, and who is in each action list. */
export function comparable(run: PopulationRunResult) {
  return {
    patients: run.result.patients,
    counts: run.result.counts
      .map((c) => `${c.practiceId} ${c.release} ${c.denominator}/${c.numerator}/${c.incomplete}/${c.errors}`)
      .sort(),
    actions: run.result.actions.map((a) => `${a.practiceId} ${a.patientId} ${a.release} ${a.summary}`).sort(),
    excluded: run.result.excluded,
  };
}

/** The first `limit` codings (system and code) of a value set of the knowledge. */
export function valueSetCodes(
  valueSets: ValueSetIndex,
  url: string,
  limit: number,
): Array<{ system: string; code: string }> {
  const vs = valueSets.findValueSet(url) as { codes?: Array<{ code: string; system: string }> } | null;
  return (vs?.codes ?? []).slice(0, limit);
}
