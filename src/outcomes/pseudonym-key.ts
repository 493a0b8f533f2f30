import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { OutcomeSetupError } from './outcome-setup-error.js';

/** The pseudonym key cannot be had; the message says how to provide one. */
export class PseudonymKeyError extends OutcomeSetupError {
  constructor(message: string) {
    super(message);
  }
}

/**
 * The secret key of patient pseudonyms. In order: the configured key (LOOPCDS_PSEUDONYM_KEY); the key
 * file; for the embedded store only, a new random key (256 bits, hex) written once to the key file with
 * mode 0600, which is logged, because losing it breaks the link between old and new pseudonyms. A shared
 * PostgreSQL store needs the same key on every instance, so it is never made up there.
 */
export function loadPseudonymKey(options: {
  configured: string | undefined;
  file: string;
  mayCreate: boolean;
  logger: Logger;
}): string {
  if (options.configured !== undefined) return options.configured;
  const existing = readKeyFile(options.file, options.logger);
  if (existing !== undefined) return existing;
  if (!options.mayCreate) {
    throw new PseudonymKeyError(
      `No pseudonym key: set LOOPCDS_PSEUDONYM_KEY (at least 32 characters, the same on every instance ` +
        `sharing the PostgreSQL store) or put it in ${options.file}.`,
    );
  }
  const key = randomBytes(32).toString('hex');
  mkdirSync(path.dirname(options.file), { recursive: true });
  try {
    // `wx`: never overwrite a key another process made a moment ago.
    writeFileSync(options.file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = readKeyFile(options.file, options.logger);
      if (raced !== undefined) return raced;
    }
    throw error;
  }
  options.logger.warn(
    { file: options.file },
    'generated a new patient pseudonym key (mode 0600); back it up with the outcome store: without it, ' +
      'pseudonyms of later calls will not match earlier ones',
  );
  return key;
}

function readKeyFile(file: string, logger: Logger): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = text.trim();
  if (key.length < 32)
    throw new PseudonymKeyError(`${file}: the pseudonym key must be at least 32 characters`);
  if ((statSync(file).mode & 0o077) !== 0) {
    logger.warn({ file }, 'the pseudonym key file can be read by other users: chmod 600 it');
  }
  return key;
}
