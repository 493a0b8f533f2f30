import { Worker } from 'node:worker_threads';
import type { TranslationResult } from './cql-translator.js';
import type { TranslatorWorkerRequest, TranslatorWorkerResponse } from './translator-worker.js';
import { workerEntry } from './worker-entry.js';

/**
 * Runs the CQL translator in a worker thread that lives for one translation (see translator-worker.ts for
 * why). Kept apart from the compiler so that nothing in the main thread loads the translator.
 */

/**
 * Runs one translation in a fresh worker thread and terminates it: the translator's memory (it leaks) goes
 * with the worker.
 */
export async function translateInWorker(request: TranslatorWorkerRequest): Promise<TranslationResult> {
  const worker = new Worker(workerEntry(import.meta.url, 'translator-worker'), {
    workerData: request,
    // kotlin-logging prints a banner on stdout the first time it logs: keep it out of the CLI's stdout.
    stdout: true,
  });
  worker.stdout.resume();
  try {
    const response = await new Promise<TranslatorWorkerResponse>((resolveResponse, reject) => {
      worker.once('message', (message: TranslatorWorkerResponse) => resolveResponse(message));
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`The CQL translator worker exited with code ${code} before answering.`)),
      );
    });
    if (!response.ok) throw new Error(`The CQL translator worker failed: ${response.error}`);
    return response.result;
  } finally {
    await worker.terminate();
  }
}
