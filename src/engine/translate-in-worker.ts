import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TranslationResult } from './cql-translator.js';
import type { TranslatorWorkerRequest, TranslatorWorkerResponse } from './translator-worker.js';

/**
 * Runs the CQL translator in a worker thread that lives for one translation (see translator-worker.ts for
 * why). Kept apart from the compiler so that nothing in the main thread loads the translator.
 */

const require = createRequire(import.meta.url);

/**
 * Runs one translation in a fresh worker thread and terminates it: the translator's memory (it leaks) goes
 * with the worker.
 */
export async function translateInWorker(request: TranslatorWorkerRequest): Promise<TranslationResult> {
  const worker = new Worker(translatorWorkerEntry(), {
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

/**
 * The worker's entry. From the compiled build it is translator-worker.js next to this file. From TypeScript
 * source (tsx, vitest) it is translator-worker.ts loaded through tsx's `tsImport`: on Node 20 a worker
 * started with `execArgv: ['--import', 'tsx']` still fails on the `.ts` entry (ERR_UNKNOWN_FILE_EXTENSION),
 * so a small ESM bootstrap (a data: URL) imports the `.ts` file through tsx instead.
 */
function translatorWorkerEntry(): URL {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith('.ts')) return new URL('./translator-worker.js', self);
  const entry = new URL('./translator-worker.ts', self);
  entry.search = '';
  const bootstrap = [
    `const { tsImport } = await import(${JSON.stringify(tsxEsmApi())});`,
    `await tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/** tsx's ESM API module, resolved through its package exports (require.resolve would pick the CJS build). */
function tsxEsmApi(): string {
  const manifestFile = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    exports?: Record<string, string | { import?: { default?: string } }>;
  };
  const target = manifest.exports?.['./esm/api'];
  const file = typeof target === 'string' ? target : target?.import?.default;
  if (file === undefined)
    throw new Error('Cannot find the ESM API of tsx, needed to run the translator worker from source.');
  return pathToFileURL(join(dirname(manifestFile), file)).href;
}
