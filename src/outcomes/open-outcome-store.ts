import type { Logger } from 'pino';
import type { LoopcdsConfig } from '../config/config.js';
import { OutcomeSetupError } from './outcome-setup-error.js';
import type { OutcomeStore } from './outcome-store.js';
import { PostgresConnection } from './postgres-connection.js';
import { assertSchemaCurrent } from './schema-migrator.js';
import { SqlOutcomeStore } from './sql-outcome-store.js';
import { SqliteConnection } from './sqlite-connection.js';

/**
 * Opens the configured outcome store: PostgreSQL when LOOPCDS_DATABASE_URL is set, otherwise the
 * embedded SQLite file. Its schema is not checked here (see {@link prepareOutcomeSchema}).
 */
export function openOutcomeStore(config: LoopcdsConfig, logger?: Logger): OutcomeStore {
  if (config.databaseUrl !== undefined) {
    const connection = new PostgresConnection(config.databaseUrl, {
      poolSize: config.dbPoolSize,
      onError: (error) => logger?.warn({ err: error }, 'outcome store connection lost'),
    });
    return new SqlOutcomeStore(connection, describePostgres(config.databaseUrl));
  }
  const connection = new SqliteConnection(config.sqlitePath, {
    // A machine-crash-proof journal is pointless if the store it empties into is not.
    synchronous: config.outcomeJournalSync === 'fsync' ? 'FULL' : 'NORMAL',
  });
  return new SqlOutcomeStore(connection, config.sqlitePath);
}

/**
 * Brings the schema to this code's version when allowed (LOOPCDS_DB_AUTO_MIGRATE; by default yes for
 * the embedded SQLite store, so `npm start` works on a fresh machine, and no for PostgreSQL, where
 * migrating is a release step: `loopcds db migrate`), then refuses a store whose schema is not exactly
 * this code's: unmigrated, migrated by a newer loopcds, or with an edited migration.
 */
export async function prepareOutcomeSchema(
  store: OutcomeStore,
  config: LoopcdsConfig,
  logger: Logger,
): Promise<void> {
  const autoMigrate = config.dbAutoMigrate ?? store.backend === 'sqlite';
  let status;
  try {
    status = await store.schemaStatus();
  } catch (error) {
    // Without the store the schema cannot be checked: refuse to start rather than record blind.
    throw new OutcomeSetupError(
      `Cannot reach the outcome store at ${store.location}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (autoMigrate && status.pending.length > 0 && status.unknown.length === 0) {
    const applied = await store.migrate();
    if (applied.length > 0) logger.info({ store: store.location, applied }, 'outcome store migrated');
  }
  assertSchemaCurrent(await store.schemaStatus());
}

/** `postgres://user@host:5432/db`: where the store is, without the password. */
export function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
