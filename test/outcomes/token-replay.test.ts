import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, scratchDatabase, type ScratchDatabase } from './store-backends.js';

/** The store's memory of accepted token ids (migration 0002), on both databases. */
describe.each(BACKENDS)('token ids in the %s store', (backend) => {
  let database: ScratchDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
  });

  it('accepts a token id once per issuer and refuses it after', async () => {
    database = await scratchDatabase(backend);
    const store = database.open();
    try {
      await store.migrate();
      const expires = Date.now() + 300_000;
      expect(await store.rememberToken('https://ehr.example.org', 'jti-1', expires)).toBe(true);
      expect(await store.rememberToken('https://ehr.example.org', 'jti-1', expires)).toBe(false);
      expect(await store.rememberToken('https://other-ehr.example.org', 'jti-1', expires)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
