import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CdsServiceResponse } from '../cards/card.js';
import { buildPatientData } from '../context/patient-data-builder.js';
import { evaluationTime } from '../engine/evaluation-time.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import { OperationOutcomeError, type OperationOutcome } from '../errors/operation-outcome.js';
import { parseHookRequest } from '../http/cds-hooks-request-schema.js';
import { ARTEFACT_TOPIC_SYSTEM } from '../http/cds-services-router.js';
import { runHook } from '../http/hook-runner.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { evaluateRelease, type ReleaseResult } from '../knowledge/release-evaluator.js';
import { DiscardingOutcomeRecorder } from '../outcomes/outcome-recorder.js';
import { emulatePrefetch, type EmulatedResource } from './ehr-prefetch-emulator.js';
import type { FixturePatient } from './fixture-patients.js';
import { describeValue, type ExpressionValue } from './expression-value.js';

/** What the "try it" panel sends: a service, a fixture patient or pasted FHIR data, and a date. */
export const tryItRequestSchema = z
  .object({
    service: z.string().min(1).max(100),
    fixture: z.string().min(1).max(100).optional(),
    /** A FHIR Bundle, or an array of resources: one Patient and their record; `draft` orders are the orders being signed. */
    data: z.unknown().optional(),
    date: z.iso.date(),
    time: z
      .string()
      .regex(/^\d{2}:\d{2}$/)
      .optional(),
  })
  .strict()
  .refine((r) => (r.fixture === undefined) !== (r.data === undefined), 'give a fixture or data, not both');

export type TryItRequest = z.infer<typeof tryItRequestSchema>;

/** One release's evaluation beside the cards: its result and every expression of its library. */
export interface TryItEvaluation {
  release: string;
  role: 'active' | 'shadow';
  result: ReleaseResult;
  missingData: string[];
  error?: OperationOutcome;
  evaluationMs: number;
  expressions: Array<{ name: string } & ExpressionValue>;
}

export interface TryItAnswer {
  /** The evaluation date-time (CQL `Now()`). */
  now: string;
  /** The hook request "the EHR" sent. */
  request: unknown;
  /** The HTTP status and body the EHR would have received. */
  response: { status: number; body: CdsServiceResponse | OperationOutcome };
  evaluations: TryItEvaluation[];
  /** What the EHR emulation could not honour (search parameters not applied). */
  notes: string[];
}

const DRAFT_TYPES = new Set([
  'MedicationRequest',
  'ServiceRequest',
  'NutritionOrder',
  'DeviceRequest',
  'VisionPrescription',
  'MedicationDispense',
]);

/**
 * Runs a service on one patient the way an EHR would call it: the service's prefetch answered from the
 * patient's record, the hook request validated by the same schema, and the call made through the real hook
 * path (runHook) at the chosen date. Nothing is recorded in the outcome store (it is not a clinical call),
 * and the patient data is not logged. Beside the response, each release is evaluated again in full (no
 * trigger skipping) to show every expression of its library.
 */
export async function runTryIt(
  input: TryItRequest,
  deps: {
    knowledge: KnowledgeBase;
    fixtures: readonly FixturePatient[];
    timeZone: string;
    deadlineMs: number;
  },
): Promise<TryItAnswer> {
  const binding = deps.knowledge.services.get(input.service);
  if (binding === undefined)
    throw loopcdsError('LOOPCDS_ERR_UNKNOWN_SERVICE', `No CDS service "${input.service.slice(0, 64)}"`);
  const { patient, record, drafts } = patientData(input, deps.fixtures);
  const hook = binding.definition.hook;
  const now = localEvaluationTime(input.date, input.time ?? '12:00', deps.timeZone);
  const context = hookContext(hook, String(patient.id), record, drafts);
  const { prefetch, notes } = emulatePrefetch(binding.definition.prefetch, context, [patient, ...record]);
  const request = { hook, hookInstance: randomUUID(), context, prefetch };

  const parsed = parseHookRequest(request, hook);
  const evaluations: TryItEvaluation[] = [];
  let response: TryItAnswer['response'];
  if (!parsed.ok) {
    const text = parsed.issues
      .slice(0, 10)
      .map((i) => `${i.path || '(body)'} ${i.message}`)
      .join('; ');
    response = { status: 400, body: loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', text).outcome };
    return { now, request, response, evaluations, notes };
  }
  const data = { deadlineMs: deps.deadlineMs, maxPages: 1 };
  try {
    const body = await runHook(binding, parsed.request, {
      knowledge: deps.knowledge,
      recorder: new DiscardingOutcomeRecorder(),
      now,
      data,
      topicSystem: ARTEFACT_TOPIC_SYSTEM,
    });
    response = { status: 200, body };
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    response = { status: error.status, body: error.outcome };
  }

  const rebuilt = await buildPatientData(
    { context, prefetch },
    { ...data, prefetchTemplates: binding.definition.prefetch },
  );
  const runs = [
    ...binding.active.map((a) => ({ artefact: a, role: 'active' as const })),
    ...binding.shadow.map((a) => ({ artefact: a, role: 'shadow' as const })),
  ];
  for (const { artefact, role } of runs) {
    const out = await evaluateRelease(artefact, {
      bundle: rebuilt.bundle,
      now,
      hook,
      context: { patientId: String(patient.id), userId: String(context['userId']) },
      parameters: binding.definition.parameters[artefact.definition.id] ?? {},
      valueSets: deps.knowledge.valueSets,
      overrideReasons: deps.knowledge.overrideReasons,
      topicSystem: ARTEFACT_TOPIC_SYSTEM,
      useTriggers: false,
    });
    evaluations.push({
      release: `${artefact.release.id}@${artefact.release.version}`,
      role,
      result: out.result,
      missingData: out.missingData,
      ...(out.error === undefined ? {} : { error: out.error }),
      evaluationMs: Math.round(out.evaluationMs * 10) / 10,
      expressions: Object.entries(out.results)
        .filter(([name]) => name !== 'Patient')
        .map(([name, value]) => ({ name, ...describeValue(value) })),
    });
  }
  return { now, request, response, evaluations, notes };
}

function patientData(
  input: TryItRequest,
  fixtures: readonly FixturePatient[],
): { patient: EmulatedResource; record: EmulatedResource[]; drafts: EmulatedResource[] } {
  if (input.fixture !== undefined) {
    const fixture = fixtures.find((f) => f.id === input.fixture);
    if (fixture === undefined)
      throw loopcdsError('LOOPCDS_ERR_NOT_FOUND', `No fixture patient "${input.fixture.slice(0, 100)}"`);
    return { patient: fixture.patient, record: fixture.resources, drafts: fixture.draftOrders };
  }
  const resources = pastedResources(input.data);
  const patients = resources.filter((r) => r.resourceType === 'Patient');
  const patient = patients[0];
  if (patients.length !== 1 || patient === undefined || typeof patient.id !== 'string')
    throw loopcdsError(
      'LOOPCDS_ERR_INVALID_REQUEST',
      `data: expected exactly one Patient with an id, found ${patients.length}`,
    );
  const isDraft = (r: EmulatedResource) => DRAFT_TYPES.has(r.resourceType) && r['status'] === 'draft';
  return {
    patient,
    record: resources.filter((r) => r !== patient && !isDraft(r)),
    drafts: resources.filter(isDraft),
  };
}

/** A pasted Bundle's entries, or a pasted array of resources, or one resource. */
function pastedResources(data: unknown): EmulatedResource[] {
  const isResource = (r: unknown): r is EmulatedResource =>
    typeof r === 'object' && r !== null && typeof (r as { resourceType?: unknown }).resourceType === 'string';
  let list: unknown[];
  if (Array.isArray(data)) list = data;
  else if (isResource(data) && data.resourceType === 'Bundle')
    list = ((data['entry'] as Array<{ resource?: unknown }> | undefined) ?? []).map((e) => e.resource);
  else list = [data];
  if (!list.every(isResource))
    throw loopcdsError(
      'LOOPCDS_ERR_INVALID_REQUEST',
      'data: expected a FHIR Bundle or an array of FHIR resources',
    );
  return list;
}

/** The context of each hook, as an EHR fills it (CDS Hooks Library, one hook each). */
function hookContext(
  hook: string,
  patientId: string,
  record: readonly EmulatedResource[],
  drafts: readonly EmulatedResource[],
): Record<string, unknown> {
  const base = { userId: 'Practitioner/loopcds-console', patientId };
  const bundle = (entries: readonly EmulatedResource[]) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: entries.map((resource) => ({ resource })),
  });
  switch (hook) {
    case 'order-sign':
      return { ...base, draftOrders: bundle(drafts) };
    case 'order-select':
      return {
        ...base,
        draftOrders: bundle(drafts),
        selections: drafts.map((d) => `${d.resourceType}/${d.id}`),
      };
    case 'encounter-start':
      return {
        ...base,
        encounterId: record.find((r) => r.resourceType === 'Encounter')?.id ?? 'console-try-it',
      };
    case 'appointment-book':
      return {
        ...base,
        appointments: bundle(
          record.filter((r) => r.resourceType === 'Appointment' && r['status'] === 'proposed'),
        ),
      };
    default:
      return base;
  }
}

/**
 * The instant of a local date and time in a time zone, as the ISO date-time with offset CQL `Now()` takes.
 * The offset is that of the zone at that moment (found by one correction step; exact away from the hour a
 * clock change skips).
 */
export function localEvaluationTime(date: string, time: string, timeZone: string): string {
  const wall = Date.parse(`${date}T${time}:00Z`);
  const offsetAt = (instant: number) => {
    const text = evaluationTime(new Date(instant), timeZone);
    const m = /([+-])(\d{2}):(\d{2})$/.exec(text);
    return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  };
  const instant = wall - offsetAt(wall - offsetAt(wall));
  return evaluationTime(new Date(instant), timeZone);
}
