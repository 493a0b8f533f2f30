import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPseudonymKey, PseudonymKeyError } from './pseudonym-key.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed after the file's tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

const logger = pino({ level: 'silent' });

describe('loadPseudonymKey', () => {
  it('makes a random key once, with mode 0600, and reads the same key afterwards', () => {
    const file = path.join(tempDir('loopcds-key-'), 'data', 'pseudonym.key');
    const key = loadPseudonymKey({ configured: undefined, file, mayCreate: true, logger });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
    expect(loadPseudonymKey({ configured: undefined, file, mayCreate: true, logger })).toBe(key);
  });

  it('prefers the configured key to the file', () => {
    const file = path.join(tempDir('loopcds-key-'), 'pseudonym.key');
    writeFileSync(file, 'f'.repeat(40), { mode: 0o600 });
    expect(loadPseudonymKey({ configured: 'c'.repeat(32), file, mayCreate: true, logger })).toBe(
      'c'.repeat(32),
    );
  });

  it('never makes up a key for a shared store', () => {
    const file = path.join(tempDir('loopcds-key-'), 'pseudonym.key');
    expect(() => loadPseudonymKey({ configured: undefined, file, mayCreate: false, logger })).toThrow(
      PseudonymKeyError,
    );
  });

  it('refuses a key file holding a short key', () => {
    const file = path.join(tempDir('loopcds-key-'), 'pseudonym.key');
    writeFileSync(file, 'short\n', { mode: 0o600 });
    expect(() => loadPseudonymKey({ configured: undefined, file, mayCreate: true, logger })).toThrow(/32/);
  });
});
