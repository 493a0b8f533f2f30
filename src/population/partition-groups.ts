import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fnv1a } from './fnv1a.js';
import { readLines } from './partition-files.js';

/** One patient's records as partition payloads (JSON resources, or `@<practice>` assignments). */
export type PatientRecords = Map<string, string[]>;

/** Largest partition grouped in memory at once: parsed records take several times their size. */
export const MAX_GROUP_BYTES = 96 * 1024 * 1024; // 96 MiB

/**
 * Groups the records of one partition by patient, a bounded amount at a time: a partition small enough is
 * read whole; a larger one (an uneven hash, or a population bigger than the partition count foresaw) is
 * split again by a second hash into sub-files in `scratchDir`, each grouped in turn. Memory is bounded by
 * `maxBytes` whatever the population size. Patients are yielded in id order within each group.
 */
export async function* patientGroups(
  files: readonly string[],
  scratchDir: string,
  maxBytes = MAX_GROUP_BYTES,
  depth = 0,
): AsyncGenerator<PatientRecords> {
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  if (bytes <= maxBytes || depth >= 4) {
    const groups: PatientRecords = new Map();
    for (const file of files) {
      for await (const line of readLines(file)) {
        const tab = line.indexOf('\t');
        if (tab <= 0) continue;
        const id = line.slice(0, tab);
        const payload = line.slice(tab + 1);
        const list = groups.get(id);
        if (list === undefined) groups.set(id, [payload]);
        else list.push(payload);
      }
    }
    yield new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return;
  }
  const parts = Math.min(64, Math.ceil(bytes / maxBytes) * 2);
  const dir = mkdtempSync(path.join(scratchDir, 'split-'));
  try {
    const fds = Array.from({ length: parts }, (_, i) => openSync(path.join(dir, `s-${i}.tsv`), 'w'));
    const buffers: string[][] = Array.from({ length: parts }, () => []);
    const flush = (i: number) => {
      writeSync(fds[i]!, buffers[i]!.join(''));
      buffers[i] = [];
    };
    for (const file of files) {
      for await (const line of readLines(file)) {
        const tab = line.indexOf('\t');
        if (tab <= 0) continue;
        const i = fnv1a(line.slice(0, tab), 0x9747b28c + depth) % parts;
        buffers[i]!.push(`${line}\n`);
        if (buffers[i]!.length >= 512) flush(i);
      }
    }
    for (let i = 0; i < parts; i++) {
      flush(i);
      closeSync(fds[i]!);
    }
    for (let i = 0; i < parts; i++)
      yield* patientGroups([path.join(dir, `s-${i}.tsv`)], scratchDir, maxBytes, depth + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
