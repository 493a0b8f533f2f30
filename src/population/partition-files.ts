import { closeSync, createReadStream, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fnv1a } from './fnv1a.js';

/**
 * Partition files: every record of a patient goes to the partition `hash(patient id) mod P`, one line
 * each, `<patient id>\t<resource type>\t<JSON resource>` (or `<patient id>\t@\t<practice id>` for a practice
 * assignment from a mapping file). FHIR ids and type names cannot contain tabs, so nothing needs escaping;
 * the evaluator groups a partition without parsing, and parses a resource only when a rule needs its type. Several writers (worker threads, the main thread) write
 * their own files of the same partition, `part-<p>-<writer>.tsv`; a partition is the union.
 */
export function partitionOf(patientId: string, partitions: number): number {
  return fnv1a(patientId) % partitions;
}

/** Appends records to partition files through per-partition buffers (64 KiB each). */
export class PartitionWriter {
  private readonly buffers: string[][];
  private readonly sizes: number[];
  private readonly fds = new Map<number, number>();

  constructor(
    private readonly dir: string,
    private readonly partitions: number,
    private readonly writer: string,
  ) {
    this.buffers = Array.from({ length: partitions }, () => []);
    this.sizes = new Array<number>(partitions).fill(0);
  }

  write(patientId: string, type: string, payload: string): void {
    const p = partitionOf(patientId, this.partitions);
    const line = `${patientId}\t${type}\t${payload}\n`;
    this.buffers[p]!.push(line);
    this.sizes[p]! += line.length;
    if (this.sizes[p]! >= 65_536) this.flush(p);
  }

  /** Writes what is buffered and closes the files. */
  close(): void {
    for (let p = 0; p < this.partitions; p++) this.flush(p);
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private flush(p: number): void {
    const buffer = this.buffers[p]!;
    if (buffer.length === 0) return;
    let fd = this.fds.get(p);
    if (fd === undefined) {
      fd = openSync(path.join(this.dir, `part-${p}-${this.writer}.tsv`), 'a');
      this.fds.set(p, fd);
    }
    writeSync(fd, buffer.join(''));
    this.buffers[p] = [];
    this.sizes[p] = 0;
  }
}

/** The files of every partition in a folder, by partition number, with their total size in bytes. */
export function listPartitions(dir: string): Map<number, { files: string[]; bytes: number }> {
  const found = new Map<number, { files: string[]; bytes: number }>();
  for (const name of readdirSync(dir).sort()) {
    const match = /^part-(\d+)-.+\.tsv$/.exec(name);
    if (match === null) continue;
    const p = Number(match[1]);
    const file = path.join(dir, name);
    const entry = found.get(p) ?? { files: [], bytes: 0 };
    entry.files.push(file);
    entry.bytes += statSync(file).size;
    found.set(p, entry);
  }
  return found;
}

/** The lines of a text file (UTF-8), read in 1 MiB chunks; `start`/`end` select a byte range of whole lines. */
export async function* readLines(
  file: string,
  range?: { start: number; end: number },
): AsyncGenerator<string> {
  const stream = createReadStream(file, {
    highWaterMark: 1 << 20,
    ...(range === undefined ? {} : { start: range.start, end: Math.max(range.start, range.end - 1) }),
  });
  if (range !== undefined && range.end <= range.start) {
    stream.destroy();
    return;
  }
  yield* splitLines(stream);
}

/** Splits a stream of bytes (or strings) into lines, without the line ends; empty lines are skipped. */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.trim() !== '') yield rest;
}
