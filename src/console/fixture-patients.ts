import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const resource = z.looseObject({ resourceType: z.string().min(1), id: z.string().min(1).max(64) });

/**
 * A synthetic patient the console's "try it" panel offers (`fixtures/patients/<id>.json`): the patient,
 * their record, any orders being drafted, and the service and date it is meant to be tried with. Codes
 * come from the value sets in knowledge/valuesets (each description names the test case it was built from).
 */
export const fixturePatientSchema = z
  .object({
    title: z.string().min(1).max(200),
    description: z.string().min(1),
    /** The service it shows best, and the date to try it on (`YYYY-MM-DD`). */
    service: z.string().min(1),
    date: z.iso.date(),
    patient: resource.refine((r) => r.resourceType === 'Patient', 'a Patient'),
    resources: z.array(resource).default([]),
    draftOrders: z.array(resource).default([]),
  })
  .strict();

export type FixturePatient = z.infer<typeof fixturePatientSchema> & { id: string };

const FIXTURE_ID = /^[a-z0-9][a-z0-9-]{0,80}$/;

/** Every fixture patient in a folder, sorted by id; a malformed file is an error naming it. */
export async function loadFixturePatients(dir: string): Promise<FixturePatient[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const fixtures: FixturePatient[] = [];
  for (const file of files) {
    const id = file.slice(0, -'.json'.length);
    if (!FIXTURE_ID.test(id)) continue;
    const parsed = fixturePatientSchema.safeParse(JSON.parse(await readFile(path.join(dir, file), 'utf8')));
    if (!parsed.success)
      throw new Error(
        `${path.join(dir, file)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    fixtures.push({ id, ...parsed.data });
  }
  return fixtures;
}
