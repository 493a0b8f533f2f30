import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ByteLines, isBlank } from './byte-lines.js';
import type { PartitionWriter } from './partition-files.js';
import type { ResourceScanner, ScannedLine } from './resource-scanner.js';

/** What scanning a source (or a part of one) found. */
export interface ScanStats {
  lines: number;
  /** Records written to partitions (Patients included). */
  kept: number;
  patients: number;
  /** Lines that were not JSON or not FHIR resources. */
  invalid: number;
  /** Resources some rule reads that name no patient. */
  orphans: number;
  /** Practices found as Organization resources: id and name. */
  organizations: Array<[string, string]>;
  /**
   * Issues the source reported about records it could not deliver (a `$export` manifest's error files),
   * by issue code. Counts only: an issue's diagnostics may name a patient.
   */
  sourceErrors: Record<string, number>;
}

export function emptyScanStats(): ScanStats {
  return { lines: 0, kept: 0, patients: 0, invalid: 0, orphans: 0, organizations: [], sourceErrors: {} };
}

export function addScanStats(into: ScanStats, from: ScanStats): void {
  into.lines += from.lines;
  into.kept += from.kept;
  into.patients += from.patients;
  into.invalid += from.invalid;
  into.orphans += from.orphans;
  into.organizations.push(...from.organizations);
  for (const [code, n] of Object.entries(from.sourceErrors))
    into.sourceErrors[code] = (into.sourceErrors[code] ?? 0) + n;
}

/** Counts the issues of OperationOutcome NDJSON lines (a source's error files) by issue code. */
export async function countSourceErrors(
  lines: AsyncIterable<string> | Iterable<string>,
  stats: ScanStats,
): Promise<void> {
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let issues: Array<{ code?: unknown }> = [];
    try {
      const outcome = JSON.parse(line) as { issue?: unknown };
      issues = Array.isArray(outcome.issue) ? (outcome.issue as Array<{ code?: unknown }>) : [];
    } catch {
      issues = [{ code: 'unreadable' }];
    }
    if (issues.length === 0) issues = [{ code: 'unknown' }];
    for (const issue of issues) {
      const code = typeof issue?.code === 'string' ? issue.code.slice(0, 40) : 'unknown';
      stats.sourceErrors[code] = (stats.sourceErrors[code] ?? 0) + 1;
    }
  }
}

/** Scans NDJSON lines into partitions; medicines are remembered by the scanner for later lines. */
export async function scanLines(
  lines: AsyncIterable<string> | Iterable<string>,
  scanner: ResourceScanner,
  writer: PartitionWriter,
  stats: ScanStats = emptyScanStats(),
): Promise<ScanStats> {
  for await (const line of lines) {
    stats.lines++;
    keep(scanner.scan(line), scanner, writer, stats);
  }
  return stats;
}

/**
 * Scans an uncompressed NDJSON file (or a byte range of whole lines of it) into partitions, reading it
 * synchronously in large blocks (a worker thread has nothing else to do meanwhile). A line the scanner
 * can drop from its bytes alone (`ResourceScanner.dropsBytes`: most of a primary-care record) is never
 * decoded into a string; every other line goes through `scan`, as a streamed line does.
 */
export function scanNdjsonFile(
  file: string,
  range: { start: number; end: number } | undefined,
  scanner: ResourceScanner,
  writer: PartitionWriter,
  stats: ScanStats = emptyScanStats(),
  /** Bytes read at a time (a longer line grows it). */
  block = BLOCK,
): ScanStats {
  const fd = openSync(file, 'r');
  try {
    const end = range?.end ?? fstatSync(fd).size;
    let position = range?.start ?? 0;
    let buffer = Buffer.allocUnsafe(block);
    let filled = 0;
    while (position < end || filled > 0) {
      const read =
        position < end
          ? readSync(fd, buffer, filled, Math.min(buffer.length - filled, end - position), position)
          : 0;
      position += read;
      const available = filled + read;
      const last = position >= end;
      const lines = new ByteLines(buffer, available);
      let consumed = 0;
      for (let nl = buffer.indexOf(10, 0); nl !== -1 && nl < available; nl = buffer.indexOf(10, consumed)) {
        scanLine(lines, consumed, nl, scanner, writer, stats);
        consumed = nl + 1;
      }
      if (last) {
        if (consumed < available) scanLine(lines, consumed, available, scanner, writer, stats);
        break;
      }
      // Keep the unfinished line at the start of the block (a longer line than the block grows it).
      const rest = available - consumed;
      if (rest === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, rest);
        buffer = bigger;
      } else buffer.copy(buffer, 0, consumed, available);
      filled = rest;
    }
  } finally {
    closeSync(fd);
  }
  return stats;
}

const BLOCK = 4 << 20;

function scanLine(
  lines: ByteLines,
  start: number,
  end: number,
  scanner: ResourceScanner,
  writer: PartitionWriter,
  stats: ScanStats,
): void {
  const buffer = lines.buffer;
  if (end > start && buffer[end - 1] === 13) end--; // CRLF
  let first = start;
  while (first < end && isBlank(buffer[first]!)) first++;
  if (first === end) return; // an empty line, as splitLines skips it
  stats.lines++;
  if (scanner.dropsBytes(lines, start, end)) return;
  keep(scanner.scan(buffer.toString('utf8', start, end)), scanner, writer, stats);
}

function keep(
  scanned: ScannedLine,
  scanner: ResourceScanner,
  writer: PartitionWriter,
  stats: ScanStats,
): void {
  switch (scanned.kind) {
    case 'patient':
      stats.patients++;
      stats.kept++;
      writer.write(scanned.patientId, 'Patient', scanned.json);
      break;
    case 'resource':
      stats.kept++;
      writer.write(scanned.patientId, scanned.type, scanned.json);
      break;
    case 'organization':
      stats.organizations.push([scanned.id, scanned.name ?? scanned.id]);
      break;
    case 'medication':
      scanner.addMedication(scanned.reference, scanned.resource);
      break;
    case 'orphan':
      stats.orphans++;
      break;
    case 'invalid':
      stats.invalid++;
      break;
    case 'dropped':
      break;
  }
}
