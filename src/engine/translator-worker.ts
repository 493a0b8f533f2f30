import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ElmTranslator, type CqlSource, type TranslationResult } from './cql-translator.js';

/**
 * Worker-thread entry that runs one translation and exits. The translator leaks memory per translation
 * (its Trackable map is a strong IdentityHashMap in the JS build) and takes 1–3 s to warm up; a worker's
 * memory comes back when it is terminated, so knowledge-compiler.ts spawns one per build and ends it.
 */

export interface TranslatorWorkerRequest {
  /** Every source, so includes resolve. */
  sources: CqlSource[];
  /** Paths of the sources to translate. */
  targets: string[];
  /** Folder that FHIRHelpers' path is shown relative to. */
  baseDir: string;
}

export type TranslatorWorkerResponse =
  { ok: true; result: TranslationResult; elapsedMs: number } | { ok: false; error: string };

function run(request: TranslatorWorkerRequest): TranslatorWorkerResponse {
  const started = performance.now();
  try {
    const translator = new ElmTranslator({ baseDir: request.baseDir });
    const result = translator.translate(request.sources, request.targets);
    return { ok: true, result, elapsedMs: performance.now() - started };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

if (!isMainThread && parentPort !== null) {
  parentPort.postMessage(run(workerData as TranslatorWorkerRequest));
}
