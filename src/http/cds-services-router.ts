import { EvaluationGate } from './evaluation-gate.js';
import express, { type RequestHandler, type Router } from 'express';
import type { CdsServiceResponse } from '../cards/card.js';
import type { CircuitBreakers } from '../context/circuit-breaker.js';
import { DEFAULT_RETRY_POLICY, FhirFetcher } from '../context/fhir-fetcher.js';
import { evaluationTime } from '../engine/evaluation-time.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import type { LoopcdsConfig } from '../config/config.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { OutcomeRecorder } from '../outcomes/outcome-recorder.js';
import { parseFeedbackRequest } from './cds-hooks-feedback-schema.js';
import { parseHookRequest, type SchemaIssue } from './cds-hooks-request-schema.js';
import { runHook } from './hook-runner.js';

export interface CdsServicesDeps {
  config: LoopcdsConfig;
  knowledge: () => KnowledgeBase;
  recorder: OutcomeRecorder;
  clock: () => Date;
  /** Circuit breakers of the EHR FHIR servers, shared by every call. */
  breakers: CircuitBreakers;
}

/** The system of the codes that name loopcds artefacts in `card.source.topic`. */
export const ARTEFACT_TOPIC_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/artefact';

/** The request extension that sets `now` when the configuration allows it (tests and "try it"). */
export const EVALUATION_TIME_EXTENSION = 'org.loopcds.evaluation-time';

/** CDS Hooks 2.0 §Discovery, §Calling a CDS Service and §Feedback. */
export function cdsServicesRouter(deps: CdsServicesDeps): Router {
  const router = express.Router();
  const gate = new EvaluationGate();

  router.get('/cds-services', (_req, res) => {
    const services = [...deps.knowledge().services.values()].map(({ definition: d }) => ({
      hook: d.hook,
      id: d.id,
      title: d.title,
      description: d.description,
      ...(Object.keys(d.prefetch).length > 0 ? { prefetch: d.prefetch } : {}),
      ...(d.usageRequirements === undefined ? {} : { usageRequirements: d.usageRequirements }),
    }));
    res.json({ services });
  });

  router.post<{ id: string }>('/cds-services/:id', requireJson, async (req, res) => {
    const knowledge = deps.knowledge(); // one snapshot for the whole call, even if knowledge is swapped meanwhile
    const binding = knowledge.services.get(req.params.id);
    if (binding === undefined)
      throw loopcdsError('LOOPCDS_ERR_UNKNOWN_SERVICE', `No CDS service "${req.params.id.slice(0, 64)}"`);
    const parsed = parseHookRequest(req.body, binding.definition.hook);
    if (!parsed.ok) {
      const code =
        parsed.stage === 'hook'
          ? 'LOOPCDS_ERR_HOOK_MISMATCH'
          : parsed.stage === 'context'
            ? 'LOOPCDS_ERR_INVALID_CONTEXT'
            : 'LOOPCDS_ERR_INVALID_REQUEST';
      throw loopcdsError(
        code,
        describe(parsed.issues),
        undefined,
        parsed.issues.slice(0, 20).map((i) => i.path),
      );
    }
    const response: CdsServiceResponse = await runHook(binding, parsed.request, {
      knowledge,
      recorder: deps.recorder,
      now: evaluationNow(parsed.request.extension, deps),
      data: {
        deadlineMs: deps.config.fhirDeadlineMs,
        maxPages: deps.config.fhirMaxPages,
        createFetcher: (access, maxPages) =>
          new FhirFetcher(access, maxPages, deps.breakers.for(new URL(access.baseUrl).origin), {
            ...DEFAULT_RETRY_POLICY,
            retries: deps.config.fhirRetries,
          }),
      },
      topicSystem: ARTEFACT_TOPIC_SYSTEM,
      gate,
      caller: req.caller,
    });
    res.json(response);
  });

  router.post<{ id: string }>('/cds-services/:id/feedback', requireJson, (req, res) => {
    if (!deps.knowledge().services.has(req.params.id)) {
      throw loopcdsError('LOOPCDS_ERR_UNKNOWN_SERVICE', `No CDS service "${req.params.id.slice(0, 64)}"`);
    }
    const parsed = parseFeedbackRequest(req.body);
    if (!parsed.ok)
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        describe(parsed.issues),
        undefined,
        parsed.issues.slice(0, 20).map((i) => i.path),
      );
    const receivedAt = deps.clock().toISOString();
    deps.recorder.recordFeedback(
      parsed.request.feedback.map((f) => ({
        serviceId: req.params.id,
        card: f.card,
        outcome: f.outcome,
        acceptedSuggestions: (f.acceptedSuggestions ?? []).map((s) => s.id),
        overrideReason: f.overrideReason?.reason,
        userComment: f.overrideReason?.userComment,
        outcomeTimestamp: f.outcomeTimestamp,
        receivedAt,
      })),
    );
    res.status(200).json({});
  });

  // Only the methods the spec defines; anything else on these paths is 405, not 404.
  const methodNotAllowed: RequestHandler = (req) => {
    throw loopcdsError(
      'LOOPCDS_ERR_METHOD_NOT_ALLOWED',
      `${req.method} is not allowed on ${req.path.slice(0, 200)}`,
    );
  };
  router.all('/cds-services', methodNotAllowed);
  router.all('/cds-services/:id', methodNotAllowed);
  router.all('/cds-services/:id/feedback', methodNotAllowed);

  return router;
}

/** CDS Hooks requests are JSON; a body of another media type is 415, not a confusing schema error. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is(['application/json', 'application/fhir+json', 'application/*+json']) === false) {
    throw loopcdsError(
      'LOOPCDS_ERR_UNSUPPORTED_MEDIA',
      `Content-Type ${String(req.headers['content-type']).slice(0, 100)}`,
    );
  }
  next();
};

function evaluationNow(extension: Record<string, unknown> | undefined, deps: CdsServicesDeps): string {
  const requested = extension?.[EVALUATION_TIME_EXTENSION];
  if (requested !== undefined && deps.config.allowEvaluationTimeOverride) {
    if (
      typeof requested !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(requested)
    ) {
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        `extension.${EVALUATION_TIME_EXTENSION} must be an ISO 8601 date-time with offset`,
      );
    }
    return requested;
  }
  return evaluationTime(deps.clock(), deps.config.timeZone);
}

function describe(issues: readonly SchemaIssue[]): string {
  const shown = issues.slice(0, 10).map((i) => `${i.path || '(body)'} ${i.message}`);
  return shown.join('; ') + (issues.length > 10 ? `; and ${issues.length - 10} more` : '');
}
