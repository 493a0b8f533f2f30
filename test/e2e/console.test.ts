import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/http/server.js';
import { isolatedContext, launchBrowser, screenshots, seriousAxeViolations } from './console-browser.js';
import {
  AS_OPERATOR,
  buildConsole,
  recordLearningCalls,
  startConsoleService,
  USERS,
} from './console-service.js';

/**
 * The console in a real browser (Debian's chromium driven by playwright-core), against the real service
 * with its SQLite outcome store, every request to anything but loopback blocked. Each page is checked with
 * axe-core and photographed at desktop and narrow widths (test-results/screenshots/).
 */
describe('the web console in a browser', () => {
  let service: RunningServer & { dir: string };
  let browser: Browser;
  let admin: { context: BrowserContext; blocked: string[]; errors: string[] };
  let page: Page;

  beforeAll(async () => {
    await buildConsole();
    service = await startConsoleService();
    await recordLearningCalls(service.url);
    browser = await launchBrowser();
    admin = await isolatedContext(browser);
    page = await admin.context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (service?.server.listening) await service.close();
  });

  async function signIn(p: Page, user: { username: string; password: string }): Promise<void> {
    await p.goto(`${service.url}/console/`);
    await p.getByLabel('User name').fill(user.username);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('navigation', { name: 'Console' }).waitFor();
  }

  async function checkPage(name: string): Promise<void> {
    await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
    expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
    await screenshots(page, name);
  }

  it('refuses a wrong password and signs in with the right one', async () => {
    await page.goto(`${service.url}/console/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await checkPage('sign-in');
    await page.getByLabel('User name').fill(USERS.admin.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('The user name or password is wrong');
    await signIn(page, USERS.admin);
    expect(await page.getByText(`${USERS.admin.username} (admin)`).isVisible()).toBe(true);
  });

  it('shows the services, their releases and the activity on the overview', async () => {
    await page.goto(`${service.url}/console/`);
    await page.locator('table[data-table="services"]').waitFor();
    const services = await page.locator('table[data-table="services"] tbody th').allTextContents();
    expect(services.some((s) => s.startsWith('pincer-order-sign'))).toBe(true);
    // The six calls were recorded just now: all of them are in the last 24 hours.
    const tile = page.locator('.tile', { hasText: 'Calls, last 24 hours' });
    expect(await tile.locator('.tile-value').textContent()).toBe('6');
    await checkPage('overview');
  });

  it('lists the rules and shows one with its CQL highlighted', async () => {
    await page.goto(`${service.url}/console/rules`);
    await page.locator('table[data-table="artefacts"]').waitFor();
    await checkPage('rules');
    await page.getByRole('link', { name: 'pincer-a@1.0.0' }).first().click();
    await page.locator('code.cql .cql-keyword').first().waitFor();
    expect(await page.locator('code.cql').textContent()).toContain("library PincerA version '1.0.0'");
    await checkPage('rule-detail');
  });

  it('runs "try it" on a fixture patient and shows the PINCER A card with the expressions', async () => {
    await page.goto(`${service.url}/console/try`);
    await page.getByLabel('Fixture patient', { exact: true }).selectOption('margaret-hale-ibuprofen-no-ppi');
    expect(await page.getByLabel('Service').inputValue()).toBe('pincer-order-sign');
    expect(await page.getByLabel('Date').inputValue()).toBe('2026-03-15');
    await page.getByRole('button', { name: 'Run the service' }).click();
    const card = page.locator('.cds-card').first();
    await card.waitFor();
    expect(await card.locator('.card-summary').textContent()).toBe(
      'Ibuprofen 400mg tablets with no gastroprotection in a 72-year-old',
    );
    expect(await card.locator('.card-indicator').textContent()).toBe('Warning');
    const row = page.locator('table[data-table="try-results"] tbody tr', { hasText: 'pincer-a@1.0.0' });
    expect(await row.locator('td').nth(1).textContent()).toBe('fired');
    await checkPage('try-it');
  });

  it('draws the learning charts from the same figures the outcomes API gives', async () => {
    await page.goto(`${service.url}/console/learning?artefact=pincer-a`);
    const figure = page.locator('figure[data-chart="firing-by-week"]');
    await figure.waitFor();
    const drawn = JSON.parse((await figure.getAttribute('data-series')) ?? '{}') as {
      labels: string[];
      datasets: Array<{ label: string; data: Array<number | null> }>;
    };
    const api = (await (
      await fetch(`${service.url}/api/outcomes/figures?artefact=pincer-a&groupBy=week`, AS_OPERATOR)
    ).json()) as { figures: Array<{ release: string; week: string; firingRate: number }> };
    const weeks = [...new Set(api.figures.map((f) => f.week))].sort();
    expect(drawn.labels).toEqual(weeks);
    expect(drawn.labels).toEqual(['2026-W10', '2026-W11']);
    const expected = weeks.map(
      (w) =>
        Math.round(
          (api.figures.find((f) => f.week === w && f.release === 'pincer-a@1.0.0')?.firingRate ?? NaN) * 1000,
        ) / 10,
    );
    expect(drawn.datasets.find((d) => d.label === 'pincer-a@1.0.0')?.data).toEqual(expected);
    expect(expected).toEqual([75, 50]); // by hand: 3 of 4 fired in W10, 1 of 2 in W11
    const reasons = JSON.parse(
      (await page.locator('figure[data-chart="override-reasons"]').getAttribute('data-series')) ?? '{}',
    ) as { datasets: Array<{ data: number[] }> };
    expect(reasons.datasets[0]?.data).toEqual([2]);
    await checkPage('learning');
  });

  it('keeps the population pages and "try it" to the roles allowed', async () => {
    const pharmacist = await isolatedContext(browser);
    const p = await pharmacist.context.newPage();
    await signIn(p, USERS.pharmacist);
    const nav = await p.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    expect(nav).toEqual(['Overview', 'Rules', 'Learning', 'Population']);
    const status = await p.evaluate(async () => (await fetch('/console/api/try/fixtures')).status);
    expect(status).toBe(403);
    await p.goto(`${service.url}/console/try`);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Not available for your role');
    await pharmacist.context.close();
    expect(pharmacist.errors.filter((e) => !e.includes('403'))).toEqual([]);
  });

  it('signs out, and the session no longer opens the API', async () => {
    await page.goto(`${service.url}/console/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/console/api/overview')).status)).toBe(401);
  });

  it('loaded nothing from outside loopback and logged no error', () => {
    expect(admin.blocked).toEqual([]);
    expect(admin.errors.filter((e) => !/40[13]/.test(e))).toEqual([]);
  });
});
