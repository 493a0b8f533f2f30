import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { LoopcdsConfig } from '../config/config.js';
import { CONSOLE_ROLES, isConsoleRole } from '../console/console-roles.js';
import {
  readConsoleUsers,
  USERNAME_PATTERN,
  writeConsoleUsers,
  type ConsoleUser,
} from '../console/console-users.js';
import { hashPassword } from '../console/password-hash.js';

export const CONSOLE_USER_USAGE = `  console-user add <name> --role <${CONSOLE_ROLES.join('|')}> [--password-stdin]
                      add a console user (a random password is printed once unless read from stdin)
  console-user passwd <name> [--password-stdin]
                      set a new password (random unless read from stdin); ends the user's sessions
  console-user remove <name>
                      remove a console user; ends their sessions
  console-user list   list the console users and their roles`;

/** Shortest password accepted from stdin (NCSC password guidance: length over complexity). */
const MIN_PASSWORD_LENGTH = 12;

/**
 * `loopcds console-user …`: manages LOOPCDS_CONSOLE_USERS (docs/console.md). The file holds scrypt hashes
 * only; a running service reads it again when it changes, so no restart is needed.
 */
export async function runConsoleUserCommand(
  config: LoopcdsConfig,
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; stdin: NodeJS.ReadableStream },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { role: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    strict: true,
  });
  const [sub, name] = positionals;
  const file = config.consoleUsersFile;
  const users: ConsoleUser[] = (await readConsoleUsers(file)) ?? [];
  const index =
    name === undefined ? -1 : users.findIndex((u) => u.username.toLowerCase() === name.toLowerCase());
  const fail = (message: string) => {
    io.stderr.write(`${message}\n`);
    return 2;
  };
  const password = async () => {
    if (values['password-stdin'] !== true)
      return { text: randomBytes(18).toString('base64url'), generated: true };
    const text = (await readFirstLine(io.stdin)).trimEnd();
    if (text.length < MIN_PASSWORD_LENGTH)
      throw new Error(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    return { text, generated: false };
  };
  const now = new Date().toISOString();

  switch (sub ?? '') {
    case 'list':
      for (const u of users) io.stdout.write(`${u.username}\t${u.role}\n`);
      return 0;
    case 'add': {
      if (name === undefined || !USERNAME_PATTERN.test(name))
        return fail('add: a user name of letters, digits, . _ - is needed');
      if (!isConsoleRole(values.role)) return fail(`add: --role must be one of ${CONSOLE_ROLES.join(', ')}`);
      if (index >= 0) return fail(`add: ${name} exists; use passwd or remove`);
      const p = await password();
      users.push({
        username: name,
        role: values.role,
        passwordHash: await hashPassword(p.text),
        createdAt: now,
      });
      await writeConsoleUsers(file, users);
      io.stdout.write(`added ${name} (${values.role}) to ${file}\n`);
      if (p.generated) io.stdout.write(`password (shown once): ${p.text}\n`);
      return 0;
    }
    case 'passwd': {
      const user = users[index];
      if (user === undefined) return fail(`passwd: no user ${name ?? '(none)'}`);
      const p = await password();
      users[index] = { ...user, passwordHash: await hashPassword(p.text), passwordChangedAt: now };
      await writeConsoleUsers(file, users);
      io.stdout.write(`new password set for ${user.username}\n`);
      if (p.generated) io.stdout.write(`password (shown once): ${p.text}\n`);
      return 0;
    }
    case 'remove': {
      if (index < 0) return fail(`remove: no user ${name ?? '(none)'}`);
      users.splice(index, 1);
      await writeConsoleUsers(file, users);
      io.stdout.write(`removed ${name ?? ''}\n`);
      return 0;
    }
    default:
      return fail(`Unknown console-user command: ${sub ?? '(none)'}\n${CONSOLE_USER_USAGE}`);
  }
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const newline = text.indexOf('\n');
    if (newline >= 0) return text.slice(0, newline);
  }
  return text;
}
