import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * The entry URL of a worker thread whose module `name` (without extension) sits beside `caller` (its
 * `import.meta.url`). From the compiled build it is `<name>.js`. From TypeScript source (tsx, vitest) it
 * is `<name>.ts` loaded through tsx's `tsImport`: on Node 20 a worker started with
 * `execArgv: ['--import', 'tsx']` still fails on a `.ts` entry (ERR_UNKNOWN_FILE_EXTENSION), so a small
 * ESM bootstrap (a data: URL) imports the `.ts` file through tsx instead.
 */
export function workerEntry(caller: string, name: string): URL {
  const self = new URL(caller);
  if (!self.pathname.endsWith('.ts')) return new URL(`./${name}.js`, self);
  const entry = new URL(`./${name}.ts`, self);
  entry.search = '';
  const bootstrap = [
    `const { tsImport } = await import(${JSON.stringify(tsxEsmApi(name))});`,
    `await tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/** tsx's ESM API module, resolved through its package exports (require.resolve would pick the CJS build). */
function tsxEsmApi(worker: string): string {
  const manifestFile = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    exports?: Record<string, string | { import?: { default?: string } }>;
  };
  const target = manifest.exports?.['./esm/api'];
  const file = typeof target === 'string' ? target : target?.import?.default;
  if (file === undefined)
    throw new Error(`Cannot find the ESM API of tsx, needed to run the ${worker} worker from source.`);
  return pathToFileURL(join(dirname(manifestFile), file)).href;
}
