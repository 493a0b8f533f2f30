import express from 'express';
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { consoleRouter } from '../../src/console/console-router.js';
import { writeConsoleUsers } from '../../src/console/console-users.js';
import { hashPassword } from '../../src/console/password-hash.js';
import { CircuitBreakers } from '../../src/context/circuit-breaker.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { ROOT } from '../support/test-service.js';
import { isolatedContext, launchBrowser, screenshots, seriousAxeViolations } from './console-browser.js';
import { buildConsole, USERS } from './console-service.js';
import { populationStub } from './population-stub.js';

/**
 * The population pages in the browser, against a stand-in population API with the shapes of
 * src/population/run-report.ts (the console router is the real one, with its sessions and roles).
 */
describe('the population pages in a browser', () => {
  let server: Server;
  let base: string;
  let browser: Browser;
  const stub = populationStub();

  beforeAll(async () => {
    await buildConsole();
    const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-population-e2e-'));
    const config = loadConfig({
      root: ROOT,
      overrides: {
        consoleUsersFile: path.join(dir, 'users.json'),
        consoleSessionKeyFile: path.join(dir, 'session.key'),
      },
    });
    await writeConsoleUsers(
      config.consoleUsersFile,
      await Promise.all(
        Object.values(USERS).map(async (u) => ({
          username: u.username,
          role: u.role,
          passwordHash: await hashPassword(u.password),
        })),
      ),
    );
    const knowledge = await loadKnowledgeBase(config);
    const logger = pino({ level: 'silent' });
    const app = express();
    app.use(express.json());
    app.use(
      '/console',
      consoleRouter({
        config,
        logger,
        knowledge: () => knowledge,
        breakers: new CircuitBreakers(5, 10_000),
        populationApi: stub.router,
      }),
    );
    app.use(errorHandler(logger));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function signedIn(user: { username: string; password: string }) {
    const isolated = await isolatedContext(browser);
    const page: Page = await isolated.context.newPage();
    await page.goto(`${base}/console/`);
    await page.getByLabel('User name').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    return { page, ...isolated };
  }

  it("shows a practice's rates, intervals and deciles exactly as the API gives them, and its action list", async () => {
    const { page, context, blocked } = await signedIn(USERS.pharmacist);
    await page.goto(`${base}/console/population`);
    await page.locator('table[data-table="runs"]').waitFor();
    expect(await page.getByLabel('Source').isVisible()).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'population-runs');

    await page.locator('table[data-table="runs"] tbody a').first().click();
    await page.locator('table[data-table="action-list"]').waitFor();
    const api = (await page.evaluate(async () =>
      (await fetch('/console/api/population/runs/run-2/report')).json(),
    )) as typeof stub.report;
    const mine = api.rates.filter((r) => r.practiceId === 'P1');
    const shown = await page
      .locator('table[data-table="practice-indicators"] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    expect(shown.map((r) => [r[0], r[1], r[2]])).toEqual(
      mine.map((r) => [r.artefactId, String(r.numerator), String(r.denominator)]),
    );
    expect(shown.map((r) => r[3])).toEqual(mine.map((r) => `${((r.rate ?? 0) * 100).toFixed(1)}%`));
    const drawn = JSON.parse(
      (await page.locator('figure[data-chart="practice-rates"]').getAttribute('data-series')) ?? '{}',
    ) as { datasets: Array<{ label: string; data: unknown[] }> };
    expect(drawn.datasets.find((d) => d.label === 'This practice')?.data).toEqual(
      mine.map((r) => Math.round((r.rate ?? 0) * 1000) / 10),
    );
    const decile = JSON.parse(
      (await page.locator('figure[data-chart="decile-pincer-a"]').getAttribute('data-series')) ?? '{}',
    ) as { labels: string[]; datasets: Array<{ label: string; data: unknown[] }> };
    expect(decile.labels).toEqual(['2026-01-01', '2026-04-01']);
    expect(decile.datasets.find((d) => d.label === 'Peer median')?.data).toEqual([3, 2]);
    const patients = await page.locator('table[data-table="action-list"] tbody th').allTextContents();
    expect(patients).toEqual(['Margaret Hale', 'Arthur Bennett']);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'population-practice');
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('shows an informatician the aggregates but not the action list, which the API refuses them', async () => {
    const { page, context } = await signedIn(USERS.informatician);
    await page.goto(`${base}/console/population/runs/run-2`);
    await page.locator('table[data-table="practice-indicators"]').waitFor();
    expect(await page.getByText('Action lists name patients').isVisible()).toBe(true);
    expect(await page.locator('table[data-table="action-list"]').count()).toBe(0);
    expect(
      await page.evaluate(
        async () => (await fetch('/console/api/population/runs/run-2/practices/P1/actions')).status,
      ),
    ).toBe(403);
    expect(await page.getByLabel('Source').count()).toBe(0);
    await context.close();
  });
});
