import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ValueSet } from '../../engine/value-set.js';
import type { CalendarDate } from './calendar-date.js';
import { oracleVerdict, PINCER_ORACLE } from './pincer-oracle.js';
import { SeededRandom } from './seeded-random.js';
import { SynthCodes } from './synth-codes.js';
import type { SynthPractice } from './synth-facts.js';
import { patientResources, practiceResource } from './synth-fhir.js';
import { generatePatient, REALISTIC, type SynthProfile } from './synth-patient.js';

export interface SynthOptions {
  patients: number;
  practices: number;
  seed: number;
  /** The index date the records are written around (their "today"). */
  asOf: CalendarDate;
  outDir: string;
  valueSets: readonly ValueSet[];
  /** Write `.ndjson.gz` instead of `.ndjson`. */
  gzip?: boolean;
  /** How the population is shaped (default: a plausible practice list). */
  profile?: SynthProfile;
  /** Called every 1,000 patients. */
  onProgress?: (done: number) => void;
}

/** Per indicator and practice, the denominator and numerator the generator built in. */
export type ExpectedCounts = Record<string, Record<string, { denominator: number; numerator: number }>>;

/** What `expected.json` holds beside the NDJSON files. */
export interface SynthManifest {
  seed: number;
  asOf: CalendarDate;
  patients: number;
  resources: Record<string, number>;
  practices: SynthPractice[];
  /** Patients outside the measure population (sex not recorded as male or female), by practice. */
  excluded: Record<string, number>;
  expected: ExpectedCounts;
}

const TYPES = [
  'Patient',
  'Organization',
  'MedicationRequest',
  'Condition',
  'Observation',
  'Encounter',
] as const;

/**
 * Writes a deterministic synthetic UK primary-care population as a Bulk Data NDJSON folder (one file per
 * resource type, as `$export` writes them), and `expected.json`: the denominator and numerator of every
 * PINCER indicator in every practice, known by construction from the generator's facts through the
 * oracle (pincer-oracle.ts), for the registered patients recorded as male or female (clinical-spec §1.2).
 * Memory stays flat: each patient is written as soon as it is made.
 */
export function writeSyntheticPopulation(options: SynthOptions): SynthManifest {
  const codes = new SynthCodes(options.valueSets);
  const rng = new SeededRandom(`${options.seed}:practices`);
  const practices: SynthPractice[] = Array.from({ length: options.practices }, (_, i) => ({
    id: `SYN${String(i + 1).padStart(3, '0')}`,
    name: `${['Riverside', 'Park Lane', 'Market Street', 'Hillview', 'Old Mill', 'Castle'][i % 6]} Surgery ${i + 1}`,
    hazardFactor: Math.round(Math.min(3, Math.max(0.3, Math.exp(rng.normal(0, 0.5)))) * 100) / 100,
  }));
  const sizes = practices.map(() => 0.5 + rng.next());
  mkdirSync(options.outDir, { recursive: true });
  const writers = new Map(
    TYPES.map((t) => [
      t,
      new NdjsonWriter(
        path.join(options.outDir, `${t}.ndjson${options.gzip === true ? '.gz' : ''}`),
        options.gzip === true,
      ),
    ]),
  );
  for (const practice of practices) writers.get('Organization')!.write(practiceResource(practice));
  const expected: ExpectedCounts = {};
  for (const indicator of Object.keys(PINCER_ORACLE))
    expected[indicator] = Object.fromEntries(practices.map((p) => [p.id, { denominator: 0, numerator: 0 }]));
  const excluded: Record<string, number> = Object.fromEntries(practices.map((p) => [p.id, 0]));
  const width = String(options.patients).length;
  for (let n = 0; n < options.patients; n++) {
    const patientRng = new SeededRandom(`${options.seed}:${n}`);
    const practice = practices[patientRng.weighted(sizes)]!;
    const facts = generatePatient(
      patientRng,
      codes,
      `syn-${String(n + 1).padStart(width, '0')}`,
      practice,
      options.asOf,
      options.profile ?? REALISTIC,
    );
    for (const [type, resources] of Object.entries(patientResources(facts)))
      for (const r of resources) writers.get(type as (typeof TYPES)[number])!.write(r);
    if (facts.gender !== 'male' && facts.gender !== 'female') excluded[practice.id]!++;
    else {
      for (const indicator of Object.keys(PINCER_ORACLE)) {
        const v = oracleVerdict(indicator, facts, codes, options.asOf)!;
        const counts = expected[indicator]![practice.id]!;
        if (v.denominator) counts.denominator++;
        if (v.numerator) counts.numerator++;
      }
    }
    if ((n + 1) % 1000 === 0) options.onProgress?.(n + 1);
  }
  const resources: Record<string, number> = {};
  for (const [type, writer] of writers) resources[type] = writer.close();
  const manifest: SynthManifest = {
    seed: options.seed,
    asOf: options.asOf,
    patients: options.patients,
    resources,
    practices,
    excluded,
    expected,
  };
  writeFileSync(path.join(options.outDir, 'expected.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Appends JSON lines to a file through a 1 MiB buffer; gzip members are concatenated (RFC 1952 §2.2). */
class NdjsonWriter {
  private readonly fd: number;
  private chunks: string[] = [];
  private size = 0;
  private count = 0;

  constructor(
    file: string,
    private readonly gzip: boolean,
  ) {
    this.fd = openSync(file, 'w');
  }

  write(resource: unknown): void {
    const line = `${JSON.stringify(resource)}\n`;
    this.chunks.push(line);
    this.size += line.length;
    this.count++;
    if (this.size >= 1 << 20) this.flush();
  }

  close(): number {
    this.flush();
    closeSync(this.fd);
    return this.count;
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    if (this.gzip) writeSync(this.fd, gzipSync(text));
    else writeSync(this.fd, text);
    this.chunks = [];
    this.size = 0;
  }
}
