import express, { type Express } from 'express';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsoleUserCommand } from '../../src/cli/console-user-command.js';
import { loadConfig, type LoopcdsConfig } from '../../src/config/config.js';
import { consoleRouter } from '../../src/console/console-router.js';
import { readConsoleUsers, writeConsoleUsers } from '../../src/console/console-users.js';
import { hashPassword } from '../../src/console/password-hash.js';
import { CircuitBreakers } from '../../src/context/circuit-breaker.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { ROOT } from '../support/test-service.js';

const PASSWORDS = {
  ada: 'admin-password-1',
  phoebe: 'pharmacist-password-2',
  ines: 'informatician-password-3',
};

/** A stand-in for the population API: answers every path, so that only the console's gate decides. */
function populationStub(): express.Router {
  const router = express.Router();
  router.all('/{*rest}', (req, res) => {
    res.json({ stub: true, method: req.method, path: req.path });
  });
  return router;
}

describe('the console API', () => {
  let dir: string;
  let config: LoopcdsConfig;
  let server: Server;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loopcds-console-api-'));
    config = loadConfig({
      root: ROOT,
      overrides: {
        consoleUsersFile: path.join(dir, 'users.json'),
        consoleSessionKeyFile: path.join(dir, 'session.key'),
        logLevel: 'silent',
      },
    });
    await writeConsoleUsers(config.consoleUsersFile, [
      { username: 'ada', role: 'admin', passwordHash: await hashPassword(PASSWORDS.ada) },
      { username: 'phoebe', role: 'pharmacist', passwordHash: await hashPassword(PASSWORDS.phoebe) },
      { username: 'ines', role: 'informatician', passwordHash: await hashPassword(PASSWORDS.ines) },
    ]);
    const knowledge = await loadKnowledgeBase(config);
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
    const app: Express = express();
    app.use(express.json());
    app.use(
      '/console',
      consoleRouter({
        config,
        logger,
        knowledge: () => knowledge,
        breakers: new CircuitBreakers(5, 10_000),
        populationApi: populationStub(),
      }),
    );
    app.use(errorHandler(logger));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console/api`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function signIn(username: keyof typeof PASSWORDS) {
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORDS[username] }),
    });
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const body = (await res.json()) as { csrfToken: string; permissions: string[] };
    const call = (
      p: string,
      init: { method?: string; body?: unknown; csrf?: boolean; origin?: string } = {},
    ) =>
      fetch(`${base}/${p}`, {
        method: init.method ?? 'GET',
        headers: {
          cookie,
          'content-type': 'application/json',
          ...(init.csrf === false ? {} : { 'x-csrf-token': body.csrfToken }),
          ...(init.origin === undefined ? {} : { origin: init.origin }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    return { cookie, body, call, setCookie: res.headers.get('set-cookie') ?? '' };
  }

  it('answers 401 to a request without a session, and sets a strict HttpOnly cookie at sign-in', async () => {
    expect((await fetch(`${base}/overview`)).status).toBe(401);
    const { setCookie, body } = await signIn('ada');
    expect(setCookie).toMatch(
      /^loopcds_console=[\w-]+\.[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    expect(body.permissions).toContain('population:patients');
  });

  it('refuses a wrong password, and never logs the password', async () => {
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: 'wrong-password-xyz' }),
    });
    expect(res.status).toBe(401);
    expect(logs.join('\n')).toContain('console sign-in failed');
    expect(logs.join('\n')).not.toContain('wrong-password-xyz');
    expect(logs.join('\n')).not.toContain(PASSWORDS.ada);
  });

  it('throttles a user name after ten failed sign-ins', async () => {
    const attempt = () =>
      fetch(`${base}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody-here', password: 'guess' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('refuses a state change without the CSRF token, or from another origin', async () => {
    const { call } = await signIn('ines');
    const body = {
      service: 'pincer-order-sign',
      fixture: 'margaret-hale-ibuprofen-no-ppi',
      date: '2026-03-15',
    };
    expect((await call('try', { method: 'POST', body, csrf: false })).status).toBe(403);
    expect((await call('try', { method: 'POST', body, origin: 'https://evil.example' })).status).toBe(403);
    const signInFromElsewhere = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'ada', password: PASSWORDS.ada }),
    });
    expect(signInFromElsewhere.status).toBe(403);
  });

  it('runs "try it" through the hook path and returns the PINCER A card with the expressions', async () => {
    const { call } = await signIn('ines');
    const res = await call('try', {
      method: 'POST',
      body: { service: 'pincer-order-sign', fixture: 'margaret-hale-ibuprofen-no-ppi', date: '2026-03-15' },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as any;
    expect(answer.now).toBe('2026-03-15T12:00:00.000+00:00');
    expect(answer.response.body.cards.map((c: { summary: string }) => c.summary)).toEqual([
      'Ibuprofen 400mg tablets with no gastroprotection in a 72-year-old',
    ]);
    const a = answer.evaluations.find((e: { release: string }) => e.release === 'pincer-a@1.0.0');
    expect(a.result).toBe('fired');
    expect(a.expressions.find((x: { name: string }) => x.name === 'Age').text).toBe('72');
  });

  it('runs "try it" on pasted FHIR data the same way, the draft order taken from its status', async () => {
    const fixture = JSON.parse(
      readFileSync(path.join(ROOT, 'fixtures/patients/margaret-hale-ibuprofen-no-ppi.json'), 'utf8'),
    );
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [fixture.patient, ...fixture.resources, ...fixture.draftOrders].map((resource: unknown) => ({
        resource,
      })),
    };
    const { call } = await signIn('ada');
    const res = await call('try', {
      method: 'POST',
      body: { service: 'pincer-order-sign', data: bundle, date: '2026-03-15' },
    });
    const answer = (await res.json()) as any;
    expect(answer.response.body.cards[0].summary).toBe(
      'Ibuprofen 400mg tablets with no gastroprotection in a 72-year-old',
    );
    expect(answer.request.context.draftOrders.entry).toHaveLength(1);
  });

  it('gives each role what the matrix allows, and patient-identifiable population pages only to pharmacists and admins', async () => {
    const ines = await signIn('ines');
    const phoebe = await signIn('phoebe');
    const ada = await signIn('ada');
    const actions = 'population/runs/r1/practices/P1/actions';
    expect((await ines.call('population/runs/r1/practices')).status).toBe(200);
    expect((await ines.call(actions)).status).toBe(403);
    expect((await ines.call('population/runs', { method: 'POST', body: {} })).status).toBe(403);
    expect((await phoebe.call(actions)).status).toBe(200);
    expect((await phoebe.call('population/runs', { method: 'POST', body: {} })).status).toBe(200);
    expect((await phoebe.call('try/fixtures')).status).toBe(403);
    expect((await phoebe.call('rules/pincer-a@1.0.0/tests', { method: 'POST' })).status).toBe(403);
    expect((await ines.call('try/fixtures')).status).toBe(200);
    expect((await ada.call(actions)).status).toBe(200);
  });

  it('ends the sessions of a user whose password is changed or who is removed, without a restart', async () => {
    const phoebe = await signIn('phoebe');
    const ines = await signIn('ines');
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
    expect(await runConsoleUserCommand(config, ['passwd', 'phoebe'], io)).toBe(0);
    expect(String(io.stdout.read())).toMatch(/password \(shown once\): \S{20,}/);
    expect(await runConsoleUserCommand(config, ['remove', 'ines'], io)).toBe(0);
    await new Promise((r) => setTimeout(r, 1100)); // the users file is checked at most once a second
    expect((await phoebe.call('overview')).status).toBe(401);
    expect((await ines.call('overview')).status).toBe(401);
    // Put them back for the other tests.
    await writeConsoleUsers(config.consoleUsersFile, [
      ...((await readConsoleUsers(config.consoleUsersFile)) ?? []).filter((u) => u.username !== 'phoebe'),
      { username: 'phoebe', role: 'pharmacist', passwordHash: await hashPassword(PASSWORDS.phoebe) },
      { username: 'ines', role: 'informatician', passwordHash: await hashPassword(PASSWORDS.ines) },
    ]);
  });

  it('signs out: the old cookie no longer opens the API', async () => {
    const ada = await signIn('ada');
    expect((await ada.call('session', { method: 'DELETE' })).status).toBe(204);
    expect((await ada.call('overview')).status).toBe(401);
  });
});

describe('loopcds console-user', () => {
  it('adds a user with a password read from stdin, lists them, and refuses a duplicate or an unknown role', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-console-user-'));
    const config = loadConfig({ root: ROOT, overrides: { consoleUsersFile: path.join(dir, 'users.json') } });
    const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });
    const first = io();
    first.stdin.end('a long enough password\n');
    expect(
      await runConsoleUserCommand(config, ['add', 'pat', '--role', 'pharmacist', '--password-stdin'], first),
    ).toBe(0);
    expect(String(first.stdout.read())).not.toContain('shown once');
    const users = await readConsoleUsers(config.consoleUsersFile);
    expect(users?.map((u) => [u.username, u.role])).toEqual([['pat', 'pharmacist']]);
    expect(readFileSync(config.consoleUsersFile, 'utf8')).not.toContain('a long enough password');
    expect(await runConsoleUserCommand(config, ['add', 'pat', '--role', 'pharmacist'], io())).toBe(2);
    expect(await runConsoleUserCommand(config, ['add', 'sam', '--role', 'superuser'], io())).toBe(2);
    const list = io();
    expect(await runConsoleUserCommand(config, ['list'], list)).toBe(0);
    expect(String(list.stdout.read())).toBe('pat\tpharmacist\n');
  });

  it('makes a first admin when the users file is missing, whose logged password signs in', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-first-admin-'));
    const { ensureFirstAdmin } = await import('../../src/console/first-run-admin.js');
    const { verifyPassword } = await import('../../src/console/password-hash.js');
    const lines: string[] = [];
    const made = await ensureFirstAdmin(
      path.join(dir, 'users.json'),
      pino({}, { write: (l: string) => lines.push(l) }),
    );
    expect(made.created).toBe(true);
    const users = await readConsoleUsers(path.join(dir, 'users.json'));
    expect(users?.[0]?.username).toBe('admin');
    expect(await verifyPassword(made.password ?? '', users?.[0]?.passwordHash ?? '')).toBe(true);
    expect(lines.join('')).toContain(made.password);
    expect((await ensureFirstAdmin(path.join(dir, 'users.json'), pino({ level: 'silent' }))).created).toBe(
      false,
    );
    writeFileSync(path.join(dir, 'empty.json'), '{"users":[]}');
    expect((await ensureFirstAdmin(path.join(dir, 'empty.json'), pino({ level: 'silent' }))).created).toBe(
      false,
    );
  });
});
