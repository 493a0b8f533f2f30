import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { LoopcdsConfig } from '../config/config.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../knowledge/knowledge-base.js';
import { MemoryOutcomeRecorder, type OutcomeRecorder } from '../outcomes/outcome-recorder.js';
import { getFhirModel } from '../engine/fhir-model.js';
import { buildApp } from './app.js';

export interface RunningServer {
  server: Server;
  url: string;
  knowledge: KnowledgeBase;
  recorder: OutcomeRecorder;
  close(): Promise<void>;
}

/**
 * Loads knowledge, builds the app and listens. The FHIR model info is parsed here, at start, so the
 * first hook call does not pay for it.
 */
export async function startServer(
  config: LoopcdsConfig,
  logger: Logger,
  options: { recorder?: OutcomeRecorder; clock?: () => Date } = {},
): Promise<RunningServer> {
  const started = performance.now();
  const knowledge = await loadKnowledgeBase(config);
  getFhirModel();
  const recorder = options.recorder ?? new MemoryOutcomeRecorder();
  const app = buildApp({
    config,
    logger,
    knowledge: () => knowledge,
    recorder,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Keep-alive longer than typical load-balancer idle timeouts (60 s), so the balancer closes first.
  server.keepAliveTimeout = 65_000; // 65 seconds
  server.headersTimeout = 66_000; // 66 seconds
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
    recorder,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
      await recorder.close();
    },
  };
}
