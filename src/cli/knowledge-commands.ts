import { parseArgs } from 'node:util';
import type { LoopcdsConfig } from '../config/config.js';
import { buildKnowledge } from '../engine/compile-knowledge-cli.js';
import { listArtefacts, listServices } from '../knowledge/knowledge-catalogue.js';
import { KnowledgeLoadError, loadKnowledgeBase } from '../knowledge/knowledge-base.js';
import { exportKnowledge } from '../knowledge/knowledge-export.js';
import { validateKnowledge } from '../knowledge/knowledge-validator.js';
import { buildRelease } from '../knowledge/release-builder.js';
import { ReleaseError, type WorkingLocations } from '../knowledge/release-contents.js';
import { readTestStatus, testStatusFile } from '../knowledge/test-status-file.js';
import { formatFinding } from '../knowledge/validation-finding.js';
import { knowledgeDiffCommand } from './knowledge-diff-command.js';
import { knowledgeTestCommand } from './knowledge-test-command.js';
import { formatTable, type CommandIo } from './text-table.js';

export const KNOWLEDGE_USAGE = `  knowledge build     compile knowledge/ CQL to ELM (cached by content hash)
  knowledge validate [artefact]
                      check metadata, CQL (file:line:col), value sets, card templates, test cases,
                      service bindings and release folders
  knowledge test [artefact | artefact@version]
                      run the test cases of working copies and releases; a table of every case
  knowledge release <artefact>
                      freeze knowledge/<artefact> into knowledge/releases/<id>@<version>/
  knowledge diff <artefact>@<v1> <artefact>@<v2> [--population DIR] [--now T] [--outcomes] [--json]
                      what changed between two releases, and what the change does
  knowledge list [--json]
                      artefacts, releases, status, which services run them, last test run
  knowledge export --out DIR
                      releases as FHIR Library resources, services as PlanDefinitions`;

/** What every knowledge command runs with. */
export interface KnowledgeCommandContext {
  config: LoopcdsConfig;
  locations: WorkingLocations & { servicesDir: string };
  io: CommandIo;
  clock: () => Date;
}

/** Builds the context of a knowledge command from the config (paths in messages relative to `baseDir`). */
export function knowledgeCommandContext(
  config: LoopcdsConfig,
  options: { io?: CommandIo; baseDir?: string; clock?: () => Date } = {},
): KnowledgeCommandContext {
  return {
    config,
    locations: {
      knowledgeDir: config.knowledgeDir,
      extraLibraryDirs: config.extraLibraryDirs,
      elmCacheDir: config.elmCacheDir,
      valueSetDir: config.valueSetDir,
      servicesDir: config.servicesDir,
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
    },
    io: options.io ?? { stdout: process.stdout, stderr: process.stderr },
    clock: options.clock ?? (() => new Date()),
  };
}

/**
 * `loopcds knowledge <sub> …`: returns the exit code (2 for a usage error). A release that cannot be
 * made or read, or knowledge that cannot load, is reported on stderr with every problem, exit code 1.
 */
export async function runKnowledgeCommand(ctx: KnowledgeCommandContext, args: string[]): Promise<number> {
  try {
    return await dispatch(ctx, args);
  } catch (error) {
    if (error instanceof ReleaseError || error instanceof KnowledgeLoadError) {
      ctx.io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function dispatch(ctx: KnowledgeCommandContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { io, locations } = ctx;
  switch (sub) {
    case undefined:
      io.stderr.write(`Which knowledge command?\n${KNOWLEDGE_USAGE}\n`);
      return 2;
    case 'build':
      return buildKnowledge({
        knowledgeDirs: [locations.knowledgeDir, ...locations.extraLibraryDirs],
        cacheDir: locations.elmCacheDir,
        stdout: io.stdout,
        stderr: io.stderr,
        ...(locations.baseDir === undefined ? {} : { baseDir: locations.baseDir }),
      });
    case 'validate':
      return validate(ctx, rest[0]);
    case 'test':
      return knowledgeTestCommand(ctx, rest[0]);
    case 'release':
      return release(ctx, rest[0]);
    case 'diff':
      return knowledgeDiffCommand(ctx, rest);
    case 'list':
      return list(ctx, rest.includes('--json'));
    case 'export':
      return exportCommand(ctx, rest);
    default:
      io.stderr.write(`Unknown knowledge command: ${sub ?? '(none)'}\n${KNOWLEDGE_USAGE}\n`);
      return 2;
  }
}

async function validate(ctx: KnowledgeCommandContext, only?: string): Promise<number> {
  const report = await validateKnowledge(ctx.locations, only);
  for (const f of report.findings) ctx.io.stdout.write(`${formatFinding(f)}\n`);
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  ctx.io.stdout.write(
    `validated ${report.artefacts} artefacts, ${report.releases} releases, ${report.services} services: ${errors} errors, ${warnings} warnings\n`,
  );
  return errors > 0 ? 1 : 0;
}

async function release(ctx: KnowledgeCommandContext, artefact?: string): Promise<number> {
  if (artefact === undefined) {
    ctx.io.stderr.write('Usage: loopcds knowledge release <artefact>\n');
    return 2;
  }
  const result = await buildRelease(ctx.locations, artefact, ctx.clock);
  const what = result.outcome === 'created' ? 'released' : 'already released, unchanged:';
  ctx.io.stdout.write(`${what} ${result.ref} hash ${result.hash} (${result.files} files) in ${result.dir}\n`);
  if (result.note !== undefined) ctx.io.stdout.write(`note: ${result.note}\n`);
  return 0;
}

async function list(ctx: KnowledgeCommandContext, json: boolean): Promise<number> {
  const knowledge = await loadKnowledgeBase(ctx.locations);
  const status = await readTestStatus(testStatusFile(ctx.locations.elmCacheDir));
  const artefacts = listArtefacts(knowledge, status);
  if (json) {
    ctx.io.stdout.write(`${JSON.stringify({ artefacts, services: listServices(knowledge) }, null, 2)}\n`);
    return 0;
  }
  const rows = artefacts.map((a) => [
    a.ref,
    a.status,
    a.source === 'release' ? `release ${a.releasedAt?.slice(0, 10) ?? ''}` : 'working copy',
    a.hash.slice(0, 12),
    a.services.map((s) => `${s.service}${s.role === 'shadow' ? ' (shadow)' : ''}`).join(', ') || '-',
    a.tests === null
      ? 'not run'
      : `${a.tests.failed === 0 ? 'pass' : 'FAIL'} ${a.tests.passed}/${a.tests.total} ${a.tests.ranAt.slice(0, 16)}${a.tests.current ? '' : ' (stale)'}`,
  ]);
  ctx.io.stdout.write(formatTable(['release', 'status', 'source', 'hash', 'services', 'tests'], rows, 80));
  return 0;
}

async function exportCommand(ctx: KnowledgeCommandContext, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  if (values.out === undefined) {
    ctx.io.stderr.write('Usage: loopcds knowledge export --out <dir>\n');
    return 2;
  }
  const result = await exportKnowledge({ ...ctx.locations, publicUrl: ctx.config.publicUrl }, values.out);
  for (const n of result.notes) ctx.io.stdout.write(`note: ${n}\n`);
  for (const p of result.problems) ctx.io.stderr.write(`${p}\n`);
  ctx.io.stdout.write(`wrote ${result.written.length} FHIR resources to ${values.out}\n`);
  return result.problems.length > 0 ? 1 : 0;
}
