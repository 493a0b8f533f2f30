import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The secret that signs console session cookies: the configured one (LOOPCDS_CONSOLE_SESSION_SECRET,
 * the same on every instance), or the key file, made once with 256 random bits and mode 0600.
 */
export function loadSessionSecret(options: {
  configured: string | undefined;
  file: string;
  logger: Logger;
}): string {
  if (options.configured !== undefined) return options.configured;
  const existing = readSecret(options.file);
  if (existing !== undefined) return existing;
  const secret = randomBytes(32).toString('hex');
  mkdirSync(path.dirname(options.file), { recursive: true });
  try {
    writeFileSync(options.file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = readSecret(options.file);
      if (raced !== undefined) return raced;
    }
    throw error;
  }
  options.logger.info({ file: options.file }, 'console: generated a session signing secret (mode 0600)');
  return secret;
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.length < 32) throw new Error(`${file}: the console session secret must be at least 32 characters`);
  return text;
}
