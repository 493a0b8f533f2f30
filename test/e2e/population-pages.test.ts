import { readFileSync, rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/http/server.js';
import type { ActionRow } from '../../src/population/partition-result.js';
import type { RunReport } from '../../src/population/run-report.js';
import { AS_OF, testPopulation } from '../population/support/test-population.js';
import { isolatedContext, launchBrowser, screenshots, seriousAxeViolations } from './console-browser.js';
import { AS_OPERATOR, buildConsole, startConsoleService, USERS } from './console-service.js';

/**
 * Issue 8: the population pages in a real browser against the real service. A pharmacist starts a
 * population search of a generated population from the console, watches it run, and every number the
 * practice pages show is checked against what the population API (`/api/population`, behind the admin
 * token: the same router the console serves behind its roles) reports for that run, and against the
 * counts the generator built in.
 */
const PATIENTS = 300;
const PRACTICES = 4;

describe('the population pages in a browser, against the real population API', () => {
  let service: RunningServer & { dir: string };
  let browser: Browser;
  let population: Awaited<ReturnType<typeof testPopulation>>;
  /** The run the pharmacist starts in the first test; the later tests read it. */
  let runId = '';

  beforeAll(async () => {
    await buildConsole();
    population = await testPopulation(PATIENTS, PRACTICES, 8);
    service = await startConsoleService();
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (service?.server.listening) await service.close();
    population?.remove();
    if (service !== undefined) rmSync(service.dir, { recursive: true, force: true });
  });

  /** What the population API itself answers, with the admin token (not through the console). */
  async function fromApi<T>(path: string): Promise<T> {
    const res = await fetch(`${service.url}/api/population/${path}`, {
      ...AS_OPERATOR,
    });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  }

  async function signedIn(user: { username: string; password: string }) {
    const isolated = await isolatedContext(browser);
    const page: Page = await isolated.context.newPage();
    await page.goto(`${service.url}/console/`);
    await page.getByLabel('User name').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    return { page, ...isolated };
  }

  const cells = (page: Page, table: string) =>
    page
      .locator(`table[data-table="${table}"] tbody tr`)
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));

  it('starts a search of a generated population from the console and shows its progress until it is done', async () => {
    const { page, context, blocked, errors } = await signedIn(USERS.pharmacist);
    await page.goto(`${service.url}/console/population`);
    await page.locator('table[data-table="runs"]').waitFor();
    expect(await cells(page, 'runs')).toEqual([['No search has run yet.']]);

    await page.getByLabel('Source', { exact: true }).fill(population.dir);
    await page.getByLabel('Indicators', { exact: true }).fill('pincer');
    await page.getByLabel('As of', { exact: true }).fill(AS_OF);
    await page.getByRole('button', { name: 'Start the search' }).click();
    await page.waitForURL(/\/console\/population\/runs\/[0-9a-f-]{36}$/);
    runId = decodeURIComponent(page.url().split('/').pop() ?? '');

    // Read the progress block (the page polls the API once a second) until the run's final status replaces it.
    const seen: string[] = [];
    const status = page.locator('p.run-status');
    const deadline = Date.now() + 150_000; // 2.5 minutes; a run of 300 patients takes seconds
    while (Date.now() < deadline && !(await status.isVisible())) {
      const text = await page
        .locator('.progress-block p')
        .textContent({ timeout: 100 })
        .catch(() => null);
      if (text !== null && seen.at(-1) !== text) seen.push(text);
      await page.waitForTimeout(200);
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const text of seen) expect(text).toMatch(/^[\d,]+ of ([\d,]+|unknown) patients \(\w+\)/);
    expect(await status.textContent()).toMatch(
      new RegExp(
        `^Search of ndjson:${escaped(population.dir)} as of ${AS_OF}: complete, ${PATIENTS} patients, finished `,
      ),
    );
    const run = (
      await fromApi<{ run: { status: string; patients: number; releases: unknown[] } }>(`runs/${runId}`)
    ).run;
    expect(run).toMatchObject({ status: 'complete', patients: PATIENTS });
    expect(run.releases.length).toBeGreaterThan(3);

    await page.locator('table[data-table="action-list"]').waitFor();
    await page.goto(`${service.url}/console/population`);
    await page.locator('table[data-table="runs"] tbody a').waitFor();
    const listed = await cells(page, 'runs');
    expect(listed.map((r) => [r[1], r[2], r[4], r[5]])).toEqual([
      [AS_OF, `ndjson:${population.dir}`, 'complete', String(PATIENTS)],
    ]);
    expect(listed[0]?.[3]).toMatch(new RegExp(`^${run.releases.length} indicators`));
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'population-runs');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it("shows every practice's numerators, denominators, rates, intervals and ranks exactly as the API reports them", async () => {
    expect(runId).not.toBe('');
    const report = await fromApi<RunReport>(`runs/${runId}/report`);
    expect(report.practices.map((p) => p.id)).toEqual(population.manifest.practices.map((p) => p.id));
    const { page, context, blocked, errors } = await signedIn(USERS.pharmacist);
    await page.goto(`${service.url}/console/population/runs/${runId}`);
    for (const practice of report.practices) {
      await page.getByLabel('Practice', { exact: true }).selectOption(practice.id);
      await page.waitForURL(`**/population/runs/${runId}?practice=${practice.id}`);
      // This practice's tables, not the last one's still on the page while the new one renders.
      await page
        .locator('table[data-table="action-list"] caption')
        .getByText(`Patients at risk at ${practice.name}`, { exact: true })
        .waitFor();

      const mine = report.rates.filter((r) => r.practiceId === practice.id);
      const median = (release: string) => report.indicators.find((i) => i.release === release)?.deciles[4];
      expect(await cells(page, 'practice-indicators')).toEqual(
        mine.map((r) => [
          r.artefactId,
          String(r.numerator),
          String(r.denominator),
          r.rate === null ? '—' : `${(r.rate * 100).toFixed(1)}%`,
          r.ci === null ? '—' : `${points(r.ci.low)}–${points(r.ci.high)}`,
          text(points(median(r.release))),
          r.rank === null ? '—' : `${r.rank} of ${r.peers}`,
          text(r.percentile),
          '—', // no earlier run: no change, resolved or new
          '—',
          '—',
          String(r.incomplete),
        ]),
      );
      // The same counts the generator built in (its oracle): every PINCER indicator it knows.
      const known = mine.filter((r) => population.manifest.expected[r.artefactId] !== undefined);
      expect(known.length).toBeGreaterThanOrEqual(17);
      expect(known.map((r) => [r.artefactId, r.denominator, r.numerator])).toEqual(
        known.map((r) => {
          const built = population.manifest.expected[r.artefactId]?.[practice.id];
          return [r.artefactId, built?.denominator ?? 0, built?.numerator ?? 0];
        }),
      );
      const drawn = JSON.parse(
        (await page.locator('figure[data-chart="practice-rates"]').getAttribute('data-series')) ?? '{}',
      ) as { labels: string[]; datasets: Array<{ label: string; data: unknown[] }> };
      expect(drawn.labels).toEqual(mine.map((r) => r.artefactId));
      expect(drawn.datasets.find((d) => d.label === 'This practice')?.data).toEqual(
        mine.map((r) => points(r.rate)),
      );
      expect(drawn.datasets.find((d) => d.label === '95% confidence interval')?.data).toEqual(
        mine.map((r) => (r.ci === null ? null : [points(r.ci.low), points(r.ci.high)])),
      );

      const { rows } = await fromApi<{ rows: ActionRow[] }>(`runs/${runId}/practices/${practice.id}/actions`);
      const shown = await page.locator('table[data-table="action-list"] tbody tr').evaluateAll((trs) =>
        trs.map((tr) => {
          const [name, nhs, born, release, hazard, evidence, , since] = [...tr.children];
          return [
            ...[name, nhs, born, release].map((c) => c?.textContent ?? ''),
            hazard?.querySelector('.hazard-summary')?.textContent ?? '',
            [...(evidence?.querySelectorAll('li') ?? [])].map((li) => li.textContent ?? ''),
            since?.textContent ?? '',
          ];
        }),
      );
      expect(shown).toEqual(
        rows.map((a) => [
          a.name,
          a.nhsNumber,
          a.birthDate,
          a.release,
          a.summary,
          [
            ...a.evidence.drugs.map((d) => `${d.drug} (${d.issued})`),
            ...a.evidence.tests.map((t) => `${t.test} (${t.taken})`),
            ...a.evidence.events.map((e) => `${e.term} (${e.dated})`),
          ],
          '—', // the first run: nothing to be new since
        ]),
      );
      expect(rows.filter((a) => a.inNumerator)).toHaveLength(mine.reduce((s, r) => s + r.numerator, 0));
    }
    // The generated population puts patients in numerators: the comparisons above were not of zeros.
    expect(report.rates.some((r) => r.numerator > 0)).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'population-practice');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('downloads the action list as CSV with exactly the rows the API gives', async () => {
    const report = await fromApi<RunReport>(`runs/${runId}/report`);
    const practice = report.practices[0]!;
    const { rows } = await fromApi<{ rows: ActionRow[] }>(`runs/${runId}/practices/${practice.id}/actions`);
    const { page, context } = await signedIn(USERS.pharmacist);
    await page.goto(`${service.url}/console/population/runs/${runId}?practice=${practice.id}`);
    await page.locator('table[data-table="action-list"]').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: `Download CSV: Patients at risk at ${practice.name}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('action-list.csv');
    const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
    expect(csv[0]).toEqual([
      'Patient',
      'NHS number',
      'Born',
      'Indicator',
      'Hazard',
      'Evidence',
      'Missing data',
      'Since last run',
    ]);
    expect(csv.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7]])).toEqual(
      rows.map((a) => [a.name, a.nhsNumber, a.birthDate, a.release, a.summary, a.missingData.join('; '), '']),
    );
    expect(csv.slice(1).some((r) => r[5] !== '')).toBe(true); // evidence was written
    await context.close();
  });

  it('shows an informatician the aggregates but not the action list, and refuses them actions and starting a search', async () => {
    const { page, context } = await signedIn(USERS.informatician);
    await page.goto(`${service.url}/console/population/runs/${runId}`);
    await page.locator('table[data-table="practice-indicators"]').waitFor();
    expect(await page.getByText('Action lists name patients').isVisible()).toBe(true);
    expect(await page.locator('table[data-table="action-list"]').count()).toBe(0);
    const practice = (await fromApi<RunReport>(`runs/${runId}/report`)).practices[0]!.id;
    const answers = await page.evaluate(
      async ({ id, practice: p, dir, asOf }) => {
        const session = (await (await fetch('/console/api/session')).json()) as { csrfToken: string };
        const actions = await fetch(`/console/api/population/runs/${id}/practices/${p}/actions`);
        const start = await fetch('/console/api/population/runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
          body: JSON.stringify({ source: dir, artefacts: 'pincer-a', asOf }),
        });
        return [actions.status, start.status];
      },
      { id: runId, practice, dir: population.dir, asOf: AS_OF },
    );
    expect(answers).toEqual([403, 403]);
    await page.goto(`${service.url}/console/population`);
    await page.locator('table[data-table="runs"]').waitFor();
    expect(await page.getByLabel('Source', { exact: true }).count()).toBe(0);
    expect(await page.getByText('Pharmacists and administrators can start a search.').isVisible()).toBe(true);
    await context.close();
  });
});

function escaped(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A proportion as percent with one decimal place, as the console charts it. */
function points(r: number | null | undefined): number | null {
  return r === null || r === undefined ? null : Math.round(r * 1000) / 10;
}

function text(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : String(value);
}

/** RFC 4180 records (a quoted field may hold commas, doubled quotes and line breaks). */
function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted && c === '"' && csv[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
