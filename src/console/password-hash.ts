import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes with scrypt from node:crypto, stored as `scrypt$N$r$p$<salt base64url>$<hash base64url>`
 * so that the cost can be raised later without breaking existing hashes. N = 2^15, r = 8, p = 1 is the
 * OWASP Password Storage Cheat Sheet's scrypt minimum (~100 ms and 32 MiB here).
 */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32; // bytes
const SALT_LENGTH = 16; // bytes
/** scrypt needs 128 × N × r bytes; Node's default cap (32 MiB) is exactly that, so raise it a little. */
const MAX_MEMORY = 64 * 1024 * 1024; // 64 MiB

const PATTERN = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{16,})$/;

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, KEY_LENGTH, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether a string is a password hash this module can verify. */
export function isPasswordHash(value: string): boolean {
  const m = PATTERN.exec(value);
  if (m === null) return false;
  const n = Number(m[1]);
  return n >= 2 ** 14 && n <= 2 ** 20 && (n & (n - 1)) === 0;
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PATTERN.exec(stored);
  if (m === null || !isPasswordHash(stored)) return false;
  const expected = Buffer.from(m[5] ?? '', 'base64url');
  const key = await derive(password, Buffer.from(m[4] ?? '', 'base64url'), expected.length, {
    N: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let decoy: Promise<string> | undefined;

/** A hash of a random password: verified against when the user name is unknown, so timing says nothing. */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
