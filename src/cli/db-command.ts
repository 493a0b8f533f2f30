import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LoopcdsConfig } from '../config/config.js';
import { openOutcomeStore } from '../outcomes/open-outcome-store.js';
import type { OutcomeStore } from '../outcomes/outcome-store.js';
import { assertSchemaCurrent } from '../outcomes/schema-migrator.js';

export const DB_USAGE = `  db migrate          apply the outcome store's pending schema migrations
  db status           show the outcome store's schema version and pending migrations
  db prune [--days N] delete outcome records older than LOOPCDS_RETENTION_DAYS (or N) days`;

/** `loopcds db migrate|status|prune`: the outcome store's schema and retention (docs/outcome-store.md). */
export async function runDbCommand(config: LoopcdsConfig, args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { days: { type: 'string' } },
  });
  const [sub] = positionals;
  if (sub !== 'migrate' && sub !== 'status' && sub !== 'prune') {
    process.stderr.write(`Unknown db command: ${sub ?? '(none)'}\n${DB_USAGE}\n`);
    return 2;
  }
  if (sub !== 'migrate' && config.databaseUrl === undefined && !existsSync(config.sqlitePath)) {
    process.stdout.write(`No outcome store at ${config.sqlitePath} yet: nothing has been recorded.\n`);
    return sub === 'status' ? 1 : 0;
  }
  const store = openOutcomeStore(config);
  try {
    switch (sub) {
      case 'migrate':
        return await migrateStore(store);
      case 'status':
        return await showStatus(store);
      case 'prune':
        return await prune(store, values.days === undefined ? config.retentionDays : Number(values.days));
    }
  } finally {
    await store.close();
  }
}

async function migrateStore(store: OutcomeStore): Promise<number> {
  const applied = await store.migrate();
  const status = await store.schemaStatus();
  process.stdout.write(
    applied.length === 0
      ? `${store.location}: already at schema version ${status.current}\n`
      : `${store.location}: applied migration ${applied.join(', ')}; now at schema version ${status.current}\n`,
  );
  return 0;
}

async function showStatus(store: OutcomeStore): Promise<number> {
  const status = await store.schemaStatus();
  const lines = [
    `store:    ${store.backend} ${store.location}`,
    `schema:   version ${status.current} (this loopcds: ${status.latest})`,
    ...status.pending.map((m) => `pending:  ${m.version} ${m.name}`),
    ...status.unknown.map((v) => `unknown:  ${v} (applied by a newer loopcds)`),
    ...status.altered.map((v) => `altered:  ${v} (differs from this loopcds's migration)`),
  ];
  if (status.current === status.latest && status.unknown.length === 0 && status.altered.length === 0) {
    const counts = await store.countRecords();
    lines.push(
      `records:  ${counts.hookCalls} calls, ${counts.evaluations} evaluations, ${counts.cards} cards, ${counts.feedback} feedback`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return status.pending.length === 0 && status.unknown.length === 0 && status.altered.length === 0 ? 0 : 1;
}

async function prune(store: OutcomeStore, days: number): Promise<number> {
  if (!Number.isInteger(days) || days < 1) {
    process.stderr.write('--days must be a whole number of days, at least 1\n');
    return 2;
  }
  assertSchemaCurrent(await store.schemaStatus());
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const result = await store.prune(cutoff);
  process.stdout.write(
    `${store.location}: deleted ${result.hookCalls} calls (with their evaluations and cards) and ` +
      `${result.feedback} feedback entries recorded before ${result.cutoff} (${days} days)\n`,
  );
  return 0;
}
