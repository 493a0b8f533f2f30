import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { readConsoleUsers, writeConsoleUsers } from './console-users.js';
import { hashPassword } from './password-hash.js';

/**
 * The console works on a fresh machine with `npm start`: when the users file does not exist, one admin
 * (`admin`) is made with a random password, stored only as its scrypt hash, and the password is written to
 * the log once — the way Jenkins and Argo CD hand over their first admin. The admin should then add named
 * users with `loopcds console-user add` and change or remove this one. A users file that exists, even an
 * empty one, is never touched.
 */
export async function ensureFirstAdmin(
  file: string,
  logger: Logger,
): Promise<{ created: boolean; password?: string }> {
  if ((await readConsoleUsers(file)) !== undefined) return { created: false };
  const password = randomBytes(18).toString('base64url'); // 144 bits
  const now = new Date().toISOString();
  try {
    await writeConsoleUsers(
      file,
      [{ username: 'admin', role: 'admin', passwordHash: await hashPassword(password), createdAt: now }],
      { exclusive: true },
    );
  } catch (error) {
    // Another instance made it a moment ago: that one logged its password.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { created: false };
    throw error;
  }
  logger.warn(
    { file, username: 'admin', password },
    'console: made the first admin user; this password is shown once. Sign in at /console, then add ' +
      'named users with `loopcds console-user add <name> --role <role>` and change this password with ' +
      '`loopcds console-user passwd admin`',
  );
  return { created: true, password };
}
