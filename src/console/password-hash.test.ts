import { describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, verifyPassword } from './password-hash.js';

describe('console password hashes', () => {
  it('verifies the password a hash was made from, and no other', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
  });

  it('salts every hash, so the same password never gives the same hash twice', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('never matches a malformed or weakened hash', async () => {
    const hash = await hashPassword('pw');
    expect(await verifyPassword('pw', hash.replace('$32768$', '$1024$'))).toBe(false);
    expect(await verifyPassword('pw', 'plaintext')).toBe(false);
    expect(isPasswordHash('scrypt$3$8$1$aaaaaaaaaaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbb')).toBe(false);
  });
});
