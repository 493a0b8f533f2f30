import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './test-service.js';

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SpawnedService {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real service as its own process (as in production), and waits for /readyz. */
export async function spawnService(env: Record<string, string> = {}): Promise<SpawnedService> {
  const port = await freePort();
  // Each spawned service gets its own outcome store and journal (one journal per instance).
  const data = mkdtempSync(path.join(tmpdir(), 'loopcds-service-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/loopcds.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LOOPCDS_HOST: '127.0.0.1',
      LOOPCDS_LOG_LEVEL: 'silent',
      LOOPCDS_AUTH: 'off',
      LOOPCDS_SQLITE_PATH: path.join(data, 'loopcds.sqlite'),
      LOOPCDS_OUTCOME_JOURNAL: path.join(data, 'outcome-journal.ndjson'),
      LOOPCDS_PSEUDONYM_KEY_FILE: path.join(data, 'pseudonym.key'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.once('exit', () => rmSync(data, { recursive: true, force: true }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
