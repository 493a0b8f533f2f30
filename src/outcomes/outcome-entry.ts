import { randomUUID } from 'node:crypto';
import type { PrefetchReport } from '../context/patient-data-builder.js';
import { isoWeekOf } from './iso-week.js';
import type { FeedbackRecord, HookCallRecord, ReleaseEvaluation } from './outcome-recorder.js';
import type { Pseudonymiser } from './pseudonymiser.js';
import { siteOf } from './site.js';

/**
 * A hook call as the store keeps it: the patient id replaced by its pseudonym, the site resolved, the
 * grouping keys (local date, ISO week) computed once, and an id given when it was recorded, so that
 * writing the same entry twice (a journal replayed after a crash) stores it once.
 */
export interface HookCallEntry {
  id: string;
  serviceId: string;
  hook: string;
  hookInstance: string;
  /** The evaluation time (CQL `Now()`), ISO 8601 with the configured time zone's offset. */
  evaluatedAt: string;
  /** Its local date, `YYYY-MM-DD`, and ISO week, `YYYY-Www`. */
  localDate: string;
  isoWeek: string;
  patientPseudonym: string;
  pseudonymKeyId: string;
  site: string;
  issuer: string | null;
  tenant: string | null;
  prefetch: PrefetchReport;
  timings: { prefetchMs: number; fallbackMs: number; evaluationMs: number };
  evaluations: ReleaseEvaluation[];
  /** When the service recorded it (UTC): retention counts from here. */
  recordedAt: string;
}

/** A feedback entry (CDS Hooks 2.0 §Feedback) as the store keeps it, with its own id. */
export interface FeedbackEntry {
  id: string;
  serviceId: string;
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason: { system: string; code: string; display?: string } | null;
  userComment: string | null;
  /** As sent (RFC 3339, any offset), and the same instant in UTC for ordering. */
  outcomeTimestamp: string;
  outcomeAt: string;
  receivedAt: string;
}

/** What one store transaction writes. */
export interface OutcomeBatch {
  hookCalls: HookCallEntry[];
  feedback: FeedbackEntry[];
}

/** Turns what the hook path hands over into what the store keeps: no raw patient id survives this. */
export function toHookCallEntry(
  record: HookCallRecord,
  options: { pseudonymiser: Pseudonymiser; configuredSite?: string | undefined; now?: Date },
): HookCallEntry {
  const site = siteOf({
    configured: options.configuredSite,
    issuer: record.issuer,
    tenant: record.tenant,
    fhirServer: record.fhirServer,
  });
  const localDate = record.at.slice(0, 10);
  return {
    id: randomUUID(),
    serviceId: record.serviceId,
    hook: record.hook,
    hookInstance: record.hookInstance,
    evaluatedAt: record.at,
    localDate,
    isoWeek: isoWeekOf(localDate),
    patientPseudonym: options.pseudonymiser.pseudonym(site, record.patientId),
    pseudonymKeyId: options.pseudonymiser.keyId,
    site,
    issuer: record.issuer ?? null,
    tenant: record.tenant ?? null,
    prefetch: record.prefetch,
    timings: record.timings,
    evaluations: record.evaluations,
    recordedAt: (options.now ?? new Date()).toISOString(),
  };
}

/** Gives a feedback record its id and its UTC instant. */
export function toFeedbackEntry(record: FeedbackRecord): FeedbackEntry {
  const instant = new Date(record.outcomeTimestamp);
  return {
    id: randomUUID(),
    serviceId: record.serviceId,
    cardUuid: record.card,
    outcome: record.outcome,
    acceptedSuggestions: record.acceptedSuggestions,
    overrideReason: record.overrideReason ?? null,
    userComment: record.userComment ?? null,
    outcomeTimestamp: record.outcomeTimestamp,
    outcomeAt: Number.isNaN(instant.getTime()) ? record.receivedAt : instant.toISOString(),
    receivedAt: record.receivedAt,
  };
}

/** Splits `id@version` at its first `@`: an artefact id never holds one. */
export function splitRelease(release: string): { artefactId: string; version: string } {
  const at = release.indexOf('@');
  return at < 0
    ? { artefactId: release, version: '' }
    : { artefactId: release.slice(0, at), version: release.slice(at + 1) };
}
