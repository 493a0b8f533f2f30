import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { build } from 'vite';
import { loadConfig, type LoopcdsConfig } from '../../src/config/config.js';
import { writeConsoleUsers } from '../../src/console/console-users.js';
import { hashPassword } from '../../src/console/password-hash.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { post, ROOT } from '../support/test-service.js';

/** The operator token of the service's own APIs (`/api/outcomes`, …), which the tests read to compare. */
export const E2E_ADMIN_TOKEN = 'console-e2e-admin-token-0123456789abcdef';

/** `fetch` options carrying the operator token. */
export const AS_OPERATOR = { headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` } };

/** The console users of the end-to-end tests, one per role. */
export const USERS = {
  admin: { username: 'ada', password: 'admin-password-e2e-1', role: 'admin' },
  pharmacist: { username: 'phoebe', password: 'pharmacist-password-e2e-2', role: 'pharmacist' },
  informatician: { username: 'ines', password: 'informatician-password-e2e-3', role: 'informatician' },
} as const;

/** Builds the console (vite) into dist/console, as `npm run build:console` does, unless the build is newer than its sources. */
export async function buildConsole(): Promise<void> {
  const built = path.join(ROOT, 'dist', 'console', 'index.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (t, e) =>
        Math.max(
          t,
          e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
        ),
      0,
    );
  if (existsSync(built) && statSync(built).mtimeMs > newest(path.join(ROOT, 'console'))) return;
  await build({ configFile: path.join(ROOT, 'console', 'vite.config.ts'), logLevel: 'error' });
}

/**
 * The real service on loopback with its embedded SQLite outcome store and console users, in a temporary
 * folder. `overrides` adds settings a test needs (the admin token that opens /api/population, say).
 */
export async function startConsoleService(
  overrides: Partial<LoopcdsConfig> = {},
): Promise<RunningServer & { dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-console-e2e-'));
  const usersFile = path.join(dir, 'console-users.json');
  await writeConsoleUsers(
    usersFile,
    await Promise.all(
      Object.values(USERS).map(async (u) => ({
        username: u.username,
        role: u.role,
        passwordHash: await hashPassword(u.password),
      })),
    ),
  );
  const config = loadConfig({
    root: ROOT,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      auth: 'off',
      allowEvaluationTimeOverride: true,
      knowledgeWatch: 'off',
      sqlitePath: path.join(dir, 'loopcds.sqlite'),
      outcomeJournalPath: path.join(dir, 'outcome-journal.ndjson'),
      pseudonymKeyFile: path.join(dir, 'pseudonym.key'),
      outcomeFlushMs: 0,
      devIssuerDir: path.join(dir, 'dev-issuer'),
      consoleUsersFile: usersFile,
      consoleSessionKeyFile: path.join(dir, 'console-session.key'),
      adminToken: E2E_ADMIN_TOKEN,
      ...overrides,
    },
  });
  return { ...(await startServer(config, pino({ level: 'silent' }))), dir };
}

const REQUEST = JSON.parse(
  readFileSync(path.join(ROOT, 'fixtures/requests/pincer-a-order-sign.json'), 'utf8'),
) as {
  prefetch: { patient: Record<string, unknown> };
};

const SITE_A = 'https://ehr.practice-a.example/fhir';
const SITE_B = 'https://ehr.practice-b.example/fhir';

/**
 * Records PINCER A calls over two ISO weeks at two sites, and feedback on some of their cards:
 * week 2026-W10: 4 calls, 3 fired (2 at site A, 1 at site B); week 2026-W11: 2 calls, 1 fired. One card
 * accepted, two overridden. The hook calls are made over HTTP exactly as an EHR makes them.
 */
export async function recordLearningCalls(url: string): Promise<{ calls: number }> {
  const calls: Array<{ at: string; site: string; aged: boolean }> = [
    { at: '2026-03-02T09:00:00.000+00:00', site: SITE_A, aged: true },
    { at: '2026-03-03T09:00:00.000+00:00', site: SITE_A, aged: true },
    { at: '2026-03-04T09:00:00.000+00:00', site: SITE_A, aged: false },
    { at: '2026-03-05T09:00:00.000+00:00', site: SITE_B, aged: true },
    { at: '2026-03-09T09:00:00.000+00:00', site: SITE_A, aged: true },
    { at: '2026-03-10T09:00:00.000+00:00', site: SITE_B, aged: false },
  ];
  const cards: Array<{ uuid: string; suggestion: string }> = [];
  for (const [i, c] of calls.entries()) {
    const body = {
      ...REQUEST,
      hookInstance: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      fhirServer: c.site,
      prefetch: {
        ...REQUEST.prefetch,
        patient: { ...REQUEST.prefetch.patient, birthDate: c.aged ? '1953-05-02' : '1990-05-02' },
      },
      extension: { 'org.loopcds.evaluation-time': c.at },
    };
    const res = await post(`${url}/cds-services/pincer-order-sign`, body);
    if (res.status !== 200) throw new Error(`hook call answered ${res.status}: ${JSON.stringify(res.body)}`);
    const card = (
      res.body.cards as Array<{
        uuid: string;
        source: { topic?: { code?: string } };
        suggestions?: Array<{ uuid: string }>;
      }>
    ).find((x) => x.source.topic?.code === 'pincer-a');
    if (card !== undefined) cards.push({ uuid: card.uuid, suggestion: card.suggestions?.[0]?.uuid ?? '' });
  }
  const reason = {
    system: 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes',
    code: 'patient-ineligible',
  };
  const feedback = [
    {
      card: cards[0]?.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [{ id: cards[0]?.suggestion }],
      outcomeTimestamp: '2026-03-02T09:05:00Z',
    },
    {
      card: cards[1]?.uuid,
      outcome: 'overridden',
      overrideReason: { reason },
      outcomeTimestamp: '2026-03-03T09:05:00Z',
    },
    {
      card: cards[3]?.uuid,
      outcome: 'overridden',
      overrideReason: { reason },
      outcomeTimestamp: '2026-03-09T09:05:00Z',
    },
  ];
  const res = await post(`${url}/cds-services/pincer-order-sign/feedback`, { feedback });
  if (res.status !== 200) throw new Error(`feedback answered ${res.status}`);
  // The store writes in the background: wait until every call is in.
  for (let i = 0; i < 200; i++) {
    const figures = (await (
      await fetch(`${url}/api/outcomes/figures?artefact=pincer-a&groupBy=release`, AS_OPERATOR)
    ).json()) as { figures: Array<{ evaluations: number; cardsWithFeedback: number }> };
    if (figures.figures[0]?.evaluations === calls.length && figures.figures[0].cardsWithFeedback === 3)
      return { calls: calls.length };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the outcome store did not receive the calls');
}
