import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const statusSchema = z.object({
  ref: z.string(),
  source: z.enum(['release', 'working-copy']),
  hash: z.string(),
  ranAt: z.string(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  /** The first failing cases, by name. */
  failing: z.array(z.string()),
});

/** How the test cases of one artefact release went the last time they ran. */
export type ArtefactTestStatus = z.infer<typeof statusSchema>;

/**
 * Where `loopcds knowledge test` leaves its last results: beside the ELM cache (knowledge/.build/, not
 * versioned), so that `knowledge list` and the API can show them without running the cases again.
 */
export function testStatusFile(elmCacheDir: string): string {
  return path.join(path.dirname(path.resolve(elmCacheDir)), 'test-status.json');
}

/** The key of a release's results: a frozen release and a working copy may share an `id@version`. */
export function testStatusKey(ref: string, source: 'release' | 'working-copy'): string {
  return `${ref}|${source}`;
}

/** The last results by {@link testStatusKey}; none when no run has been recorded (or the file is unreadable). */
export async function readTestStatus(file: string): Promise<Map<string, ArtefactTestStatus>> {
  try {
    const parsed = z.record(z.string(), statusSchema).safeParse(JSON.parse(await readFile(file, 'utf8')));
    return new Map(parsed.success ? Object.entries(parsed.data) : []);
  } catch {
    return new Map();
  }
}

/** Records the results of a run, replacing those of the same releases and keeping the others. */
export async function writeTestStatus(file: string, statuses: readonly ArtefactTestStatus[]): Promise<void> {
  const all = await readTestStatus(file);
  for (const s of statuses) all.set(testStatusKey(s.ref, s.source), s);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(Object.fromEntries([...all].sort()), null, 2)}\n`);
  await rename(temporary, file);
}
