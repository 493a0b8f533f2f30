import type { Card, CdsServiceResponse } from '../cards/card.js';
import { buildPatientData, type PatientDataOptions } from '../context/patient-data-builder.js';
import type { ParameterJson } from '../engine/parameter-values.js';
import type { FhirBundle } from '../engine/patient-bundle.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import type { KnowledgeBase, LoadedArtefact, ServiceBinding } from '../knowledge/knowledge-base.js';
import { evaluateRelease } from '../knowledge/release-evaluator.js';
import type { OutcomeRecorder, ReleaseEvaluation } from '../outcomes/outcome-recorder.js';
import { MEDICATION_USERS } from '../context/medication-resolver.js';
import type { HookRequest } from './cds-hooks-request-schema.js';
import type { EvaluationGate } from './evaluation-gate.js';

export interface HookRunOptions {
  knowledge: KnowledgeBase;
  recorder: OutcomeRecorder;
  /** The evaluation date-time (ISO 8601 with offset): the value of CQL `Now()`. */
  now: string;
  data: Omit<PatientDataOptions, 'prefetchTemplates'>;
  /** Where the cards' source topic codes live. */
  topicSystem: string;
  /** Evaluations take turns through this gate (evaluation-gate.ts); absent: no waiting. */
  gate?: EvaluationGate;
  /** The verified CDS client (its JWT `iss` and `tenant`), which the record counts the call under. */
  caller?: { iss: string; tenant?: string | undefined } | undefined;
}

/**
 * One hook call: the patient's data, every release the service runs (active and shadow, in parallel, on
 * the same data and `now`), cards from the active ones, and a record of it all. A release that fails is
 * reported beside the cards and never fails the call.
 */
export async function runHook(
  binding: ServiceBinding,
  request: HookRequest,
  options: HookRunOptions,
): Promise<CdsServiceResponse> {
  const context = request.context as unknown as Record<string, unknown>;
  const data = await buildPatientData(
    {
      context,
      prefetch: request.prefetch,
      fhirServer: request.fhirServer,
      fhirAuthorization: request.fhirAuthorization,
    },
    { ...options.data, prefetchTemplates: binding.definition.prefetch },
  );
  // Which resource types could not be had, and why: a release that reads one of them cannot be trusted
  // to give an answer (its data is incomplete), but the others can still run (issue: "the cards that
  // need only the data it has, with the rest reported as incomplete").
  const unobtainable = unobtainableTypes(data.report.missing, binding.definition.prefetch);
  const reasons = data.report.missing.map((m) => `${m.key}: ${m.reason}`);
  const blocked = (a: LoadedArtefact) => a.definition.dataRequirements.some((r) => unobtainable.has(r.type));
  if (!data.hasPatient || (binding.active.length > 0 && binding.active.every(blocked))) {
    if (!data.hasPatient)
      reasons.unshift(`Patient/${data.patientId} was not in prefetch and could not be fetched`);
    // CDS Hooks 2.0 §Prefetch: "the CDS Service MAY respond with 412 Precondition Failed".
    throw loopcdsError('LOOPCDS_ERR_DATA_UNOBTAINABLE', reasons.join('; '));
  }

  const runs = [
    ...binding.active.map((a) => ({ artefact: a, role: 'active' as const })),
    ...binding.shadow.map((a) => ({ artefact: a, role: 'shadow' as const })),
  ];
  // The evaluation time recorded is the CQL's own, not the wait for the gate.
  let evaluationStarted = performance.now();
  const evaluate = () => {
    evaluationStarted = performance.now();
    return Promise.all(
      runs.map(({ artefact, role }) =>
        blocked(artefact)
          ? Promise.resolve(unobtainableResult(artefact, role, reasons))
          : runRelease(
              artefact,
              role,
              data.bundle,
              request,
              options,
              binding.definition.parameters[artefact.definition.id] ?? {},
            ),
      ),
    );
  };
  const evaluations = await (options.gate === undefined ? evaluate() : options.gate.run(evaluate));
  const evaluationMs = performance.now() - evaluationStarted;

  const cards: Card[] = evaluations.flatMap((e) => (e.role === 'active' ? e.renderedCards : []));
  options.recorder.recordHookCall({
    serviceId: binding.definition.id,
    hook: request.hook,
    hookInstance: request.hookInstance,
    at: options.now,
    patientId: data.patientId,
    fhirServer: request.fhirServer,
    issuer: options.caller?.iss,
    tenant: options.caller?.tenant,
    prefetch: data.report,
    timings: { prefetchMs: data.timings.prefetchMs, fallbackMs: data.timings.fallbackMs, evaluationMs },
    evaluations: evaluations.map(({ renderedCards: _cards, ...evaluation }) => evaluation),
  });

  const unusual = evaluations.filter(
    (e) => e.role === 'active' && (e.result === 'incomplete' || e.result === 'error'),
  );
  return {
    cards,
    ...(unusual.length > 0
      ? {
          extension: {
            'org.loopcds.evaluations': unusual.map((e) => ({
              release: e.release,
              result: e.result,
              ...(e.missingData.length > 0 ? { missingData: e.missingData } : {}),
              ...(e.error === undefined ? {} : { error: e.error }),
            })),
          },
        }
      : {}),
  };
}

async function runRelease(
  artefact: LoadedArtefact,
  role: 'active' | 'shadow',
  bundle: FhirBundle,
  request: HookRequest,
  options: HookRunOptions,
  serviceParameters: Readonly<Record<string, ParameterJson>>,
): Promise<ReleaseEvaluation & { renderedCards: Card[] }> {
  const { release } = artefact;
  const context = request.context as unknown as { patientId: string; userId?: string; encounterId?: string };
  const out = await evaluateRelease(artefact, {
    bundle,
    now: options.now,
    hook: request.hook,
    context: { patientId: context.patientId, userId: context.userId, encounterId: context.encounterId },
    parameters: serviceParameters,
    valueSets: options.knowledge.valueSets,
    overrideReasons: options.knowledge.overrideReasons,
    topicSystem: options.topicSystem,
    decisionFirst: true,
  });
  return {
    release: `${release.id}@${release.version}`,
    hash: release.hash,
    role,
    result: out.result,
    missingData: out.missingData,
    ...(out.error === undefined ? {} : { error: out.error }),
    cards: out.cards.map((c) => ({
      uuid: c.uuid,
      indicator: c.indicator,
      summary: c.summary,
      suggestions: (c.suggestions ?? []).map((s) => s.uuid),
    })),
    evaluationMs: out.evaluationMs,
    renderedCards: out.cards,
  };
}

/** The resource types behind the keys that could not be had (a Medication reference blocks its request). */
function unobtainableTypes(
  missing: ReadonlyArray<{ key: string }>,
  templates: Readonly<Record<string, string>>,
): Set<string> {
  const types = new Set<string>();
  for (const { key } of missing) {
    const template = templates[key];
    if (template !== undefined) {
      const type = /^([A-Z][A-Za-z]+)/.exec(template)?.[1];
      if (type !== undefined) types.add(type);
    } else if (key.startsWith('Medication/')) {
      for (const t of MEDICATION_USERS) types.add(t);
    }
  }
  return types;
}

function unobtainableResult(
  artefact: LoadedArtefact,
  role: 'active' | 'shadow',
  reasons: string[],
): ReleaseEvaluation & { renderedCards: Card[] } {
  return {
    release: `${artefact.release.id}@${artefact.release.version}`,
    hash: artefact.release.hash,
    role,
    result: 'incomplete',
    missingData: reasons.map((r) => `data unobtainable: ${r}`),
    cards: [],
    evaluationMs: 0,
    renderedCards: [],
  };
}
