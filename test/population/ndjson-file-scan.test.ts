import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyScanStats, scanLines, scanNdjsonFile } from '../../src/population/line-scan.js';
import type { PartitionWriter } from '../../src/population/partition-files.js';
import { readLines } from '../../src/population/partition-files.js';
import { loadPopulationKnowledge, selectReleases } from '../../src/population/population-knowledge.js';
import { ResourceScanner } from '../../src/population/resource-scanner.js';
import { evaluableReleases } from '../../src/population/artefact-library.js';
import { KNOWLEDGE, valueSetCodes } from './support/test-population.js';

/**
 * A folder's files are scanned from their bytes, and most lines are dropped without being decoded. The
 * outcome must be the streamed scanner's, line for line, whatever the layout of the JSON, the line ends,
 * the blocks the file is read in and the ranges it is cut into.
 */
const { knowledge } = await loadPopulationKnowledge(KNOWLEDGE);
const artefacts = selectReleases(knowledge, 'pincer').map((r) => evaluableReleases(knowledge).get(r.key)!);
const NOW = '2026-10-01T12:00:00.000+01:00';
const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codesOf = (url: string) => valueSetCodes(knowledge.valueSets, url, 20);
const known = [
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-nsaid-curated'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-ppi'),
  ...codesOf('https://loopcds.org/fhir/ValueSet/pincer-egfr'),
];
const coding = fc.oneof(
  fc.constantFrom(...known).map((c) => ({ system: c.system, code: c.code })),
  fc.record({ system: fc.constant('http://snomed.info/sct'), code: fc.stringMatching(/^[0-9]{6,9}$/) }),
);
const line = fc
  .record({
    type: fc.constantFrom(
      'Patient',
      'MedicationRequest',
      'Observation',
      'Encounter',
      'Organization',
      'Procedure',
    ),
    id: fc.stringMatching(/^[a-z0-9]{1,6}$/),
    coding: fc.array(coding, { maxLength: 3 }),
    authoredOn: fc.constantFrom('2019-02-01', '2026-06-28', '2026-06-29', '2026-09-30'),
    layout: fc.constantFrom('compact', 'spaced', 'type-last', 'escaped', 'reference', 'broken'),
    crlf: fc.boolean(),
    blankAfter: fc.boolean(),
  })
  .map((g) => {
    const codeKey = g.type === 'MedicationRequest' ? 'medicationCodeableConcept' : 'code';
    const body: Record<string, unknown> = {
      id: g.id,
      status: 'active',
      subject: { reference: `Patient/${g.id}` },
      authoredOn: g.authoredOn,
      [codeKey]: { coding: g.coding },
    };
    if (g.type === 'Patient') delete body['subject'];
    if (g.layout === 'escaped') body['note'] = [{ text: 'a "quoted" \\ note' }];
    if (g.layout === 'reference') body['medicationReference'] = { reference: 'Medication/m1' };
    const resource =
      g.layout === 'type-last' ? { ...body, resourceType: g.type } : { resourceType: g.type, ...body };
    let text = JSON.stringify(resource, null, g.layout === 'spaced' ? 1 : undefined).replace(/\n/g, ' ');
    if (g.layout === 'broken') text = text.slice(0, -3);
    return text + (g.crlf ? '\r\n' : '\n') + (g.blankAfter ? '  \n' : '');
  });

function recorder(): { writer: PartitionWriter; written: string[] } {
  const written: string[] = [];
  const writer = {
    write: (patientId: string, type: string, payload: string) =>
      written.push(`${patientId}\t${type}\t${payload}`),
  } as unknown as PartitionWriter;
  return { writer, written };
}

let droppedUndecoded = 0;

describe('scanning an NDJSON file from its bytes', () => {
  it('keeps, counts and drops exactly what the streamed scanner does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 64, max: 4096 }),
        async (lines, block) => {
          const file = path.join(dir, 'Mixed.ndjson');
          writeFileSync(file, lines.join(''));
          const streamed = recorder();
          const streamedStats = await scanLines(
            readLines(file),
            new ResourceScanner(artefacts, knowledge.valueSets, NOW),
            streamed.writer,
            emptyScanStats(),
          );
          const bytes = recorder();
          const byteScanner = new ResourceScanner(artefacts, knowledge.valueSets, NOW);
          const drops = byteScanner.dropsBytes.bind(byteScanner);
          byteScanner.dropsBytes = (...args) => {
            const dropped = drops(...args);
            if (dropped) droppedUndecoded++;
            return dropped;
          };
          const byteStats = scanNdjsonFile(
            file,
            undefined,
            byteScanner,
            bytes.writer,
            emptyScanStats(),
            block,
          );
          expect(bytes.written).toEqual(streamed.written);
          expect(byteStats).toEqual(streamedStats);
        },
      ),
      { numRuns: 150 },
    );
    // The point of it: lines dropped without being decoded.
    expect(droppedUndecoded).toBeGreaterThan(100);
  });

  it('reads a byte range of whole lines and nothing outside it', () => {
    const lines = fc.sample(line, { numRuns: 40, seed: 7 });
    const file = path.join(dir, 'Ranged.ndjson');
    writeFileSync(file, lines.join(''));
    const cut = Buffer.byteLength(lines.slice(0, 17).join(''));
    const whole = recorder();
    scanNdjsonFile(file, undefined, new ResourceScanner(artefacts, knowledge.valueSets, NOW), whole.writer);
    const parts = recorder();
    const scanner = new ResourceScanner(artefacts, knowledge.valueSets, NOW);
    scanNdjsonFile(file, { start: 0, end: cut }, scanner, parts.writer, emptyScanStats(), 100);
    scanNdjsonFile(
      file,
      { start: cut, end: Buffer.byteLength(lines.join('')) },
      scanner,
      parts.writer,
      emptyScanStats(),
      100,
    );
    expect(parts.written).toEqual(whole.written);
    expect(whole.written.length).toBeGreaterThan(0);
  });
});
