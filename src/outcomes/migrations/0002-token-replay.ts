import type { Migration } from './migration.js';

/**
 * The `jti` of every CDS client token accepted, until the token expires (CDS Hooks 2.0 §Trusting CDS
 * Clients): kept in the shared store so that a token replayed to another instance is refused there too.
 * `expires_at` is milliseconds since the epoch; expired rows are deleted as the service goes.
 */
export const tokenReplay: Migration = {
  version: 2,
  name: 'token replay: the jti of every accepted CDS client token until it expires',
  sql: `
CREATE TABLE token_replay (
  issuer TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX token_replay_expires ON token_replay (expires_at);
`,
};
