import { createHash } from 'node:crypto';
import { ALL_MIGRATIONS } from './migrations/all-migrations.js';
import type { Migration } from './migrations/migration.js';
import type { SqlConnection } from './sql-connection.js';
import { OutcomeSetupError } from './outcome-setup-error.js';

/** Where applied migrations are written down, with the checksum of the SQL that was run. */
const HISTORY_TABLE = 'loopcds_schema_migration';

export interface SchemaStatus {
  /** Highest version applied (0: an empty store). */
  current: number;
  /** Highest version this code knows. */
  latest: number;
  /** Known migrations not yet applied, in order. */
  pending: Migration[];
  /** Applied versions this code does not know: a newer loopcds migrated the store. */
  unknown: number[];
  /** Applied versions whose SQL differs from this code's: a released migration was edited. */
  altered: number[];
}

/** The store's schema is one the service must not run on; the message says what to do. */
export class SchemaError extends OutcomeSetupError {
  constructor(
    message: string,
    readonly status: SchemaStatus,
  ) {
    super(message);
  }
}

/** Reads which migrations the store has, without changing it. */
export async function schemaStatus(
  db: SqlConnection,
  migrations: readonly Migration[] = ALL_MIGRATIONS,
): Promise<SchemaStatus> {
  const applied = (await historyExists(db))
    ? await db.all<{ version: number; checksum: string }>(
        `SELECT version, checksum FROM ${HISTORY_TABLE} ORDER BY version`,
      )
    : [];
  return compare(db.dialect, applied, migrations);
}

/**
 * Applies every pending migration in one transaction, holding the database's write lock (PostgreSQL: an
 * advisory lock) so that instances started together migrate once. Refuses a store that a newer loopcds
 * migrated, or whose history does not match this code. Resolves to the versions applied.
 */
export async function migrate(
  db: SqlConnection,
  migrations: readonly Migration[] = ALL_MIGRATIONS,
  clock: () => Date = () => new Date(),
): Promise<number[]> {
  return db.transaction(
    async (tx) => {
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, ` +
          `checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`,
      );
      const applied = await tx.all<{ version: number; checksum: string }>(
        `SELECT version, checksum FROM ${HISTORY_TABLE} ORDER BY version`,
      );
      const status = compare(tx.dialect, applied, migrations);
      refuseForeign(status);
      for (const migration of status.pending) {
        await tx.exec(sqlOf(migration, tx.dialect));
        await tx.run(
          `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
          [migration.version, migration.name, checksum(migration, tx.dialect), clock().toISOString()],
        );
      }
      return status.pending.map((m) => m.version);
    },
    { exclusive: true },
  );
}

/** Throws unless the store is exactly at this code's schema. */
export function assertSchemaCurrent(status: SchemaStatus): void {
  refuseForeign(status);
  if (status.pending.length > 0) {
    throw new SchemaError(
      `The outcome store is at schema version ${status.current}; this loopcds needs ${status.latest}. ` +
        `Run \`loopcds db migrate\` (or set LOOPCDS_DB_AUTO_MIGRATE=true).`,
      status,
    );
  }
}

function refuseForeign(status: SchemaStatus): void {
  if (status.unknown.length > 0) {
    throw new SchemaError(
      `The outcome store has schema version ${Math.max(...status.unknown)}, newer than this loopcds knows ` +
        `(${status.latest}): a newer release migrated it. Run that release, or restore a backup.`,
      status,
    );
  }
  if (status.altered.length > 0) {
    throw new SchemaError(
      `Migration ${status.altered.join(', ')} applied to the outcome store differs from this loopcds's: ` +
        `a released migration was edited. Restore the original migration and add a new one.`,
      status,
    );
  }
}

function compare(
  dialect: SqlConnection['dialect'],
  applied: ReadonlyArray<{ version: number; checksum: string }>,
  migrations: readonly Migration[],
): SchemaStatus {
  const known = new Map(migrations.map((m) => [m.version, m]));
  const done = new Map(applied.map((a) => [Number(a.version), a.checksum]));
  return {
    current: applied.reduce((max, a) => Math.max(max, Number(a.version)), 0),
    latest: migrations.reduce((max, m) => Math.max(max, m.version), 0),
    pending: migrations.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version),
    unknown: [...done.keys()].filter((v) => !known.has(v)),
    altered: [...done.entries()]
      .filter(([v, sum]) => known.has(v) && checksum(known.get(v)!, dialect) !== sum)
      .map(([v]) => v),
  };
}

async function historyExists(db: SqlConnection): Promise<boolean> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.all(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1`, [HISTORY_TABLE])
      : await db.all(`SELECT to_regclass($1) AS name WHERE to_regclass($1) IS NOT NULL`, [HISTORY_TABLE]);
  return rows.length > 0;
}

function sqlOf(migration: Migration, dialect: SqlConnection['dialect']): string {
  return (dialect === 'postgres' ? migration.postgres : migration.sqlite) ?? migration.sql;
}

function checksum(migration: Migration, dialect: SqlConnection['dialect']): string {
  return createHash('sha256').update(sqlOf(migration, dialect)).digest('hex');
}
