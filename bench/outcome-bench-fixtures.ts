/** Records and scratch stores for bench/outcome-store-bench.ts. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { HookCallRecord } from '../src/outcomes/outcome-recorder.js';
import type { OutcomeStore } from '../src/outcomes/outcome-store.js';
import { PostgresConnection } from '../src/outcomes/postgres-connection.js';
import { SqlOutcomeStore } from '../src/outcomes/sql-outcome-store.js';
import { SqliteConnection } from '../src/outcomes/sqlite-connection.js';

const ADMIN_URL =
  process.env['LOOPCDS_TEST_DATABASE_URL'] ?? 'postgres://loopcds:loopcds@127.0.0.1:5432/postgres';

/** A record shaped like a PINCER order-sign call: nine releases, one of which fired with a card. */
export function hookRecord(n: number): HookCallRecord {
  const releases = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'i', 'k'].map((x) => `pincer-${x}@1.0.0`);
  return {
    serviceId: 'pincer-order-sign',
    hook: 'order-sign',
    hookInstance: randomUUID(),
    at: '2026-11-23T10:00:00.000+00:00',
    patientId: `bench-patient-${n % 5000}`,
    fhirServer: 'https://ehr.example.org/fhir/R4',
    prefetch: { supplied: ['patient', 'medications', 'conditions', 'egfr'], fetched: [], missing: [] },
    timings: { prefetchMs: 0.8, fallbackMs: 0, evaluationMs: 6.2 },
    evaluations: releases.map((release, i) => ({
      release,
      hash: 'f'.repeat(64),
      role: 'active' as const,
      result: i === 0 ? ('fired' as const) : ('not-fired' as const),
      missingData: [],
      cards:
        i === 0
          ? [
              {
                uuid: randomUUID(),
                indicator: 'warning',
                summary: 'Ibuprofen 400mg tablets with no gastroprotection in a 73-year-old',
                suggestions: [randomUUID(), randomUUID()],
              },
            ]
          : [],
      evaluationMs: 0.7,
    })),
  };
}

export interface Scratch {
  name: string;
  env: Record<string, string>;
  open(): OutcomeStore;
  drop(): Promise<void>;
}

export async function scratch(backend: 'sqlite' | 'postgres'): Promise<Scratch> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-bench-'));
  const journal = path.join(dir, 'outcome-journal.ndjson');
  if (backend === 'sqlite') {
    const file = path.join(dir, 'loopcds.sqlite');
    return {
      name: 'SQLite',
      env: { LOOPCDS_SQLITE_PATH: file, LOOPCDS_OUTCOME_JOURNAL: journal },
      open: () => new SqlOutcomeStore(new SqliteConnection(file), file),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const db = `loopcds_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  return {
    name: 'PostgreSQL',
    env: {
      LOOPCDS_DATABASE_URL: url.toString(),
      LOOPCDS_DB_AUTO_MIGRATE: 'true',
      LOOPCDS_OUTCOME_JOURNAL: journal,
    },
    open: () => new SqlOutcomeStore(new PostgresConnection(url.toString(), { poolSize: 4 }), db),
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}
