import { api, ApiError, query } from '../api.js';
import { errorMessage, fill } from '../async-region.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import { formatCount, formatInstant, todayIso } from '../format.js';
import type { Page, PageContext } from '../page.js';
import type { RunReport, RunStatus } from '../population-types.js';
import { practiceView } from './population-practice-view.js';

/** Population searches: start a run, watch it, then rates against peers, trends and action lists per practice. */
export function populationPage(ctx: PageContext, m: RegExpExecArray): Page {
  const runId = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  const body = h('div', { class: 'page' });
  const ready = runId === undefined ? fill(body, () => runsView(ctx)) : fill(body, () => runView(ctx, runId));
  return { title: runId === undefined ? 'Population searches' : 'Population search', body, ready };
}

const runPath = (id: string) => `population/runs/${encodeURIComponent(id)}`;

async function runsView(ctx: PageContext): Promise<HTMLElement> {
  let runs: RunStatus[];
  try {
    runs = (await api<{ runs: RunStatus[] }>('population/runs')).runs;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      return h('p', { class: 'notice' }, 'The population search API is not available on this service.');
    throw error;
  }
  return h(
    'div',
    {},
    ctx.session.permissions.includes('population:run')
      ? startForm(ctx)
      : h('p', { class: 'hint' }, 'Pharmacists and administrators can start a search.'),
    dataTable(
      runs,
      [
        {
          label: 'Started',
          value: (r) => r.createdAt,
          rowHeader: true,
          render: (r) =>
            h(
              'a',
              { href: `/console/population/runs/${encodeURIComponent(r.id)}` },
              formatInstant(r.createdAt),
            ),
        },
        { label: 'As of', value: (r) => r.asOf, nowrap: true },
        { label: 'Source', value: (r) => r.source },
        {
          label: 'Indicators',
          value: (r) => r.releases.map((x) => x.key).join(' '),
          render: (r) => releasesCell(r.releases),
        },
        {
          label: 'Status',
          value: (r) => r.status,
          render: (r) => h('span', { class: `badge run-${r.status}` }, r.status),
        },
        {
          label: 'Patients',
          value: (r) => r.patients,
          numeric: true,
          render: (r) => formatCount(r.patients),
        },
      ],
      { caption: 'Searches', id: 'runs', sortable: true, empty: 'No search has run yet.' },
    ),
  );
}

/** A run's indicators: a few named in full; more (a whole programme) counted, the list a click away. */
function releasesCell(releases: RunStatus['releases']): HTMLElement | string {
  const keys = releases.map((r) => r.key);
  if (keys.length <= 3) return keys.join(' ');
  return h(
    'details',
    {},
    h('summary', {}, `${keys.length} indicators`),
    h(
      'ul',
      { class: 'cell-list' },
      keys.map((k) => h('li', {}, k)),
    ),
  );
}

function startForm(ctx: PageContext): HTMLElement {
  const source = h('input', {
    id: 'run-source',
    name: 'source',
    required: true,
    'aria-describedby': 'run-hint',
  });
  const artefacts = h('input', {
    id: 'run-artefacts',
    name: 'artefacts',
    required: true,
    value: 'pincer',
    'aria-describedby': 'run-hint',
  });
  const asOf = h('input', { id: 'run-as-of', name: 'asOf', type: 'date', required: true, value: todayIso() });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Start the search');
  const form = h(
    'form',
    { class: 'inline-form' },
    h('div', { class: 'field wide' }, h('label', { for: 'run-source' }, 'Source'), source),
    h('div', { class: 'field' }, h('label', { for: 'run-artefacts' }, 'Indicators'), artefacts),
    h('div', { class: 'field' }, h('label', { for: 'run-as-of' }, 'As of'), asOf),
    submit,
    h(
      'p',
      { class: 'hint form-hint', id: 'run-hint' },
      'Source: a Bulk Data NDJSON folder on the server, or a FHIR server URL. Indicators: artefact ids, releases (pincer-a@1.0.0) or families (pincer), comma-separated.',
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    void api<{ run: RunStatus }>('population/runs', {
      method: 'POST',
      body: { source: source.value.trim(), artefacts: artefacts.value.trim(), asOf: asOf.value },
    })
      .then(({ run }) => ctx.navigate(`/console/population/runs/${encodeURIComponent(run.id)}`))
      .catch((error: unknown) => replaceChildren(status, errorMessage(error)))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h(
    'section',
    { 'aria-labelledby': 'start-h' },
    h('h2', { id: 'start-h' }, 'Start a search'),
    form,
    status,
  );
}

async function runView(ctx: PageContext, runId: string): Promise<HTMLElement> {
  const progressRegion = h('div', { 'aria-live': 'polite' });
  const results = h('div', {});
  const container = h('div', {}, progressRegion, results);
  const first = (await api<{ run: RunStatus }>(runPath(runId))).run;
  replaceChildren(progressRegion, progressView(first, undefined));
  void watch(ctx, first, container, progressRegion, results).catch((error: unknown) =>
    replaceChildren(results, errorMessage(error)),
  );
  return container;
}

/** Polls the run once a second until it ends (or the page is left), then shows its report. */
async function watch(
  ctx: PageContext,
  initial: RunStatus,
  container: HTMLElement,
  progressRegion: HTMLElement,
  results: HTMLElement,
): Promise<void> {
  let run = initial;
  let previous = { at: performance.now(), done: run.progress?.patientsDone ?? 0 };
  while (run.status === 'running') {
    await new Promise((r) => setTimeout(r, 1000));
    if (!container.isConnected) return;
    run = (await api<{ run: RunStatus }>(runPath(run.id))).run;
    const now = { at: performance.now(), done: run.progress?.patientsDone ?? 0 };
    replaceChildren(
      progressRegion,
      progressView(run, ((now.done - previous.done) * 1000) / Math.max(1, now.at - previous.at)),
    );
    previous = now;
  }
  replaceChildren(
    progressRegion,
    h(
      'p',
      { class: 'run-status' },
      `Search of ${run.source} as of ${run.asOf}: ${run.status}, ${formatCount(run.patients)} patients${run.finishedAt === null ? '' : `, finished ${formatInstant(run.finishedAt)}`}.`,
    ),
  );
  if (run.status === 'failed') {
    replaceChildren(results, h('div', { class: 'error', role: 'alert' }, run.error ?? 'The search failed.'));
    return;
  }
  const report = await api<RunReport>(`${runPath(run.id)}/report`);
  const chosen = ctx.params.get('practice') ?? report.practices[0]?.id ?? '';
  const select = h(
    'select',
    { id: 'practice' },
    report.practices.map((p) =>
      h('option', { value: p.id, selected: p.id === chosen }, `${p.name} (${p.id})`),
    ),
  );
  const practiceRegion = h('div', {});
  select.addEventListener('change', () =>
    ctx.navigate(
      `/console/population/runs/${encodeURIComponent(run.id)}${query({ practice: select.value })}`,
    ),
  );
  replaceChildren(
    results,
    h('div', { class: 'field inline' }, h('label', { for: 'practice' }, 'Practice'), select),
    practiceRegion,
  );
  if (report.practices.some((p) => p.id === chosen))
    await fill(practiceRegion, () => practiceView(ctx, report, chosen));
}

/** Patients done of the total, the rate since the last poll, and the time left at that rate. */
function progressView(run: RunStatus, perSecond: number | undefined): HTMLElement {
  const p = run.progress ?? {
    phase: run.status,
    patientsDone: run.patients,
    patientsTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
  };
  const total = Math.max(p.patientsTotal, p.patientsDone, 1);
  const left =
    perSecond !== undefined && perSecond > 0 && p.patientsTotal > 0
      ? (p.patientsTotal - p.patientsDone) / perSecond
      : undefined;
  const text =
    `${formatCount(p.patientsDone)} of ${p.patientsTotal > 0 ? formatCount(p.patientsTotal) : 'unknown'} patients (${p.phase})` +
    (perSecond === undefined ? '' : `, ${formatCount(Math.round(perSecond))} patients/s`) +
    (left === undefined ? '' : `, about ${Math.ceil(left)} s left`);
  return h(
    'div',
    { class: 'progress-block' },
    h('label', { for: 'run-progress' }, 'Progress'),
    h('progress', { id: 'run-progress', max: total, value: p.patientsDone }),
    h('p', {}, text),
  );
}
