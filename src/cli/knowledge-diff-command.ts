import { parseArgs } from 'node:util';
import { evaluationTime } from '../engine/evaluation-time.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { loadOverrideReasons } from '../knowledge/knowledge-base.js';
import { readNdjsonPopulation } from '../knowledge/ndjson-population.js';
import {
  compareOnPopulation,
  compareOnTestCases,
  type BehaviourComparison,
} from '../knowledge/release-behaviour-diff.js';
import { diffReleases, type ReleaseChanges } from '../knowledge/release-diff.js';
import { openReleaseSubject } from '../knowledge/release-subject.js';
import { compareRecordedCalls, type RecordedComparison } from '../knowledge/shadow-comparison.js';
import { openOutcomeStore } from '../outcomes/open-outcome-store.js';
import type { KnowledgeCommandContext } from './knowledge-commands.js';
import { formatTable, type Output } from './text-table.js';

/**
 * `loopcds knowledge diff <id>@<v1> <id>@<v2> [--population <ndjson dir>] [--now <date-time>]
 * [--outcomes [--limit N]] [--json]`: what changed between two releases (CQL, value-set codes, cards,
 * metadata) and what the change does: both run on the test cases of both, on a population if given
 * (every patient whose result differs is listed), and on the calls the outcome store recorded with both
 * (a shadow release beside the active one). Returns 0; 2 on a usage error.
 */
export async function knowledgeDiffCommand(ctx: KnowledgeCommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      population: { type: 'string' },
      now: { type: 'string' },
      outcomes: { type: 'boolean', default: false },
      limit: { type: 'string', default: '10000' },
      json: { type: 'boolean', default: false },
    },
  });
  const [refA, refB] = positionals;
  if (refA === undefined || refB === undefined || positionals.length !== 2) {
    ctx.io.stderr.write(
      'Usage: loopcds knowledge diff <id>@<v1> <id>@<v2> [--population DIR] [--now T] [--outcomes]\n',
    );
    return 2;
  }
  const a = await openReleaseSubject(refA, ctx.locations);
  const b = await openReleaseSubject(refB, ctx.locations);
  // Each side runs on its own ELM and value sets; only the default override reasons are shared.
  const shared = {
    valueSets: new ValueSetIndex([]),
    overrideReasons: await loadOverrideReasons(ctx.locations.knowledgeDir),
  };
  const changes = diffReleases(a, b);
  const testCases = await compareOnTestCases(a, b, shared);
  let population: (BehaviourComparison & { dir: string; now: string; patients: number }) | undefined;
  if (values.population !== undefined) {
    const types = new Set(
      [a, b].flatMap((s) =>
        [...s.artefact.definition.dataRequirements, ...(s.artefact.definition.triggers ?? [])].map(
          (r) => r.type,
        ),
      ),
    );
    const read = await readNdjsonPopulation(values.population, { types });
    const now = values.now ?? evaluationTime(ctx.clock(), ctx.config.timeZone);
    population = {
      ...(await compareOnPopulation(a, b, read.patients, { ...shared, now })),
      dir: values.population,
      now,
      patients: read.patients.length,
    };
  }
  let recorded: RecordedComparison | undefined;
  if (values.outcomes) {
    const store = openOutcomeStore(ctx.config);
    try {
      const calls = await store.listHookCalls({ limit: Number(values.limit) });
      recorded = compareRecordedCalls(
        calls.map((c) => ({
          hookInstance: c.hookInstance,
          at: c.evaluatedAt,
          patient: c.patientPseudonym,
          evaluations: c.evaluations,
        })),
        refA,
        refB,
      );
    } finally {
      await store.close();
    }
  }

  if (values.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ a: summary(a), b: summary(b), changes, testCases, population, recorded }, null, 2)}\n`,
    );
    return 0;
  }
  const out = ctx.io.stdout;
  out.write(`${describe(a)}  →  ${describe(b)}\n\nWHAT CHANGED\n`);
  printChanges(out, changes);
  out.write('\nWHAT IT DOES\n');
  printBehaviour(out, `Test cases of both releases`, testCases, 'case');
  if (population !== undefined)
    printBehaviour(
      out,
      `Population ${population.dir} (${population.patients} patients, now ${population.now})`,
      population,
      'patient',
    );
  if (recorded !== undefined)
    printBehaviour(
      out,
      `Outcome store: ${recorded.compared} recorded calls evaluated both`,
      {
        compared: recorded.compared,
        transitions: recorded.transitions,
        fired: { a: NaN, b: NaN },
        differing: recorded.differing.map((d) => ({
          subject: `${d.at} ${d.hookInstance} ${d.patient.slice(0, 12)}`,
          a: d.a,
          b: d.b,
        })),
      },
      'call',
    );
  return 0;
}

function summary(s: Awaited<ReturnType<typeof openReleaseSubject>>) {
  return { ref: s.ref, source: s.source, hash: s.hash };
}

function describe(s: Awaited<ReturnType<typeof openReleaseSubject>>): string {
  return `${s.ref} (${s.source === 'release' ? 'release' : 'working copy'} ${s.hash.slice(0, 12)})`;
}

function printChanges(out: Output, c: ReleaseChanges): void {
  const none = c.metadata.length + c.libraries.length + c.valueSets.length + c.cards.length === 0;
  if (none) out.write('  nothing but the version\n');
  for (const m of c.metadata) out.write(`  artefact.json ${m}\n`);
  for (const e of c.changelog) out.write(`  changelog ${e.version} (${e.date}): ${e.changes.join(' ')}\n`);
  for (const lib of c.libraries) {
    out.write(`  CQL ${lib.name} ${lib.a ?? '(none)'} → ${lib.b ?? '(none)'}\n`);
    for (const line of lib.hunks) out.write(`    ${line}\n`);
  }
  for (const v of c.valueSets) {
    out.write(`  value set ${v.url}: ${v.added.length} codes added, ${v.removed.length} removed\n`);
    for (const code of v.added) out.write(`    + ${code.system}|${code.code} ${code.display ?? ''}\n`);
    for (const code of v.removed) out.write(`    - ${code.system}|${code.code} ${code.display ?? ''}\n`);
  }
  for (const card of c.cards)
    out.write(
      `  card ${card.id}: ${card.change}${card.fields.length > 0 ? ` (${card.fields.join(', ')})` : ''}\n`,
    );
  const t = c.tests;
  if (t.added.length + t.removed.length + t.changed.length > 0)
    out.write(`  tests: ${t.added.length} added, ${t.removed.length} removed, ${t.changed.length} changed\n`);
}

function printBehaviour(out: Output, title: string, c: BehaviourComparison, noun: string): void {
  const fired = Number.isNaN(c.fired.a) ? '' : `; fired ${c.fired.a} → ${c.fired.b}`;
  out.write(`\n  ${title}: ${c.compared} compared, ${c.differing.length} differ${fired}\n`);
  const transitions = Object.entries(c.transitions).sort(([x], [y]) => (x < y ? -1 : 1));
  if (transitions.length > 0)
    out.write(
      indent(
        formatTable(
          ['a → b', 'count'],
          transitions.map(([k, n]) => [k, String(n)]),
        ),
      ),
    );
  if (c.differing.length > 0) {
    out.write(`\n`);
    out.write(
      indent(
        formatTable(
          [noun, 'a', 'b'],
          c.differing.map((d) => [
            d.subject,
            [d.a.result, ...d.a.cards].join('; '),
            [d.b.result, ...d.b.cards].join('; '),
          ]),
          70,
        ),
      ),
    );
  }
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}
