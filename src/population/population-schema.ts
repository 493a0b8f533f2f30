import type { SqlConnection } from '../outcomes/sql-connection.js';

/** Where the population schema's version is written down (apart from the outcome store's migrations). */
const VERSION_TABLE = 'population_schema';

/** The version of the tables below; a store with a higher one was written by a newer loopcds. */
export const POPULATION_SCHEMA_VERSION = 1;

/**
 * The tables of population runs, in the outcome store's database (SQLite or PostgreSQL: the same SQL runs
 * on both). A run is stored with its index date and the exact releases it evaluated; its rates by
 * practice and indicator release; and, for the before/after comparison of the next run, the pseudonyms
 * of the patients in each numerator (the outcome store's keyed HMAC, never a patient id). The partition
 * tables carry a run split into jobs across machines (PostgreSQL): a partition's records while it waits
 * (deleted once the run is reported), and what each partition added up to, summed in SQL.
 *
 * They are created here, versioned on their own, rather than as a migration of src/outcomes, whose
 * schema version the outcome store's own tests pin; moving them into that chain is one file and one line.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS population_run (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  as_of TEXT NOT NULL,
  evaluated_at TEXT NOT NULL,
  source TEXT NOT NULL,
  releases TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  patients INTEGER NOT NULL,
  finished_at TEXT,
  summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS population_run_as_of ON population_run (as_of);

CREATE TABLE IF NOT EXISTS population_rate (
  run_id TEXT NOT NULL REFERENCES population_run (id) ON DELETE CASCADE,
  practice_id TEXT NOT NULL,
  practice_name TEXT NOT NULL,
  release_id TEXT NOT NULL,
  artefact_id TEXT NOT NULL,
  list_size INTEGER NOT NULL,
  denominator INTEGER NOT NULL,
  numerator INTEGER NOT NULL,
  incomplete INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  PRIMARY KEY (run_id, practice_id, release_id)
);
CREATE INDEX IF NOT EXISTS population_rate_artefact ON population_rate (artefact_id, practice_id);

CREATE TABLE IF NOT EXISTS population_numerator (
  run_id TEXT NOT NULL REFERENCES population_run (id) ON DELETE CASCADE,
  artefact_id TEXT NOT NULL,
  practice_id TEXT NOT NULL,
  patient_pseudonym TEXT NOT NULL,
  PRIMARY KEY (run_id, artefact_id, patient_pseudonym)
);

CREATE TABLE IF NOT EXISTS population_partition (
  run_id TEXT NOT NULL REFERENCES population_run (id) ON DELETE CASCADE,
  partition INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('waiting', 'done', 'failed')),
  payload TEXT,
  outcome TEXT,
  worker TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, partition)
);

CREATE TABLE IF NOT EXISTS population_partition_count (
  run_id TEXT NOT NULL REFERENCES population_run (id) ON DELETE CASCADE,
  partition INTEGER NOT NULL,
  practice_id TEXT NOT NULL,
  release_id TEXT NOT NULL,
  denominator INTEGER NOT NULL,
  numerator INTEGER NOT NULL,
  incomplete INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  PRIMARY KEY (run_id, partition, practice_id, release_id)
);
`;

/** Creates the population tables when missing; refuses a schema newer than this code's. */
export async function preparePopulationSchema(db: SqlConnection): Promise<void> {
  await db.transaction(
    async (tx) => {
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
      );
      const rows = await tx.all<{ version: number }>(`SELECT version FROM ${VERSION_TABLE}`);
      const current = rows.reduce((max, r) => Math.max(max, Number(r.version)), 0);
      if (current > POPULATION_SCHEMA_VERSION)
        throw new Error(
          `The population tables have schema version ${current}, newer than this loopcds knows (${POPULATION_SCHEMA_VERSION}).`,
        );
      if (current === POPULATION_SCHEMA_VERSION) return;
      await tx.exec(SCHEMA);
      await tx.run(
        `INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [POPULATION_SCHEMA_VERSION, new Date().toISOString()],
      );
    },
    { exclusive: true },
  );
}
