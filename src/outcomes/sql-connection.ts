/** A value bound to a statement parameter. */
export type SqlValue = string | number | null;

/**
 * The little the outcome store needs from a SQL database, so that one set of statements (and one schema)
 * serves SQLite and PostgreSQL. Statements are written with PostgreSQL's numbered parameters (`$1`);
 * the SQLite connection translates them. Only SQL that both databases run the same way is used:
 * `ON CONFLICT DO NOTHING`, window functions, `CAST(… AS INTEGER)`; no dialect functions.
 */
export interface SqlConnection {
  readonly dialect: 'sqlite' | 'postgres';
  /** Rows of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Runs `work` in one transaction on one connection, committed when it resolves and rolled back when it
   * rejects. `exclusive` takes the database's write lock first (migrations: one migrator at a time).
   */
  transaction<T>(work: (tx: SqlConnection) => Promise<T>, options?: { exclusive?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** Largest number of parameters in one statement: SQLite allows 32,766 and PostgreSQL 65,535. */
export const MAX_PARAMETERS = 30_000;

/**
 * Inserts rows with multi-row `INSERT … ON CONFLICT DO NOTHING` statements of at most
 * {@link MAX_PARAMETERS} parameters: an entry already stored (by its primary key) is left as it was, which
 * makes replaying a journal idempotent.
 */
export async function insertRows(
  db: SqlConnection,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SqlValue[])[],
): Promise<number> {
  // SQLite: one prepared single-row statement run per row is cheaper than parsing a huge one (it runs
  // in process); PostgreSQL: multi-row statements save a round trip per row.
  const perStatement =
    db.dialect === 'sqlite' ? 1 : Math.max(1, Math.min(500, Math.floor(MAX_PARAMETERS / columns.length)));
  const statements = new Map<number, string>();
  const statementFor = (count: number): string => {
    let sql = statements.get(count);
    if (sql === undefined) {
      const tuples = Array.from({ length: count }, (_, r) => {
        const marks = columns.map((_c, c) => `$${r * columns.length + c + 1}`);
        return `(${marks.join(', ')})`;
      });
      sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`;
      statements.set(count, sql);
    }
    return sql;
  };
  let inserted = 0;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    inserted += await db.run(statementFor(chunk.length), chunk.flat());
  }
  return inserted;
}
