import express, { type Router } from 'express';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LoopcdsConfig } from '../config/config.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import { PostgresConnection } from '../outcomes/postgres-connection.js';
import { loadPseudonymKey } from '../outcomes/pseudonym-key.js';
import { Pseudonymiser } from '../outcomes/pseudonymiser.js';
import { SqliteConnection } from '../outcomes/sqlite-connection.js';
import { bulkExportSource, type ExportLevel } from '../population/bulk-export-source.js';
import { pagedSearchSource } from '../population/paged-search-source.js';
import type { PopulationSource } from '../population/population-source.js';
import { RunRegistry } from '../population/run-registry.js';
import type { RunStore, StoredRun } from '../population/run-store.js';
import { SqlRunStore } from '../population/sql-run-store.js';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

const startSchema = z
  .object({
    /** A folder on the server, a FHIR base URL (system-level `$export`), or the long form. */
    source: z.union([
      z.string().min(1),
      z.object({ folder: z.string().min(1) }).strict(),
      z
        .object({
          url: z.url({ protocol: /^https?$/ }),
          export: z
            .string()
            .regex(/^(system|patient|group:[A-Za-z0-9\-.]{1,64})$/)
            .optional(),
          paged: z.boolean().optional(),
          patients: z.array(z.string().regex(FHIR_ID)).max(1_000_000).optional(),
          /** The FHIR server's bearer token: used for this run only, never stored or logged. */
          token: z.string().min(1).optional(),
        })
        .strict(),
    ]),
    artefacts: z.string().min(1).max(1000).default('pincer'),
    asOf: z.iso.date(),
  })
  .strict();

/**
 * Population searches over HTTP, for the console (docs/population-search.md): `POST /runs` starts one
 * (202, `{ run }` and its URL), `GET /runs` lists this process's runs and the stored ones, `GET /runs/{id}`
 * gives `{ run }` with its progress (patients done, rate, ETA), `GET /runs/{id}/report` its rates (no
 * patient data; stored runs too) and `GET /runs/{id}/practices/{practice}/actions` `{ rows }`, a
 * practice's action list (patient-identifiable; runs of this process only: a CLI run's lists are in its
 * --out folder). The router has no authentication of its own: the app serves it behind the admin token
 * (admin-token-auth.ts `adminOnly`) and the console behind its roles.
 */
export function populationApiRouter(deps: {
  config: LoopcdsConfig;
  logger: Logger;
  registry?: RunRegistry;
}): Router {
  const { config, logger } = deps;
  let base: ReturnType<typeof searchBase> | undefined;
  const shared = () => {
    // Opened once, on first use: the store connection lives as long as the service.
    base ??= searchBase(config, logger).catch((error: unknown) => {
      base = undefined;
      throw error;
    });
    return base;
  };
  const registry = deps.registry ?? new RunRegistry(shared);
  const stored = async (): Promise<RunStore | undefined> =>
    deps.registry === undefined ? (await shared()).store : undefined;
  const router = express.Router();

  router.post('/runs', (req, res) => {
    const parsed = startSchema.safeParse(req.body);
    if (!parsed.success)
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    const running = registry.running;
    if (running !== undefined)
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        `population run ${running.id} is still running; one at a time`,
      );
    const run = registry.start({
      source: sourceOf(parsed.data.source),
      artefacts: parsed.data.artefacts,
      asOf: parsed.data.asOf,
    });
    logger.info({ run: run.id, asOf: run.asOf, artefacts: run.artefacts }, 'population run started');
    res.status(202).location(`${req.baseUrl}/runs/${run.id}`).json({ run });
  });

  router.get('/runs', async (_req, res) => {
    const here = registry.list();
    const known = new Set(here.map((r) => r.id));
    const store = await stored();
    const older =
      store === undefined
        ? []
        : (await store.listRuns({ limit: 50 })).filter((r) => !known.has(r.id)).map(statusOf);
    res.json({ runs: [...here, ...older] });
  });

  router.get<{ id: string }>('/runs/:id', async (req, res) => {
    const run =
      registry.get(req.params.id) ?? mapped(await (await stored())?.getRun(req.params.id), statusOf);
    res.json({ run: found(run) });
  });

  router.get<{ id: string }>('/runs/:id/report', async (req, res) => {
    const result = registry.result(req.params.id);
    if (result !== undefined) {
      res.json(result.report);
      return;
    }
    const run = registry.get(req.params.id) ?? (await (await stored())?.getRun(req.params.id));
    const report = run !== undefined && 'summary' in run ? run.summary['report'] : undefined;
    if (report === undefined)
      throw loopcdsError(
        'LOOPCDS_ERR_NOT_FOUND',
        `run ${found(run).id} has no report (${found(run).status})`,
      );
    res.json(report);
  });

  router.get<{ id: string; practice: string }>('/runs/:id/practices/:practice/actions', (req, res) => {
    const result = registry.result(req.params.id);
    if (result === undefined)
      throw loopcdsError(
        'LOOPCDS_ERR_NOT_FOUND',
        'action lists are kept for runs of this service process only (a CLI run writes them to its --out folder)',
      );
    if (!result.report.practices.some((p) => p.id === req.params.practice))
      throw loopcdsError('LOOPCDS_ERR_NOT_FOUND', 'no such practice in this run');
    const rows = result.actions.flatMap((a, i) =>
      a.practiceId === req.params.practice ? [{ ...a, sinceLastRun: result.newFlags[i] }] : [],
    );
    res.json({ runId: result.runId, practiceId: req.params.practice, rows });
  });

  return router;
}

/** A stored run as the console lists it. */
function statusOf(run: StoredRun) {
  return {
    id: run.id,
    createdAt: run.createdAt,
    asOf: run.asOf,
    source: run.source,
    status: run.status,
    patients: run.patients,
    finishedAt: run.finishedAt,
    releases: run.releases,
    ...(typeof run.summary['error'] === 'string' ? { error: run.summary['error'] } : {}),
  };
}

function mapped<T, U>(value: T | undefined, f: (v: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function found<T>(value: T | undefined): T {
  if (value === undefined) throw loopcdsError('LOOPCDS_ERR_NOT_FOUND', 'no population run with this id');
  return value;
}

function sourceOf(source: z.infer<typeof startSchema>['source']): PopulationSource {
  if (typeof source === 'string')
    return /^https?:\/\//.test(source)
      ? bulkExportSource({ baseUrl: source, level: { kind: 'system' } })
      : { kind: 'folder', dir: path.resolve(source) };
  if ('folder' in source) return { kind: 'folder', dir: path.resolve(source.folder) };
  const http = { baseUrl: source.url, ...(source.token === undefined ? {} : { token: source.token }) };
  if (source.paged === true || source.patients !== undefined)
    return pagedSearchSource({
      ...http,
      ...(source.patients === undefined ? {} : { patientIds: source.patients }),
    });
  const e = source.export ?? 'system';
  const level: ExportLevel =
    e === 'patient'
      ? { kind: 'patient' }
      : e.startsWith('group:')
        ? { kind: 'group', id: e.slice(6) }
        : { kind: 'system' };
  return bulkExportSource({ ...http, level });
}

/**
 * What every API run shares: the knowledge as configured, the run store in the outcome store's database
 * (so that runs started here and from the CLI compare with each other), and one core left to the hooks.
 */
async function searchBase(config: LoopcdsConfig, logger: Logger) {
  const db =
    config.databaseUrl !== undefined
      ? new PostgresConnection(config.databaseUrl, { poolSize: 2 })
      : new SqliteConnection(config.sqlitePath);
  const store = await SqlRunStore.open(db);
  const key = loadPseudonymKey({
    configured: config.pseudonymKey,
    file: config.pseudonymKeyFile,
    mayCreate: config.databaseUrl === undefined,
    logger,
  });
  return {
    knowledge: {
      knowledgeDir: config.knowledgeDir,
      elmCacheDir: config.elmCacheDir,
      valueSetDir: config.valueSetDir,
      servicesDir: config.servicesDir,
    },
    timeZone: config.timeZone,
    workers: Math.max(1, availableParallelism() - 1),
    store,
    pseudonymiser: new Pseudonymiser(key),
  };
}
