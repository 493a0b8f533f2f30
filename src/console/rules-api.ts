import express, { type Router } from 'express';
import type { LoopcdsConfig } from '../config/config.js';
import { flattenContains, type ValueSet } from '../engine/value-set.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import { runArtefactTests, summariseTestRows } from '../knowledge/artefact-test-suite.js';
import { listArtefacts, listServices } from '../knowledge/knowledge-catalogue.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { ReleaseError } from '../knowledge/release-contents.js';
import { diffReleases } from '../knowledge/release-diff.js';
import { parseReleaseRef } from '../knowledge/release-manifest.js';
import { openReleaseSubject, type ReleaseSubject } from '../knowledge/release-subject.js';
import { readTestStatus, testStatusFile, writeTestStatus } from '../knowledge/test-status-file.js';
import type { ConsoleAuth } from './console-auth.js';

export interface RulesApiDeps {
  config: LoopcdsConfig;
  knowledge: () => KnowledgeBase;
  auth: ConsoleAuth;
}

/**
 * The rules pages' API (`/console/api/rules`): every artefact release with its status, services and last
 * tests; one release in full (metadata, sources, changelog, CQL of its libraries, value sets, test cases);
 * running its test cases; and the source diff of two releases (src/knowledge/release-diff.ts).
 */
export function rulesApiRouter(deps: RulesApiDeps): Router {
  const router = express.Router();
  const { auth } = deps;
  const statusFile = testStatusFile(deps.config.elmCacheDir);
  const locations = {
    knowledgeDir: deps.config.knowledgeDir,
    extraLibraryDirs: deps.config.extraLibraryDirs,
    elmCacheDir: deps.config.elmCacheDir,
    valueSetDir: deps.config.valueSetDir,
  };
  const open = async (ref: string): Promise<ReleaseSubject> => {
    if (parseReleaseRef(ref) === undefined)
      throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', 'expected a release as id@version');
    try {
      return await openReleaseSubject(ref, locations);
    } catch (error) {
      if (error instanceof ReleaseError)
        throw loopcdsError('LOOPCDS_ERR_NOT_FOUND', error.problems.slice(0, 5).join('; ').slice(0, 1000));
      throw error;
    }
  };

  router.get('/rules', auth.requirePermission('rules:read'), async (_req, res) => {
    const knowledge = deps.knowledge();
    res.json({
      artefacts: listArtefacts(knowledge, await readTestStatus(statusFile)),
      services: listServices(knowledge),
    });
  });

  router.get('/rules/diff', auth.requirePermission('rules:read'), async (req, res) => {
    const a = typeof req.query['a'] === 'string' ? req.query['a'] : '';
    const b = typeof req.query['b'] === 'string' ? req.query['b'] : '';
    const [sa, sb] = [await open(a), await open(b)];
    if (sa.artefact.definition.id !== sb.artefact.definition.id)
      throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', 'a diff compares two releases of the same artefact');
    res.json({ changes: diffReleases(sa, sb), texts: { a: libraryTexts(sa), b: libraryTexts(sb) } });
  });

  router.get<{ ref: string }>('/rules/:ref', auth.requirePermission('rules:read'), async (req, res) => {
    const subject = await open(req.params.ref);
    const knowledge = deps.knowledge();
    const listing = listArtefacts(knowledge, await readTestStatus(statusFile)).filter(
      (l) => l.id === subject.artefact.definition.id,
    );
    const d = subject.artefact.definition;
    res.json({
      ref: subject.ref,
      source: subject.source,
      hash: subject.hash,
      definition: {
        id: d.id,
        version: d.version,
        status: d.status,
        title: d.title,
        description: d.description,
        owner: d.owner,
        authors: d.authors,
        sources: d.sources,
        changelog: d.changelog,
        parameters: d.parameters,
        dataRequirements: d.dataRequirements,
        cardSource: d.cardSource,
        cards: d.cards.map((c) => ({ id: c.id, indicator: c.indicator, summary: c.summary })),
      },
      libraries: libraryTexts(subject),
      valueSets: subject.manifest.valueSets.map((v) => ({
        url: v.url,
        version: v.version ?? null,
        source: v.source ?? null,
        codes: codeCount(subject.files.get(v.file)),
      })),
      tests: subject.cases.map((c) => ({
        name: c.testCase.name,
        description: c.testCase.description ?? null,
        hook: c.testCase.hook,
        now: c.testCase.now,
        expect: c.testCase.expect.result,
      })),
      releases: listing,
    });
  });

  router.post<{ ref: string }>(
    '/rules/:ref/tests',
    auth.requirePermission('rules:test'),
    async (req, res) => {
      const subject = await open(req.params.ref);
      const knowledge = deps.knowledge();
      const subjects = [{ artefact: subject.artefact, cases: subject.cases }];
      const rows = await runArtefactTests(subjects, knowledge);
      const statuses = summariseTestRows(subjects, rows, new Date().toISOString());
      await writeTestStatus(statusFile, statuses);
      res.json({
        status: statuses[0] ?? null,
        cases: rows.map((r) => ({ case: r.case, pass: r.pass, failures: r.failures })),
      });
    },
  );

  return router;
}

/** The CQL text of a release's libraries: its own first, then what it includes. */
function libraryTexts(
  subject: ReleaseSubject,
): Array<{ name: string; version: string; cql: string; main: boolean }> {
  return [subject.manifest.library, ...subject.manifest.includes].map((l, i) => ({
    name: l.name,
    version: l.version,
    cql: subject.files.get(l.cql)?.toString('utf8') ?? '',
    main: i === 0,
  }));
}

function codeCount(file: Buffer | undefined): number | null {
  if (file === undefined) return null;
  try {
    return flattenContains((JSON.parse(file.toString('utf8')) as ValueSet).expansion?.contains ?? []).length;
  } catch {
    return null;
  }
}
