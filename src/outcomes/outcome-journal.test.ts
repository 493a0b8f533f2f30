import { appendFileSync, mkdtempSync, rmSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeedbackEntry } from './outcome-entry.js';
import { JournalLockedError, OutcomeJournal, type JournalLine } from './outcome-journal.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed after the file's tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function line(n: number): JournalLine {
  const entry: FeedbackEntry = {
    id: `id-${n}`,
    serviceId: 's',
    cardUuid: `card-${n}`,
    outcome: 'accepted',
    acceptedSuggestions: [],
    overrideReason: null,
    userComment: null,
    outcomeTimestamp: '2026-11-23T10:00:00Z',
    outcomeAt: '2026-11-23T10:00:00.000Z',
    receivedAt: '2026-11-23T10:00:00.000Z',
  };
  return { kind: 'feedback', entry };
}

function journalIn(dir: string, options: { maxBytes?: number; segmentBytes?: number } = {}) {
  return OutcomeJournal.open({
    file: path.join(dir, 'journal.ndjson'),
    sync: 'write',
    maxBytes: options.maxBytes ?? 1024 * 1024,
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
  });
}

describe('OutcomeJournal', () => {
  it('writes each record before returning, and empties the file once the store has them all', () => {
    const dir = tempDir('loopcds-j-');
    const journal = journalIn(dir);
    const a = journal.append(line(1), true)!;
    const b = journal.append(line(2), true)!;
    const size = statSync(path.join(dir, 'journal.ndjson')).size;
    expect(size).toBeGreaterThan(0);
    journal.committed(a);
    expect(statSync(path.join(dir, 'journal.ndjson')).size).toBe(size); // one record still waits
    journal.committed(b);
    expect(statSync(path.join(dir, 'journal.ndjson')).size).toBe(0);
    journal.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('seals a full file and deletes it once the store has its records', () => {
    const dir = tempDir('loopcds-j-');
    const journal = journalIn(dir, { segmentBytes: 1 });
    const first = journal.append(line(1), true)!;
    expect(first.sealed).toBe(true);
    expect(readdirSync(dir).filter((f) => /journal\.ndjson\.\d+-\d+$/.test(f))).toHaveLength(1);
    journal.committed(first);
    expect(readdirSync(dir).sort()).toEqual(['journal.ndjson', 'journal.ndjson.lock']);
    journal.close();
  });

  it('gives a file holding records that nothing else holds to the replay, and reads them back', async () => {
    const dir = tempDir('loopcds-j-');
    const journal = journalIn(dir);
    journal.append(line(1), false);
    journal.append(line(2), false);
    const segment = journal.nextReplay()!;
    expect(segment.sealed).toBe(true);
    const { lines } = await journal.read(segment);
    expect(lines.map((l) => (l.entry as FeedbackEntry).id)).toEqual(['id-1', 'id-2']);
    journal.replayed(segment);
    expect(journal.nextReplay()).toBeUndefined();
    journal.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replays what an earlier run left, counting a torn last line', async () => {
    const dir = tempDir('loopcds-j-');
    writeFileSync(path.join(dir, 'journal.ndjson'), `${JSON.stringify(line(7))}\n`);
    appendFileSync(path.join(dir, 'journal.ndjson'), '{"kind":"feedback","entry":{"id":"cut sh');
    const journal = journalIn(dir);
    expect(journal.waitingFiles).toBe(1);
    const { lines, unreadable } = await journal.read(journal.nextReplay()!);
    expect(lines).toHaveLength(1);
    expect(unreadable).toBe(1);
    journal.close();
  });

  it('refuses records past its size limit', () => {
    const dir = tempDir('loopcds-j-');
    const journal = journalIn(dir, { maxBytes: 100 });
    expect(journal.append(line(1), true)).toBeUndefined();
    journal.close();
  });

  it('refuses a journal another live process holds, and takes over one whose process is gone', () => {
    const dir = tempDir('loopcds-j-');
    writeFileSync(path.join(dir, 'journal.ndjson.lock'), String(process.ppid));
    expect(() => journalIn(dir)).toThrow(JournalLockedError);
    writeFileSync(path.join(dir, 'journal.ndjson.lock'), '2147483646'); // no such process
    const journal = journalIn(dir);
    journal.close();
  });
});
