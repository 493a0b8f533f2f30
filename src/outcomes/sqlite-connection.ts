import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SqlConnection, SqlValue } from './sql-connection.js';

/**
 * The embedded store: one SQLite file in WAL mode (readers never block the writer, and the CLI can report
 * while the service writes), foreign keys on, a busy timeout for the moments another process holds the
 * write lock (`loopcds db prune`). better-sqlite3 is synchronous: each call runs to completion, so the
 * promises it returns are already settled.
 */
export class SqliteConnection implements SqlConnection {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #transactions: Promise<unknown> = Promise.resolve();

  /**
   * @param file the database file (its folder is made when missing)
   * @param options.synchronous `NORMAL` survives a crash of the process; `FULL` also a crash of the machine
   *   (SQLite §PRAGMA synchronous: in WAL mode NORMAL may lose the last transactions on power loss).
   */
  constructor(file: string, options: { synchronous: 'NORMAL' | 'FULL' } = { synchronous: 'NORMAL' }) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000'); // 5 seconds
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return settle(() => this.#statement(sql).all(bind(params)) as T[]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return settle(() => this.#statement(sql).run(bind(params)).changes);
  }

  exec(script: string): Promise<void> {
    return settle(() => {
      this.#db.exec(script);
    });
  }

  /**
   * One transaction at a time on this connection: calls are chained, because two async callers could
   * otherwise interleave their statements between one's BEGIN and COMMIT. `BEGIN IMMEDIATE` takes the
   * write lock at once, so a writer in another process waits (busy timeout) rather than failing mid-way.
   */
  transaction<T>(work: (tx: SqlConnection) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    };
    const next = this.#transactions.then(run, run);
    this.#transactions = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#transactions;
    if (this.#db.open) this.#db.close();
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql.replace(/\$(\d+)/g, '@p$1'));
      // Multi-row inserts make one statement per chunk size: keep the cache bounded.
      if (this.#statements.size >= 500) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** `$1, $2…` become the named parameters `@p1, @p2…`, bound from one object. */
function bind(params: readonly SqlValue[]): Record<string, SqlValue> {
  const named: Record<string, SqlValue> = {};
  params.forEach((value, i) => {
    named[`p${i + 1}`] = value;
  });
  return named;
}

/** Runs synchronous work as a promise: its result resolves it, its exception rejects it. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}
