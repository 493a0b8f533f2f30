import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { toFeedbackEntry, toHookCallEntry, type OutcomeBatch } from './outcome-entry.js';
import type { JournalLine, JournalSegment, OutcomeJournal } from './outcome-journal.js';
import { OutcomeMetrics, type OutcomeRecorderMetrics } from './outcome-metrics.js';
import type { FeedbackRecord, HookCallRecord, OutcomeRecorder } from './outcome-recorder.js';
import type { OutcomeStore } from './outcome-store.js';
import type { Pseudonymiser } from './pseudonymiser.js';

export interface QueuedRecorderOptions {
  store: OutcomeStore;
  journal: OutcomeJournal;
  pseudonymiser: Pseudonymiser;
  /** LOOPCDS_SITE, when configured. */
  site?: string | undefined;
  queueMax: number;
  batchSize: number;
  /** Longest wait before a partial batch is written, in milliseconds. */
  flushMs: number;
  logger: Logger;
  registry?: Registry | undefined;
  clock?: () => Date;
}

interface QueueItem {
  line: JournalLine;
  segment: JournalSegment | undefined;
}

interface Batch {
  outcome: OutcomeBatch;
  size: number;
  done(): void;
}

const MAX_RETRY_MS = 5_000; // 5 seconds between attempts while the store is down
const LOG_EVERY_MS = 30_000; // repeat "still down" at most every 30 seconds

/**
 * The outcome recorder of the running service (design.md §2: recording never blocks or fails the
 * response, and is never silently dropped). `recordHookCall` pseudonymises the record, appends it to the
 * journal synchronously (so it survives the process being killed once the response is sent) and queues
 * it in memory; a background loop writes the queue to the store in batches, one transaction each. When
 * the store fails, batches are retried with backoff; when the memory queue is full, records wait in the
 * journal only and are replayed from it when the store is back. Nothing here throws into the hook path.
 */
export class QueuedOutcomeRecorder implements OutcomeRecorder {
  readonly #options: QueuedRecorderOptions;
  readonly #metrics: OutcomeMetrics;
  readonly #queue: QueueItem[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #replay: { segment: JournalSegment; lines: JournalLine[]; next: number } | undefined;
  #retryMs = 0;
  #storeUp = true;
  #closed = false;
  #lastLog = new Map<string, number>();

  constructor(options: QueuedRecorderOptions) {
    this.#options = options;
    this.#metrics = new OutcomeMetrics(
      () => ({ queueDepth: this.#queue.length, journalBytes: options.journal.bytes, storeUp: this.#storeUp }),
      options.registry,
    );
    // Files an earlier run left (a crash, or a store that was down at shutdown) are replayed now.
    if (options.journal.waitingFiles > 0) {
      options.logger.warn(
        { files: options.journal.waitingFiles, bytes: options.journal.bytes },
        'outcome journal holds records of an earlier run: replaying them into the store',
      );
      this.#schedule(0);
    }
  }

  /** The prom-client registry holding this recorder's metrics. */
  get registry(): Registry {
    return this.#metrics.registry;
  }

  recordHookCall(record: HookCallRecord): void {
    try {
      const entry = toHookCallEntry(record, {
        pseudonymiser: this.#options.pseudonymiser,
        configuredSite: this.#options.site,
        ...(this.#options.clock ? { now: this.#options.clock() } : {}),
      });
      this.#accept({ kind: 'hook-call', entry });
    } catch (error) {
      this.#metrics.add('dropped');
      this.#log('error', 'convert', { err: error }, 'an outcome record could not be converted and is lost');
    }
  }

  recordFeedback(records: readonly FeedbackRecord[]): void {
    for (const record of records) {
      try {
        this.#accept({ kind: 'feedback', entry: toFeedbackEntry(record) });
      } catch (error) {
        this.#metrics.add('dropped');
        this.#log('error', 'convert', { err: error }, 'a feedback record could not be converted and is lost');
      }
    }
  }

  metrics(): OutcomeRecorderMetrics {
    const counts = this.#metrics.counts;
    return {
      queueDepth: this.#queue.length,
      queueCapacity: this.#options.queueMax,
      journalBytes: this.#options.journal.bytes,
      journalFilesWaiting: this.#options.journal.waitingFiles,
      ...counts,
      storeUp: this.#storeUp,
    };
  }

  /**
   * Stops taking records and writes what waits, for at most `timeoutMs`. If the store is down, whatever is
   * left stays in the journal for the next start: shutting down loses nothing that was acknowledged.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#draining;
    const deadline = performance.now() + timeoutMs;
    while (this.#hasWork() && performance.now() < deadline) {
      if (!(await this.#drain().catch(() => false))) break;
    }
    const left = this.#queue.length;
    this.#options.journal.close();
    const counts = this.#metrics.counts;
    this.#options.logger.info(
      { written: counts.written, replayed: counts.replayed, leftInJournal: left, dropped: counts.dropped },
      left === 0 ? 'outcome recorder drained' : 'outcome recorder closed with records left in the journal',
    );
  }

  #accept(line: JournalLine): void {
    this.#metrics.add('recorded');
    const queued = !this.#closed && this.#queue.length < this.#options.queueMax;
    let segment: JournalSegment | undefined;
    try {
      segment = this.#closed ? undefined : this.#options.journal.append(line, queued);
    } catch (error) {
      this.#metrics.add('journalErrors');
      this.#log(
        'error',
        'journal',
        { err: error },
        'outcome journal append failed: the record is in memory only',
      );
    }
    if (queued) {
      this.#queue.push({ line, segment });
      this.#schedule(this.#options.flushMs);
    } else if (segment !== undefined) {
      this.#metrics.add('spilled');
      this.#log(
        'warn',
        'spill',
        { queueDepth: this.#queue.length, journalBytes: this.#options.journal.bytes },
        'outcome queue full: records wait in the journal and will be written when the store catches up',
      );
    } else {
      this.#metrics.add('dropped');
      this.#log(
        'error',
        'drop',
        { queueDepth: this.#queue.length, journalBytes: this.#options.journal.bytes },
        'outcome queue and journal full: outcome records are being lost',
      );
    }
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined || this.#draining !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#draining = this.#drain()
        .catch((error: unknown) => {
          // A journal file that cannot be read or removed: retry later, never an unhandled rejection.
          this.#metrics.add('journalErrors');
          this.#retryMs = Math.min(MAX_RETRY_MS, Math.max(100, this.#retryMs * 2));
          this.#log('error', 'drain', { err: error }, 'outcome recorder could not drain: retrying');
          return false;
        })
        .then((ok) => {
          this.#draining = undefined;
          if (this.#hasWork()) this.#schedule(ok ? 0 : this.#retryMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  #hasWork(): boolean {
    return (
      this.#queue.length > 0 || this.#replay !== undefined || this.#options.journal.nextReplay() !== undefined
    );
  }

  /** Writes batches until nothing waits; resolves to false when a write failed (retry later). */
  async #drain(): Promise<boolean> {
    for (;;) {
      const batch = await this.#nextBatch();
      if (batch === undefined) return true;
      const started = performance.now();
      try {
        await this.#options.store.write(batch.outcome);
      } catch (error) {
        this.#metrics.add('writeErrors');
        this.#storeUp = false;
        this.#retryMs = Math.min(MAX_RETRY_MS, Math.max(100, this.#retryMs * 2));
        this.#log(
          'warn',
          'store',
          { err: error, queueDepth: this.#queue.length, journalBytes: this.#options.journal.bytes },
          'outcome store write failed: records wait in the queue and the journal, and are retried',
        );
        return false;
      }
      this.#metrics.observeBatch((performance.now() - started) / 1000);
      batch.done();
      if (!this.#storeUp) {
        this.#storeUp = true;
        this.#lastLog.delete('store');
        this.#options.logger.info(
          { queueDepth: this.#queue.length },
          'outcome store is back: writing what waited',
        );
      }
      this.#retryMs = 0;
      // Let hook calls in between batches: SQLite writes synchronously, and a backlog is many batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async #nextBatch(): Promise<Batch | undefined> {
    const { batchSize, journal } = this.#options;
    if (this.#queue.length > 0) {
      const items = this.#queue.slice(0, batchSize);
      return {
        outcome: toBatch(items.map((i) => i.line)),
        size: items.length,
        done: () => {
          this.#queue.splice(0, items.length);
          for (const item of items) if (item.segment !== undefined) journal.committed(item.segment);
          this.#metrics.add('written', items.length);
        },
      };
    }
    if (this.#replay === undefined) {
      const segment = journal.nextReplay();
      if (segment === undefined) return undefined;
      const { lines, unreadable } = await journal.read(segment);
      if (unreadable > 0) {
        this.#options.logger.warn(
          { file: segment.path, unreadable },
          'outcome journal lines could not be read (a write cut short by a crash, before its response was sent)',
        );
      }
      this.#replay = { segment, lines, next: 0 };
    }
    const replay = this.#replay;
    const lines = replay.lines.slice(replay.next, replay.next + batchSize);
    return {
      outcome: toBatch(lines),
      size: lines.length,
      done: () => {
        replay.next += lines.length;
        this.#metrics.add('replayed', lines.length);
        if (replay.next >= replay.lines.length) {
          journal.replayed(replay.segment);
          this.#replay = undefined;
        }
      },
    };
  }

  /** One log line per kind of trouble, then at most one every 30 seconds while it lasts. */
  #log(level: 'warn' | 'error', kind: string, fields: object, message: string): void {
    const now = performance.now();
    const last = this.#lastLog.get(kind);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    this.#lastLog.set(kind, now);
    this.#options.logger[level]({ ...fields, metrics: this.metrics() }, message);
  }
}

function toBatch(lines: readonly JournalLine[]): OutcomeBatch {
  const batch: OutcomeBatch = { hookCalls: [], feedback: [] };
  for (const line of lines) {
    if (line.kind === 'hook-call') batch.hookCalls.push(line.entry);
    else batch.feedback.push(line.entry);
  }
  return batch;
}
