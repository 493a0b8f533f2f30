import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type LoopcdsConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { MemoryOutcomeRecorder } from '../../src/outcomes/outcome-recorder.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Boots the real service on a loopback port with the bundled knowledge. */
export async function startTestService(
  overrides: Partial<Parameters<typeof loadConfig>[0]['overrides']> = {},
  clock?: () => Date,
): Promise<RunningServer & { recorder: MemoryOutcomeRecorder; config: LoopcdsConfig }> {
  const config = loadConfig({
    root: ROOT,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      allowEvaluationTimeOverride: true,
      // Authentication has its own tests (test/integration/authentication.test.ts); elsewhere it is off.
      auth: 'off',
      ...overrides,
    },
  });
  const recorder = new MemoryOutcomeRecorder();
  const running = await startServer(config, pino({ level: 'silent' }), {
    recorder,
    ...(clock ? { clock } : {}),
  });
  return { ...running, recorder, config };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
