import pg from 'pg';
import type { SqlConnection, SqlValue } from './sql-connection.js';

/** A key for `pg_advisory_xact_lock`: one migrator at a time across every instance sharing the store. */
const MIGRATION_LOCK_KEY = 7_317_424_211; // "loopcds" on a phone keypad, near enough

/**
 * The shared store: PostgreSQL through a `pg` pool, so several service instances (and the CLI) use one
 * database. Errors of idle pooled connections (the server restarting) are reported to `onError`, not
 * thrown: the recorder retries its writes when the store returns.
 */
export class PostgresConnection implements SqlConnection {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #client: pg.PoolClient | undefined;

  constructor(
    url: string,
    options: { poolSize: number; onError?: (error: Error) => void } = { poolSize: 5 },
    client?: pg.PoolClient,
    pool?: pg.Pool,
  ) {
    this.#pool =
      pool ??
      new pg.Pool({
        connectionString: url,
        max: options.poolSize,
        connectionTimeoutMillis: 5_000, // 5 seconds to connect, then the write is retried later
        idleTimeoutMillis: 30_000, // 30 seconds
        query_timeout: 60_000, // 1 minute: a hung server must not hold a batch for ever
        application_name: 'loopcds',
      });
    if (pool === undefined) this.#pool.on('error', (error) => options.onError?.(error));
    this.#client = client;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await (this.#client ?? this.#pool).query(sql, params as SqlValue[]);
    return result.rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await (this.#client ?? this.#pool).query(sql, params as SqlValue[]);
    return result.rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    await (this.#client ?? this.#pool).query(script);
  }

  async transaction<T>(
    work: (tx: SqlConnection) => Promise<T>,
    options: { exclusive?: boolean } = {},
  ): Promise<T> {
    if (this.#client !== undefined) return work(this); // already inside one
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      if (options.exclusive === true)
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const result = await work(new PostgresConnection('', { poolSize: 1 }, client, this.#pool));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error; // the connection is gone: do not return it to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#client === undefined) await this.#pool.end();
  }
}
