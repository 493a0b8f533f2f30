import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parameterValueSchema } from './artefact-definition.js';

const resource = z.looseObject({ resourceType: z.string().min(1) });

/**
 * One test case of an artefact (`knowledge/<id>/tests/<case>.json`): a patient's data, the evaluation
 * date-time, and what must come out. `expect.expressions` is a subset: each named expression must exist
 * and equal the value given (dates as ISO strings, as cards see them). `expect.cards`, when present,
 * lists every card in order, with the fields that must match.
 */
export const artefactTestCaseSchema = z
  .object({
    name: z.string().min(1).max(200),
    /** Why this case exists: the threshold or window edge it sits on, with its source. */
    description: z.string().min(1).optional(),
    now: z.iso.datetime({ offset: true }),
    hook: z
      .enum(['patient-view', 'order-select', 'order-sign', 'encounter-start', 'appointment-book'])
      .default('patient-view'),
    parameters: z.record(z.string().min(1), parameterValueSchema).default({}),
    patient: resource,
    resources: z.array(resource).default([]),
    draftOrders: z.array(resource).default([]),
    expect: z
      .object({
        result: z.enum(['fired', 'not-fired', 'incomplete', 'error']),
        expressions: z.record(z.string().min(1), z.unknown()).default({}),
        missingData: z.array(z.string()).optional(),
        cards: z
          .array(
            z
              .object({
                indicator: z.enum(['info', 'warning', 'critical']).optional(),
                summary: z.string().min(1).optional(),
                /** Strings the detail must contain. */
                detailContains: z.array(z.string().min(1)).optional(),
                /** Labels of the suggestions, in order. */
                suggestions: z.array(z.string().min(1)).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict(),
  })
  .strict();

export type ArtefactTestCase = z.infer<typeof artefactTestCaseSchema>;

export interface LoadedTestCase {
  file: string;
  testCase: ArtefactTestCase;
}

/** Reads and validates every `tests/*.json` of an artefact folder; a malformed case is an error naming its file. */
export async function loadTestCases(artefactDir: string): Promise<LoadedTestCase[]> {
  const dir = path.join(artefactDir, 'tests');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const cases: LoadedTestCase[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const parsed = artefactTestCaseSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    cases.push({ file, testCase: parsed.data });
  }
  return cases;
}
