import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/** An NDJSON file of a Bulk Data folder. */
export interface NdjsonFile {
  file: string;
  /** The resource type its name declares (`Patient.ndjson`, `Observation.001.ndjson.gz`), if any. */
  declaredType: string | undefined;
  gzip: boolean;
  bytes: number;
}

/** A part of a file to scan: whole lines from `start` (included) to `end` (excluded). */
export interface ScanRange {
  file: string;
  gzip: boolean;
  range?: { start: number; end: number };
}

/**
 * The NDJSON files of a folder laid out as FHIR Bulk Data `$export` writes it: one or more files per
 * resource type, named after the type (`Patient.ndjson`, `MedicationRequest.2.ndjson`), optionally
 * gzipped. The Bulk Data specification (IG v2, "Bulk Data Output File Request") requires each file to
 * hold resources of one type, so a file whose name declares a type no rule reads is not opened at all.
 */
export function listNdjsonFiles(dir: string): NdjsonFile[] {
  return readdirSync(dir)
    .filter((name) => /\.ndjson(\.gz)?$/i.test(name))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      return {
        file,
        declaredType: /^([A-Z][A-Za-z]+)(?=[.\-_])/.exec(name)?.[1],
        gzip: /\.gz$/i.test(name),
        bytes: statSync(file).size,
      };
    });
}

/**
 * Cuts uncompressed files into ranges of about `target` bytes at line ends, so that worker threads scan
 * one file in parallel; gzipped files are scanned whole (a gzip stream cannot be entered in the middle).
 */
export function scanRanges(files: readonly NdjsonFile[], target = 32 * 1024 * 1024): ScanRange[] {
  const ranges: ScanRange[] = [];
  for (const f of files) {
    if (f.gzip || f.bytes <= target) {
      ranges.push({ file: f.file, gzip: f.gzip });
      continue;
    }
    const fd = openSync(f.file, 'r');
    try {
      let start = 0;
      while (start < f.bytes) {
        const end = start + target >= f.bytes ? f.bytes : nextLineStart(fd, start + target, f.bytes);
        ranges.push({ file: f.file, gzip: false, range: { start, end } });
        start = end;
      }
    } finally {
      closeSync(fd);
    }
  }
  return ranges;
}

/** The offset just after the first newline at or after `from` (the file's size when there is none). */
function nextLineStart(fd: number, from: number, size: number): number {
  const buffer = Buffer.alloc(65_536);
  for (let at = from; at < size; at += buffer.length) {
    const read = readSync(fd, buffer, 0, buffer.length, at);
    const nl = buffer.subarray(0, read).indexOf(10);
    if (nl !== -1) return at + nl + 1;
  }
  return size;
}
