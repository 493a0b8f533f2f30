import { insertRows, type SqlConnection } from '../outcomes/sql-connection.js';
import { preparePopulationSchema } from './population-schema.js';
import type { RunStore, StoredNumerator, StoredRate, StoredRun } from './run-store.js';

interface RunRow {
  id: string;
  created_at: string;
  as_of: string;
  evaluated_at: string;
  source: string;
  releases: string;
  status: StoredRun['status'];
  patients: number;
  finished_at: string | null;
  summary: string;
}

interface RateRow {
  run_id: string;
  practice_id: string;
  practice_name: string;
  release_id: string;
  artefact_id: string;
  list_size: number;
  denominator: number;
  numerator: number;
  incomplete: number;
  errors: number;
}

/** The run store over the outcome store's SQL connection (one set of statements for SQLite and PostgreSQL). */
export class SqlRunStore implements RunStore {
  private constructor(readonly db: SqlConnection) {}

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  /** Opens the store over a connection, creating the population tables when missing. */
  static async open(db: SqlConnection): Promise<SqlRunStore> {
    await preparePopulationSchema(db);
    return new SqlRunStore(db);
  }

  async beginRun(run: StoredRun): Promise<void> {
    await this.db.run(
      `INSERT INTO population_run (id, created_at, as_of, evaluated_at, source, releases, status, patients, finished_at, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        run.id,
        run.createdAt,
        run.asOf,
        run.now,
        run.source,
        JSON.stringify(run.releases),
        'running',
        run.patients,
        null,
        JSON.stringify(run.summary),
      ],
    );
  }

  async completeRun(
    run: StoredRun,
    rates: readonly StoredRate[],
    numerators: readonly StoredNumerator[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(
        `UPDATE population_run SET status = 'complete', patients = $2, finished_at = $3, summary = $4 WHERE id = $1`,
        [run.id, run.patients, run.finishedAt, JSON.stringify(run.summary)],
      );
      await insertRows(
        tx,
        'population_rate',
        [
          'run_id',
          'practice_id',
          'practice_name',
          'release_id',
          'artefact_id',
          'list_size',
          'denominator',
          'numerator',
          'incomplete',
          'errors',
        ],
        rates.map((r) => [
          r.runId,
          r.practiceId,
          r.practiceName,
          r.release,
          r.artefactId,
          r.listSize,
          r.denominator,
          r.numerator,
          r.incomplete,
          r.errors,
        ]),
      );
      await insertRows(
        tx,
        'population_numerator',
        ['run_id', 'artefact_id', 'practice_id', 'patient_pseudonym'],
        numerators.map((n) => [run.id, n.artefactId, n.practiceId, n.pseudonym]),
      );
    });
  }

  async failRun(id: string, message: string): Promise<void> {
    await this.db.run(
      `UPDATE population_run SET status = 'failed', finished_at = $2, summary = $3 WHERE id = $1`,
      [id, new Date().toISOString(), JSON.stringify({ error: message })],
    );
  }

  async getRun(id: string): Promise<StoredRun | undefined> {
    const rows = await this.db.all<RunRow>(`SELECT * FROM population_run WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  }

  async listRuns(options: { status?: StoredRun['status']; limit?: number } = {}): Promise<StoredRun[]> {
    const rows = await this.db.all<RunRow>(
      `SELECT * FROM population_run ${options.status === undefined ? '' : 'WHERE status = $2'}
       ORDER BY as_of DESC, created_at DESC LIMIT $1`,
      options.status === undefined ? [options.limit ?? 1000] : [options.limit ?? 1000, options.status],
    );
    return rows.map(toRun);
  }

  async ratesOf(runIds: readonly string[]): Promise<StoredRate[]> {
    if (runIds.length === 0) return [];
    const marks = runIds.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await this.db.all<RateRow>(
      `SELECT * FROM population_rate WHERE run_id IN (${marks}) ORDER BY run_id, release_id, practice_id`,
      runIds,
    );
    return rows.map((r) => ({
      runId: r.run_id,
      practiceId: r.practice_id,
      practiceName: r.practice_name,
      release: r.release_id,
      artefactId: r.artefact_id,
      listSize: Number(r.list_size),
      denominator: Number(r.denominator),
      numerator: Number(r.numerator),
      incomplete: Number(r.incomplete),
      errors: Number(r.errors),
    }));
  }

  async numeratorsOf(runId: string): Promise<StoredNumerator[]> {
    const rows = await this.db.all<{ artefact_id: string; practice_id: string; patient_pseudonym: string }>(
      `SELECT artefact_id, practice_id, patient_pseudonym FROM population_numerator WHERE run_id = $1`,
      [runId],
    );
    return rows.map((r) => ({
      artefactId: r.artefact_id,
      practiceId: r.practice_id,
      pseudonym: r.patient_pseudonym,
    }));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function toRun(r: RunRow): StoredRun {
  return {
    id: r.id,
    createdAt: r.created_at,
    asOf: r.as_of,
    now: r.evaluated_at,
    source: r.source,
    releases: JSON.parse(r.releases) as StoredRun['releases'],
    status: r.status,
    patients: Number(r.patients),
    finishedAt: r.finished_at,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
  };
}
