import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { OutcomeStore } from '../../src/outcomes/outcome-store.js';
import { PostgresConnection } from '../../src/outcomes/postgres-connection.js';
import { SqlOutcomeStore } from '../../src/outcomes/sql-outcome-store.js';
import { SqliteConnection } from '../../src/outcomes/sqlite-connection.js';

/**
 * The PostgreSQL server the store suite runs against: LOOPCDS_TEST_DATABASE_URL (set by .ci/run), or the
 * role that .ci/run creates on a local server. The suite makes its own databases there and drops them.
 */
export const ADMIN_URL =
  process.env['LOOPCDS_TEST_DATABASE_URL'] ?? 'postgres://loopcds:loopcds@127.0.0.1:5432/postgres';

export type BackendName = 'sqlite' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['sqlite', 'postgres'];

/** A fresh, empty place for a store: a temporary SQLite file, or a new PostgreSQL database. */
export interface ScratchDatabase {
  backend: BackendName;
  /** LOOPCDS_* settings that point the service at it. */
  env: Record<string, string>;
  /** A store over it (not migrated). */
  open(): OutcomeStore;
  drop(): Promise<void>;
}

export async function scratchDatabase(backend: BackendName): Promise<ScratchDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-store-'));
    const file = path.join(dir, 'loopcds.sqlite');
    return {
      backend,
      env: { LOOPCDS_SQLITE_PATH: file },
      open: () => new SqlOutcomeStore(new SqliteConnection(file), file),
      drop: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  const name = `loopcds_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `The store suite needs PostgreSQL at ${ADMIN_URL} (set LOOPCDS_TEST_DATABASE_URL; .ci/run installs and ` +
        `starts one): ${(error as Error).message}`,
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    backend,
    env: { LOOPCDS_DATABASE_URL: url.toString() },
    open: () => new SqlOutcomeStore(new PostgresConnection(url.toString(), { poolSize: 4 }), name),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
