import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeedbackEntry, HookCallEntry } from './outcome-entry.js';
import { OutcomeSetupError } from './outcome-setup-error.js';

/** One record in the journal: one line of NDJSON. */
export type JournalLine =
  { kind: 'hook-call'; entry: HookCallEntry } | { kind: 'feedback'; entry: FeedbackEntry };

/** One file of the journal, and what became of the records in it. */
export interface JournalSegment {
  path: string;
  bytes: number;
  /** Records of this file still waiting in the memory queue. */
  pending: number;
  /** Records of this file held nowhere else (the queue was full, or an earlier run left them): replay it. */
  unqueued: number;
  sealed: boolean;
}

/** Another live process holds the journal. */
export class JournalLockedError extends OutcomeSetupError {
  constructor(file: string, pid: number) {
    super(`${file} is in use by process ${pid}: give each service instance its own LOOPCDS_OUTCOME_JOURNAL`);
  }
}

/**
 * The append-only outcome journal, written synchronously before a hook's response is sent: whatever was
 * acknowledged is in the operating system's hands even if the process is killed the next instant
 * (`write`), or on the disk (`fsync`). The active file is emptied whenever every record in it has
 * reached the store; it is sealed (renamed `<file>.<time>-<n>`) when it grows past `segmentBytes` or
 * when it holds records that only it holds, and a sealed file is deleted once the store has all of its
 * records. Files left by an earlier run are replayed into the store (writing is idempotent by record id).
 */
export class OutcomeJournal {
  readonly #file: string;
  readonly #lock: string;
  readonly #sync: 'write' | 'fsync';
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  #fd: number;
  #active: JournalSegment;
  readonly #sealed: JournalSegment[] = [];
  #sequence = 0;

  private constructor(options: {
    file: string;
    sync: 'write' | 'fsync';
    maxBytes: number;
    segmentBytes: number;
  }) {
    this.#file = options.file;
    this.#lock = `${options.file}.lock`;
    this.#sync = options.sync;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes;
    mkdirSync(path.dirname(this.#file), { recursive: true });
    takeLock(this.#lock);
    // Whatever an earlier run left is sealed, to be replayed.
    if (exists(this.#file) && statSync(this.#file).size > 0) renameSync(this.#file, this.#sealedName());
    const dir = path.dirname(this.#file);
    const prefix = `${path.basename(this.#file)}.`;
    for (const name of readdirSync(dir).sort()) {
      if (!name.startsWith(prefix) || name.endsWith('.lock')) continue;
      const file = path.join(dir, name);
      this.#sealed.push({ path: file, bytes: statSync(file).size, pending: 0, unqueued: 1, sealed: true });
    }
    this.#fd = openSync(this.#file, 'a');
    this.#active = {
      path: this.#file,
      bytes: fstatSync(this.#fd).size,
      pending: 0,
      unqueued: 0,
      sealed: false,
    };
  }

  /** Opens the journal at `file`, taking its lock; throws {@link JournalLockedError} if a live process has it. */
  static open(options: {
    file: string;
    sync: 'write' | 'fsync';
    maxBytes: number;
    segmentBytes?: number;
  }): OutcomeJournal {
    return new OutcomeJournal({ segmentBytes: 16 * 1024 * 1024, ...options }); // 16 MiB files
  }

  /** Bytes in every file of the journal. */
  get bytes(): number {
    return this.#sealed.reduce((sum, s) => sum + s.bytes, this.#active.bytes);
  }

  /** Files still to be replayed into the store (left by an earlier run, or holding spilled records). */
  get waitingFiles(): number {
    return this.#sealed.filter((s) => s.unqueued > 0).length + (this.#active.unqueued > 0 ? 1 : 0);
  }

  /**
   * Appends one record, synchronously. `queued`: the record also waits in the memory queue (otherwise
   * only here). Returns its file, or undefined when the journal is full (`maxBytes`). Throws on I/O errors.
   */
  append(line: JournalLine, queued: boolean): JournalSegment | undefined {
    const data = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    if (this.bytes + data.length > this.#maxBytes) return undefined;
    let written = 0;
    while (written < data.length) written += writeSync(this.#fd, data, written, data.length - written);
    if (this.#sync === 'fsync') fdatasyncSync(this.#fd);
    const segment = this.#active;
    segment.bytes += data.length;
    if (queued) segment.pending++;
    else segment.unqueued++;
    if (segment.bytes >= this.#segmentBytes) this.#seal();
    return segment;
  }

  /** `count` queued records of `segment` are in the store. */
  committed(segment: JournalSegment, count = 1): void {
    segment.pending -= count;
    this.#release(segment);
  }

  /**
   * The next file to replay, once no queued record remains in it; the active file is sealed first when it
   * holds records nothing else holds. Undefined when there is nothing to replay.
   */
  nextReplay(): JournalSegment | undefined {
    if (this.#active.unqueued > 0 && this.#active.pending === 0) this.#seal();
    return this.#sealed.find((s) => s.unqueued > 0 && s.pending === 0);
  }

  /** The records of a sealed file; a torn last line (a write cut short by a crash) is counted, not returned. */
  async read(segment: JournalSegment): Promise<{ lines: JournalLine[]; unreadable: number }> {
    const text = await readFile(segment.path, 'utf8');
    const lines: JournalLine[] = [];
    let unreadable = 0;
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        lines.push(JSON.parse(raw) as JournalLine);
      } catch {
        unreadable++;
      }
    }
    return { lines, unreadable };
  }

  /** Every record of a replayed file is in the store: delete it. */
  replayed(segment: JournalSegment): void {
    segment.unqueued = 0;
    this.#release(segment);
  }

  /**
   * Closes the journal and releases its lock. The active file is deleted if the store has everything in
   * it; otherwise it stays, to be replayed at the next start.
   */
  close(): void {
    closeSync(this.#fd);
    if (this.#active.pending === 0 && this.#active.unqueued === 0) unlinkQuietly(this.#file);
    unlinkQuietly(this.#lock);
  }

  /** The active file becomes a sealed one: the same segment object, so queued records keep pointing at it. */
  #seal(): void {
    closeSync(this.#fd);
    const segment = this.#active;
    segment.path = this.#sealedName();
    segment.sealed = true;
    renameSync(this.#file, segment.path);
    this.#sealed.push(segment);
    this.#fd = openSync(this.#file, 'a');
    this.#active = { path: this.#file, bytes: 0, pending: 0, unqueued: 0, sealed: false };
    this.#release(segment);
  }

  #release(segment: JournalSegment): void {
    if (segment.pending > 0 || segment.unqueued > 0) return;
    if (segment.sealed) {
      unlinkQuietly(segment.path);
      const at = this.#sealed.indexOf(segment);
      if (at >= 0) this.#sealed.splice(at, 1);
    } else if (segment.bytes > 0) {
      ftruncateSync(this.#fd, 0); // O_APPEND: the next record goes at offset 0
      segment.bytes = 0;
    }
  }

  #sealedName(): string {
    this.#sequence++;
    return `${this.#file}.${Date.now()}-${String(this.#sequence).padStart(6, '0')}`;
  }
}

/** A lock file holding the owner's pid; a lock whose process is gone (killed) is taken over. */
function takeLock(lock: string): void {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
    throw new JournalLockedError(lock, pid);
  writeFileSync(lock, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
