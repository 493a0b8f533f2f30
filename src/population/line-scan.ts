import type { PartitionWriter } from './partition-files.js';
import type { ResourceScanner } from './resource-scanner.js';

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
    const scanned = scanner.scan(line);
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
  return stats;
}
