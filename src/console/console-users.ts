import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CONSOLE_ROLES, type ConsoleRole } from './console-roles.js';
import { isPasswordHash } from './password-hash.js';

/** A user name: letters, digits, dot, underscore and hyphen; compared case-insensitively. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const userSchema = z
  .object({
    username: z.string().regex(USERNAME_PATTERN),
    role: z.enum(CONSOLE_ROLES),
    passwordHash: z.string().refine(isPasswordHash, 'a scrypt hash made by `loopcds console-user`'),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    passwordChangedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** The users file (LOOPCDS_CONSOLE_USERS): `{ "users": [ { username, role, passwordHash } ] }`. */
export const consoleUsersFileSchema = z
  .object({ users: z.array(userSchema) })
  .strict()
  .refine(
    (f) => new Set(f.users.map((u) => u.username.toLowerCase())).size === f.users.length,
    'user names must be unique (case-insensitively)',
  );

export type ConsoleUser = z.infer<typeof userSchema>;

/** A users file that cannot be read or does not match the schema. */
export class ConsoleUsersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleUsersError';
  }
}

/**
 * A short fingerprint of a user's password hash and role, carried in their session: changing the
 * password or the role (or removing the user) ends every session made before.
 */
export function userStamp(user: ConsoleUser): string {
  return createHash('sha256')
    .update(`${user.role}\u0000${user.passwordHash}`)
    .digest('base64url')
    .slice(0, 16);
}

/** Reads and validates a users file; a missing file is `undefined`. */
export async function readConsoleUsers(file: string): Promise<ConsoleUser[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConsoleUsersError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConsoleUsersError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const parsed = consoleUsersFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new ConsoleUsersError(`${file}: ${problems.join('; ')}`);
  }
  return parsed.data.users;
}

/**
 * Writes a users file atomically (a temporary file renamed over it), readable by its owner only: it holds
 * password hashes. `exclusive` refuses to replace a file that exists (the first-run admin).
 */
export async function writeConsoleUsers(
  file: string,
  users: readonly ConsoleUser[],
  options: { exclusive?: boolean } = {},
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const text = `${JSON.stringify({ users }, null, 2)}\n`;
  if (options.exclusive === true) {
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

/**
 * The console users, read from the users file and read again whenever the file changes (checked at most
 * once a second), so that `loopcds console-user` changes take effect without a restart. A file that has
 * become unreadable keeps the last good list and is reported once per change.
 */
export class ConsoleUserDirectory {
  private users: ConsoleUser[] = [];
  private signature = '';
  private checkedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly onProblem: (message: string) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The user with this name (case-insensitive), or undefined. */
  async find(username: string): Promise<ConsoleUser | undefined> {
    await this.refresh();
    const wanted = username.toLowerCase();
    return this.users.find((u) => u.username.toLowerCase() === wanted);
  }

  /** How many users there are (0: nobody can sign in). */
  async count(): Promise<number> {
    await this.refresh();
    return this.users.length;
  }

  private refresh(): Promise<void> {
    if (this.clock() - this.checkedAt < 1000) return Promise.resolve();
    this.refreshing ??= this.reload().finally(() => {
      this.refreshing = undefined;
      this.checkedAt = this.clock();
    });
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    let signature: string;
    try {
      const s = await stat(this.file);
      signature = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      signature = 'missing';
    }
    if (signature === this.signature) return;
    this.signature = signature;
    try {
      this.users = (await readConsoleUsers(this.file)) ?? [];
    } catch (error) {
      this.onProblem((error as Error).message);
    }
  }
}

/** The role of a user, for listings. */
export function describeUser(user: ConsoleUser): { username: string; role: ConsoleRole } {
  return { username: user.username, role: user.role };
}
