import express, { type Request, type Router } from 'express';
import { loopcdsError } from '../errors/error-catalogue.js';
import { OperationOutcomeError } from '../errors/operation-outcome.js';
import { OutcomeQueryError } from '../outcomes/outcome-filter.js';
import { parseComparisonQuery, parseFigureQuery, type QueryParameters } from '../outcomes/outcome-query.js';
import type { OutcomeStore } from '../outcomes/outcome-store.js';
import { measureReportBundle, toMeasureReport } from '../outcomes/measure-report.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The outcome figures as JSON for the console, under `/api/outcomes` (docs/outcome-store.md):
 * `figures`, `comparisons`, `measure-reports` (a FHIR Bundle), `feedback/unmatched`,
 * `cards/{uuid}/feedback` and `status`. Aggregates and pseudonymous ids only; free-text override comments
 * are never sent (`hasComment` says there is one). Authentication of this API comes with the console.
 */
export function outcomesApiRouter(
  store: OutcomeStore | undefined,
  clock: () => Date = () => new Date(),
): Router {
  const router = express.Router();
  const use = (): OutcomeStore => {
    if (store === undefined) {
      throw loopcdsError(
        'LOOPCDS_ERR_OUTCOME_STORE_UNAVAILABLE',
        'outcome recording is off, or no store is configured',
      );
    }
    return store;
  };

  router.get('/figures', async (req, res) => {
    const query = parse(() => parseFigureQuery(params(req), ['site', 'week']));
    res.json({ figures: await answer(() => use().figures(query)) });
  });

  router.get('/comparisons', async (req, res) => {
    const query = parse(() => parseComparisonQuery(params(req)));
    res.json({ comparisons: await answer(() => use().comparisons(query)) });
  });

  router.get('/measure-reports', async (req, res) => {
    const query = parse(() => parseFigureQuery(params(req), ['week']));
    const period =
      query.from !== undefined && query.to !== undefined ? { start: query.from, end: query.to } : undefined;
    if (!query.groupBy?.includes('week') && period === undefined)
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        'a MeasureReport needs a period: group by week, or give from and to',
      );
    const figures = await answer(() => use().figures(query));
    const now = clock();
    const reports = parse(() => figures.map((f) => toMeasureReport(f, { generatedAt: now, period })));
    res.type('application/fhir+json').json(measureReportBundle(reports, now));
  });

  router.get('/feedback/unmatched', async (req, res) => {
    const limit = parse(() => limitOf(params(req)['limit']));
    res.json({ unmatched: await answer(() => use().unmatchedFeedback({ limit })) });
  });

  router.get<{ uuid: string }>('/cards/:uuid/feedback', async (req, res) => {
    if (!UUID.test(req.params.uuid))
      throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', 'uuid: expected a card uuid');
    const history = await answer(() => use().feedbackHistory(req.params.uuid));
    res.json({
      card: req.params.uuid,
      feedback: history.map(({ userComment, ...entry }) => ({ ...entry, hasComment: userComment !== null })),
    });
  });

  router.get('/status', async (_req, res) => {
    const s = use();
    const schema = await answer(() => s.schemaStatus());
    res.json({ backend: s.backend, schema: { current: schema.current, latest: schema.latest } });
  });

  return router;
}

function params(req: Request): QueryParameters {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string') out[key] = value;
  return out;
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 1000;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw new OutcomeQueryError('limit: expected 1 to 100000');
  return Math.min(Number(raw), 100_000);
}

/** A bad query is the caller's 400; anything else bubbles up. */
function parse<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof OutcomeQueryError || error instanceof RangeError)
      throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', error.message);
    throw error;
  }
}

/** A store that does not answer is a 503, not a 500: the service itself is fine. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OutcomeQueryError) throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', error.message);
    if (error instanceof OperationOutcomeError) throw error;
    throw loopcdsError('LOOPCDS_ERR_OUTCOME_STORE_UNAVAILABLE', undefined, error);
  }
}
