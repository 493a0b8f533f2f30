import { api } from '../api.js';
import { fill } from '../async-region.js';
import { dataTable } from '../data-table.js';
import { h } from '../element.js';
import { formatCount, formatInstant, formatMs, formatRate } from '../format.js';
import type { Page } from '../page.js';

interface ServiceListing {
  id: string;
  hook: string;
  title: string;
  active: Array<{ ref: string; source: string }>;
  shadow: Array<{ ref: string; source: string }>;
}
interface Period {
  label: string;
  calls: number;
  cards: number;
  evaluations: number;
  errors: number;
  incomplete: number;
  byService: Array<{ service: string; calls: number; cards: number; errors: number; incomplete: number }>;
}
interface Overview {
  generatedAt: string;
  services: ServiceListing[];
  knowledge: {
    generation: number;
    loadedAt: string;
    failing: { startedAt: string; problems: string[] } | null;
  } | null;
  store: { backend: string; available: boolean; problem?: string } | null;
  activity: {
    sample: { calls: number; limit: number; truncated: boolean };
    periods: Period[];
    ruleErrors: Array<{ release: string; count: number; lastAt: string; message: string }>;
    completeness: Array<{
      release: string;
      evaluations: number;
      incomplete: number;
      rate: number;
      missing: Array<{ item: string; count: number }>;
    }>;
    prefetch: Array<{ service: string; key: string; supplied: number; fetched: number; missing: number }>;
    fallback: Array<{ site: string; calls: number; medianMs: number; p95Ms: number; maxMs: number }>;
  } | null;
  ehr: { circuits: Array<{ origin: string; state: 'closed' | 'open' | 'half-open' }> };
}

/** Overview: services and their releases, activity, rule errors, data completeness, EHR connection health. */
export function overviewPage(): Page {
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () => render(await api<Overview>('overview')));
  return { title: 'Overview', body, ready };
}

function render(o: Overview): HTMLElement {
  const a = o.activity;
  const day = a?.periods[0];
  const week = a?.periods[1];
  const tiles = h(
    'ul',
    { class: 'tiles', 'aria-label': 'Activity' },
    tile(
      'Calls, last 24 hours',
      formatCount(day?.calls),
      a?.sample.truncated === true ? 'at least' : undefined,
    ),
    tile('Cards, last 24 hours', formatCount(day?.cards)),
    tile(
      'Calls, last 7 days',
      formatCount(week?.calls),
      a?.sample.truncated === true ? 'at least' : undefined,
    ),
    tile('Cards, last 7 days', formatCount(week?.cards)),
    tile(
      'Rule errors, last 7 days',
      formatCount(week?.errors),
      (week?.errors ?? 0) > 0 ? 'needs attention' : undefined,
    ),
    tile(
      'Incomplete data, last 7 days',
      week === undefined || week.evaluations === 0 ? '—' : formatRate(week.incomplete / week.evaluations),
    ),
  );
  const knowledge = o.knowledge;
  return h(
    'div',
    {},
    h('p', { class: 'hint' }, `As of ${formatInstant(o.generatedAt)}.`),
    o.store === null
      ? h('p', { class: 'notice' }, 'Outcome recording is off: no activity figures.')
      : o.store.available
        ? null
        : h(
            'p',
            { class: 'error', role: 'alert' },
            `Outcome store (${o.store.backend}): ${o.store.problem ?? 'unavailable'}.`,
          ),
    knowledge?.failing
      ? h(
          'div',
          { class: 'error', role: 'alert' },
          `The last knowledge reload failed (${formatInstant(knowledge.failing.startedAt)}); generation ${knowledge.generation} is still serving. ${knowledge.failing.problems.slice(0, 3).join(' ')}`,
        )
      : null,
    h('section', { 'aria-labelledby': 'activity-h' }, h('h2', { id: 'activity-h' }, 'Activity'), tiles),
    h(
      'section',
      { 'aria-labelledby': 'services-h' },
      h('h2', { id: 'services-h' }, 'Services and the releases they run'),
      knowledge === null
        ? null
        : h(
            'p',
            { class: 'hint' },
            `Knowledge generation ${knowledge.generation}, loaded ${formatInstant(knowledge.loadedAt)}.`,
          ),
      dataTable(
        o.services.map((s) => ({ s, p: week?.byService.find((x) => x.service === s.id) })),
        [
          {
            label: 'Service',
            value: (r) => r.s.id,
            rowHeader: true,
            render: (r) =>
              h('span', {}, h('strong', {}, r.s.id), h('br'), h('span', { class: 'hint' }, r.s.title)),
          },
          { label: 'Hook', value: (r) => r.s.hook },
          {
            label: 'Active releases',
            value: (r) => r.s.active.map((x) => x.ref).join(' '),
            render: (r) => releaseLinks(r.s.active),
          },
          {
            label: 'Shadow releases',
            value: (r) => r.s.shadow.map((x) => x.ref).join(' '),
            render: (r) => (r.s.shadow.length === 0 ? '—' : releaseLinks(r.s.shadow)),
          },
          { label: 'Calls (7 days)', value: (r) => r.p?.calls ?? 0, numeric: true },
          { label: 'Cards (7 days)', value: (r) => r.p?.cards ?? 0, numeric: true },
          { label: 'Errors (7 days)', value: (r) => r.p?.errors ?? 0, numeric: true },
        ],
        { caption: 'Services', id: 'services', sortable: true },
      ),
    ),
    a === null
      ? null
      : h(
          'section',
          { 'aria-labelledby': 'errors-h' },
          h('h2', { id: 'errors-h' }, 'Rule errors'),
          dataTable(
            a.ruleErrors,
            [
              { label: 'Release', value: (r) => r.release, rowHeader: true, nowrap: true },
              { label: 'Errors (7 days)', value: (r) => r.count, numeric: true },
              { label: 'Latest', value: (r) => r.lastAt, render: (r) => formatInstant(r.lastAt) },
              {
                label: 'Latest error',
                value: (r) => r.message,
                render: (r) => h('code', { class: 'wrap' }, r.message),
              },
            ],
            {
              caption: 'Releases that failed in the last 7 days',
              id: 'rule-errors',
              empty: 'No rule failed in the last 7 days.',
            },
          ),
        ),
    a === null
      ? null
      : h(
          'section',
          { 'aria-labelledby': 'complete-h' },
          h('h2', { id: 'complete-h' }, 'Data completeness'),
          h(
            'p',
            { class: 'hint' },
            'A release is incomplete when data it needs is missing; a missing value is never scored as normal.',
          ),
          dataTable(
            a.completeness,
            [
              { label: 'Release', value: (r) => r.release, rowHeader: true, nowrap: true },
              {
                label: 'Evaluations',
                value: (r) => r.evaluations,
                numeric: true,
                render: (r) => formatCount(r.evaluations),
              },
              {
                label: 'Incomplete',
                value: (r) => r.incomplete,
                numeric: true,
                render: (r) => formatCount(r.incomplete),
              },
              {
                label: 'Incomplete rate',
                value: (r) => r.rate,
                numeric: true,
                render: (r) => formatRate(r.rate),
              },
              {
                label: 'Missing most often',
                value: (r) => r.missing.map((m) => `${m.item} (${m.count})`).join('; '),
              },
            ],
            {
              caption: 'Incomplete data by release, last 7 days',
              id: 'completeness',
              sortable: true,
              empty: 'No evaluations in the last 7 days.',
            },
          ),
          dataTable(
            a.prefetch,
            [
              { label: 'Service', value: (r) => r.service, rowHeader: true },
              { label: 'Prefetch key', value: (r) => r.key },
              { label: 'Supplied by the EHR', value: (r) => r.supplied, numeric: true },
              { label: 'Fetched by loopcds', value: (r) => r.fetched, numeric: true },
              { label: 'Missing', value: (r) => r.missing, numeric: true },
            ],
            {
              caption: 'Prefetch keys, last 7 days',
              id: 'prefetch',
              sortable: true,
              empty: 'No calls in the last 7 days.',
            },
          ),
        ),
    h(
      'section',
      { 'aria-labelledby': 'ehr-h' },
      h('h2', { id: 'ehr-h' }, 'EHR connections'),
      dataTable(
        o.ehr.circuits,
        [
          { label: 'FHIR server', value: (r) => r.origin, rowHeader: true },
          {
            label: 'Circuit',
            value: (r) => r.state,
            render: (r) => h('span', { class: `state state-${r.state}` }, circuitText(r.state)),
          },
        ],
        {
          caption: 'Circuit breaker per FHIR server (this instance)',
          id: 'circuits',
          empty: 'No FHIR server has been called since this instance started.',
        },
      ),
      a === null
        ? null
        : dataTable(
            a.fallback,
            [
              { label: 'Site', value: (r) => r.site, rowHeader: true },
              { label: 'Calls that fetched data', value: (r) => r.calls, numeric: true },
              {
                label: 'Median',
                value: (r) => r.medianMs,
                numeric: true,
                render: (r) => formatMs(r.medianMs),
              },
              {
                label: '95th percentile',
                value: (r) => r.p95Ms,
                numeric: true,
                render: (r) => formatMs(r.p95Ms),
              },
              { label: 'Longest', value: (r) => r.maxMs, numeric: true, render: (r) => formatMs(r.maxMs) },
            ],
            {
              caption: 'Fallback fetch times by site, last 7 days',
              id: 'fallback',
              empty: 'No call needed to fetch data in the last 7 days.',
            },
          ),
    ),
    a?.sample.truncated === true
      ? h(
          'p',
          { class: 'hint' },
          `Counted from the newest ${formatCount(a.sample.limit)} calls; older calls in the period are not included.`,
        )
      : null,
  );
}

function tile(label: string, value: string, note?: string): HTMLElement {
  return h(
    'li',
    { class: 'tile' },
    h('span', { class: 'tile-label' }, label),
    h('span', { class: 'tile-value' }, note === 'at least' ? `≥ ${value}` : value),
    note !== undefined && note !== 'at least' ? h('span', { class: 'tile-note' }, note) : null,
  );
}

function releaseLinks(list: ReadonlyArray<{ ref: string; source: string }>): HTMLElement {
  return h(
    'ul',
    { class: 'inline-list' },
    list.map((x) =>
      h(
        'li',
        {},
        h('a', { href: `/console/rules/${encodeURIComponent(x.ref)}` }, x.ref),
        x.source === 'working-copy' ? h('span', { class: 'badge' }, 'working copy') : null,
      ),
    ),
  );
}

function circuitText(state: string): string {
  return state === 'closed'
    ? 'Closed (healthy)'
    : state === 'open'
      ? 'Open (failing fast)'
      : 'Half-open (trying again)';
}
