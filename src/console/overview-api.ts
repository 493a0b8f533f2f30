import express, { type Router } from 'express';
import type { CircuitBreakers } from '../context/circuit-breaker.js';
import { listServices } from '../knowledge/knowledge-catalogue.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { KnowledgeHolder } from '../knowledge/knowledge-holder.js';
import type { OutcomeStore } from '../outcomes/outcome-store.js';
import type { ConsoleAuth } from './console-auth.js';
import { summariseActivity } from './activity-summary.js';

export interface OverviewApiDeps {
  knowledge: () => KnowledgeBase;
  knowledgeHolder?: KnowledgeHolder | undefined;
  outcomes?: OutcomeStore | undefined;
  breakers: CircuitBreakers;
  auth: ConsoleAuth;
  clock?: () => Date;
}

/** Calls read from the store for the overview: the newest, up to this many (the page says when it is cut). */
export const OVERVIEW_CALL_SAMPLE = 5000;

/**
 * `GET /console/api/overview`: the services and the releases they run (active and shadow), how the last
 * knowledge reload went, activity in the last 24 hours and 7 days (calls, cards, rule errors, incomplete
 * data, prefetch completeness, fallback timings) and the circuit state of every EHR FHIR server seen.
 */
export function overviewApiRouter(deps: OverviewApiDeps): Router {
  const router = express.Router();
  router.get('/overview', deps.auth.requirePermission('overview:read'), async (_req, res) => {
    const now = (deps.clock ?? (() => new Date()))();
    const knowledge = deps.knowledge();
    let activity: ReturnType<typeof summariseActivity> | null = null;
    let store: { backend: string; available: boolean; problem?: string } | null = null;
    if (deps.outcomes !== undefined) {
      try {
        const calls = await deps.outcomes.listHookCalls({ limit: OVERVIEW_CALL_SAMPLE });
        activity = summariseActivity(calls, now, OVERVIEW_CALL_SAMPLE);
        store = { backend: deps.outcomes.backend, available: true };
      } catch {
        store = {
          backend: deps.outcomes.backend,
          available: false,
          problem: 'the outcome store does not answer',
        };
      }
    }
    const status = deps.knowledgeHolder?.status();
    res.json({
      generatedAt: now.toISOString(),
      services: listServices(knowledge),
      knowledge:
        status === undefined
          ? null
          : {
              generation: status.generation,
              loadedAt: status.loadedAt,
              lastReload: status.lastReload,
              failing: status.failing,
            },
      store,
      activity,
      ehr: { circuits: deps.breakers.states() },
    });
  });
  return router;
}
