import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { LoopcdsConfig } from '../config/config.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../knowledge/knowledge-base.js';
import { KnowledgeHolder } from '../knowledge/knowledge-holder.js';
import { knowledgeWatchTargets, watchKnowledge } from '../knowledge/knowledge-watcher.js';
import { observeKnowledgeReloads } from './knowledge-api-router.js';
import { MemoryOutcomeRecorder, type OutcomeRecorder } from '../outcomes/outcome-recorder.js';
import { initOutcomes } from '../outcomes/outcome-runtime.js';
import { getFhirModel } from '../engine/fhir-model.js';
import { CircuitBreakers } from '../context/circuit-breaker.js';
import { buildApp } from './app.js';
import { ServiceMetrics } from './metrics.js';
import { ensureDevIssuer } from './auth/dev-issuer.js';
import { JwtVerifier } from './auth/jwt-verifier.js';
import { MemoryReplayCache, SharedReplayCache, type ReplayCache } from './auth/replay-cache.js';
import { loadTrustedIssuers } from './auth/trusted-issuers.js';

/** How long calls in flight may take to finish at shutdown before their connections are cut. */
const SHUTDOWN_DRAIN_MS = 10_000; // 10 seconds

export interface RunningServer {
  server: Server;
  url: string;
  /** The knowledge serving at start (`knowledgeHolder.current()` is the knowledge serving now). */
  knowledge: KnowledgeBase;
  /** Reloads and swaps the knowledge without a restart (src/knowledge/knowledge-holder.ts). */
  knowledgeHolder: KnowledgeHolder;
  recorder: OutcomeRecorder;
  breakers: CircuitBreakers;
  close(): Promise<void>;
}

/**
 * Loads knowledge, builds the app and listens. The FHIR model info is parsed here, at start, so the
 * first hook call does not pay for it.
 */
export async function startServer(
  config: LoopcdsConfig,
  logger: Logger,
  options: { recorder?: OutcomeRecorder; clock?: () => Date; replayCache?: ReplayCache } = {},
): Promise<RunningServer> {
  const started = performance.now();
  const knowledgeHolder = await KnowledgeHolder.create(() => loadKnowledgeBase(config));
  const knowledge = knowledgeHolder.current();
  getFhirModel();
  const breakers = new CircuitBreakers(config.circuitFailureThreshold, config.circuitCooldownMs);
  // The configured outcome store (SQLite by default), unless a test hands in its own recorder.
  const outcomes = options.recorder === undefined ? await initOutcomes(config, logger) : undefined;
  const baseRecorder = options.recorder ?? outcomes?.recorder ?? new MemoryOutcomeRecorder();
  const metrics = new ServiceMetrics(breakers, () =>
    (baseRecorder as { metrics?: () => { queueDepth?: number } }).metrics?.(),
  );
  const recorder = metrics.observe(baseRecorder);
  observeKnowledgeReloads(knowledgeHolder, logger, metrics.registry);
  // Token ids live in the outcome store when there is one, so instances sharing it share them.
  const replayCache =
    options.replayCache ??
    (outcomes?.store === undefined ? new MemoryReplayCache() : new SharedReplayCache(outcomes.store, logger));
  const verifier = await buildVerifier(config, logger, replayCache);
  const app = buildApp({
    config,
    logger,
    verifier,
    breakers,
    metrics,
    knowledge: () => knowledgeHolder.current(), // swapped whole by a reload; read once per call
    knowledgeHolder,
    recorder,
    outcomes: outcomes?.store,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Keep-alive longer than typical load-balancer idle timeouts (60 s), so the balancer closes first.
  server.keepAliveTimeout = 65_000; // 65 seconds
  server.headersTimeout = 66_000; // 66 seconds
  // Bindings and releases changed on disk are picked up without a restart (docs/knowledge-lifecycle.md).
  const watch =
    config.knowledgeWatch === 'on'
      ? watchKnowledge(
          knowledgeWatchTargets(config),
          (file) => void knowledgeHolder.reload(`file change: ${file}`),
        )
      : undefined;
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info(
    { url, services: [...knowledge.services.keys()], startMs: Math.round(performance.now() - started) },
    'loopcds is listening',
  );
  return {
    server,
    url,
    knowledge,
    knowledgeHolder,
    recorder: baseRecorder,
    breakers,
    close: async () => {
      // Graceful shutdown: stop accepting, let calls in flight finish (closing each keep-alive
      // connection as soon as it falls idle), give up on stragglers after the drain limit, then
      // drain the outcome queue.
      watch?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const limit = setTimeout(() => server.closeAllConnections(), SHUTDOWN_DRAIN_MS);
        server.once('close', () => {
          clearInterval(sweep);
          clearTimeout(limit);
        });
      });
      await recorder.close();
      await outcomes?.close(); // the rest of the queue, then the journal and the store
    },
  };
}

/** The CDS client verifier, or undefined (with a warning at every start) when auth is off. */
async function buildVerifier(
  config: LoopcdsConfig,
  logger: Logger,
  replayCache: ReplayCache,
): Promise<JwtVerifier | undefined> {
  if (config.auth === 'off') {
    logger.warn(
      'LOOPCDS_AUTH=off: CDS Hooks calls are NOT authenticated. Development only; never in production.',
    );
    return undefined;
  }
  let issuers;
  if (config.trustedIssuersFile !== undefined) {
    issuers = await loadTrustedIssuers(config.trustedIssuersFile);
  } else {
    const dev = await ensureDevIssuer(config.devIssuerDir);
    logger.info(
      { iss: dev.iss, jwksFile: dev.jwksFile, created: dev.created },
      'no LOOPCDS_TRUSTED_ISSUERS: trusting only the local development issuer (mint a token with `loopcds token`)',
    );
    issuers = [dev];
  }
  return new JwtVerifier({
    issuers,
    replayCache,
    clockSkewSeconds: config.authClockSkewSeconds,
    maxLifetimeSeconds: config.authMaxTokenLifetimeSeconds,
  });
}
