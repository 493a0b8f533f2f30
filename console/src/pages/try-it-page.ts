import { api } from '../api.js';
import { fill } from '../async-region.js';
import { cardView, type CdsCard } from '../card-view.js';
import { dataTable } from '../data-table.js';
import { h, replaceChildren } from '../element.js';
import { todayIso } from '../format.js';
import type { Page } from '../page.js';

interface Fixture {
  id: string;
  title: string;
  description: string;
  service: string;
  date: string;
  patient: Record<string, unknown>;
  resources: Array<Record<string, unknown>>;
  draftOrders: Array<Record<string, unknown>>;
}
interface Answer {
  now: string;
  request: unknown;
  response: {
    status: number;
    body: {
      cards?: CdsCard[];
      extension?: unknown;
      issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
    };
  };
  evaluations: Array<{
    release: string;
    role: string;
    result: string;
    missingData: string[];
    error?: { issue: Array<{ diagnostics?: string }> };
    evaluationMs: number;
    expressions: Array<{ name: string; kind: string; count?: number; text: string; truncated: boolean }>;
  }>;
  notes: string[];
}

/** "Try it": a service, a fixture patient or pasted FHIR data, a date; the cards as the EHR gets them, and every expression. */
export function tryItPage(): Page {
  const body = h('div', { class: 'page' });
  const ready = fill(body, async () => {
    const { fixtures, services } = await api<{
      fixtures: Fixture[];
      services: Array<{ id: string; hook: string; title: string }>;
    }>('try/fixtures');
    return form(fixtures, services);
  });
  return { title: 'Try it', body, ready };
}

function form(
  fixtures: Fixture[],
  services: Array<{ id: string; hook: string; title: string }>,
): HTMLElement {
  const service = h(
    'select',
    { id: 'try-service', name: 'service' },
    services.map((s) => h('option', { value: s.id }, `${s.id} (${s.hook})`)),
  );
  const fixture = h(
    'select',
    { id: 'try-fixture', name: 'fixture' },
    fixtures.map((f) => h('option', { value: f.id }, f.title)),
  );
  const fixtureNote = h('p', { class: 'hint', id: 'try-fixture-note' });
  const useFixture = h('input', {
    type: 'radio',
    name: 'data-source',
    id: 'source-fixture',
    value: 'fixture',
    checked: true,
  });
  const usePaste = h('input', { type: 'radio', name: 'data-source', id: 'source-paste', value: 'paste' });
  const paste = h('textarea', {
    id: 'try-data',
    rows: 10,
    spellcheck: 'false',
    'aria-describedby': 'try-data-hint',
  });
  const date = h('input', { id: 'try-date', type: 'date', required: true, value: todayIso() });
  const time = h('input', { id: 'try-time', type: 'time', value: '12:00' });
  const results = h('div', { class: 'try-results', 'aria-live': 'polite' });
  const pickFixture = () => {
    const f = fixtures.find((x) => x.id === fixture.value);
    if (f === undefined) return;
    fixtureNote.textContent = `${f.description} Record: ${f.resources.length} resource${f.resources.length === 1 ? '' : 's'}${f.draftOrders.length > 0 ? `, ${f.draftOrders.length} order(s) being drafted` : ''}.`;
    if (services.some((s) => s.id === f.service)) service.value = f.service;
    date.value = f.date;
  };
  const sync = () => {
    fixture.disabled = !useFixture.checked;
    paste.disabled = useFixture.checked;
  };
  fixture.addEventListener('change', pickFixture);
  useFixture.addEventListener('change', sync);
  usePaste.addEventListener('change', sync);
  pickFixture();
  sync();
  const run = h('button', { type: 'submit' }, 'Run the service');
  const el = h(
    'form',
    { class: 'try-form' },
    h('div', { class: 'field' }, h('label', { for: 'try-service' }, 'Service'), service),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Patient'),
      h(
        'div',
        { class: 'radio' },
        useFixture,
        h('label', { for: 'source-fixture' }, 'A fixture patient (synthetic)'),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'try-fixture' }, 'Fixture patient'),
        fixture,
        fixtureNote,
      ),
      h('div', { class: 'radio' }, usePaste, h('label', { for: 'source-paste' }, 'Paste FHIR data')),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'try-data' }, 'FHIR Bundle or array of resources'),
        h(
          'p',
          { class: 'hint', id: 'try-data-hint' },
          'One Patient and their record. MedicationRequests (or other requests) with status "draft" are the orders being signed. Nothing is stored or logged.',
        ),
        paste,
      ),
    ),
    h(
      'div',
      { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'try-date' }, 'Date'), date),
      h('div', { class: 'field' }, h('label', { for: 'try-time' }, 'Time (local)'), time),
    ),
    run,
  );
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    let data: unknown;
    if (!useFixture.checked) {
      try {
        data = JSON.parse(paste.value);
      } catch {
        replaceChildren(results, h('div', { class: 'error', role: 'alert' }, 'The pasted data is not JSON.'));
        paste.focus();
        return;
      }
    }
    run.disabled = true;
    void fill(results, async () => {
      const answer = await api<Answer>('try', {
        method: 'POST',
        body: {
          service: service.value,
          date: date.value,
          ...(time.value === '' ? {} : { time: time.value }),
          ...(useFixture.checked ? { fixture: fixture.value } : { data }),
        },
      });
      return renderAnswer(answer);
    }).finally(() => {
      run.disabled = false;
    });
  });
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'hint' },
      'Runs the service through the same hook path as an EHR call, at the date you choose. The call is not recorded in the outcome store.',
    ),
    el,
    results,
  );
}

function renderAnswer(a: Answer): HTMLElement {
  const cards = a.response.body.cards ?? [];
  const status = a.response.status;
  const cardsColumn = h(
    'section',
    { class: 'ehr-view', 'aria-labelledby': 'cards-h' },
    h(
      'h2',
      { id: 'cards-h' },
      `What the EHR receives: HTTP ${status}, ${cards.length} card${cards.length === 1 ? '' : 's'}`,
    ),
    h('p', { class: 'hint' }, `Evaluated at ${a.now}.`),
    status !== 200
      ? h(
          'div',
          { class: 'error' },
          (a.response.body.issue ?? [])
            .map((i) => [i.details?.text, i.diagnostics].filter(Boolean).join(' '))
            .join(' '),
        )
      : cards.length === 0
        ? h('p', { class: 'notice' }, 'No card: the EHR shows nothing.')
        : h('div', { class: 'cards' }, cards.map(cardView)),
    a.notes.length === 0
      ? null
      : h(
          'details',
          {},
          h('summary', {}, 'How the EHR was played'),
          h(
            'ul',
            {},
            a.notes.map((n) => h('li', {}, n)),
          ),
        ),
    h(
      'details',
      {},
      h('summary', {}, 'The hook request and response'),
      h(
        'pre',
        { class: 'json scroll', tabindex: 0 },
        JSON.stringify({ request: a.request, response: a.response.body }, null, 2),
      ),
    ),
  );
  const fired = a.evaluations.filter((e) => e.result !== 'not-fired');
  const expressions = h(
    'section',
    { class: 'expressions', 'aria-labelledby': 'expr-h' },
    h('h2', { id: 'expr-h' }, 'Evaluated expressions'),
    h(
      'p',
      { class: 'hint' },
      `${a.evaluations.length} releases evaluated in full; ${fired.length} did not return "not fired".`,
    ),
    dataTable(
      a.evaluations,
      [
        { label: 'Release', value: (e) => e.release, rowHeader: true, nowrap: true },
        { label: 'Role', value: (e) => e.role },
        {
          label: 'Result',
          value: (e) => e.result,
          render: (e) => h('span', { class: `badge result-${e.result}` }, e.result),
        },
        { label: 'Missing data', value: (e) => e.missingData.join('; ') },
        { label: 'Time', value: (e) => e.evaluationMs, numeric: true, render: (e) => `${e.evaluationMs} ms` },
      ],
      { caption: 'Result of each release', id: 'try-results', sortable: true },
    ),
    a.evaluations.map((e) =>
      h(
        'details',
        {
          class: 'release-expressions',
          open: e.result === 'fired' || e.result === 'error' || e.result === 'incomplete',
        },
        h('summary', {}, `${e.release}: ${e.result}`),
        e.error === undefined
          ? null
          : h('p', { class: 'error' }, e.error.issue.map((i) => i.diagnostics ?? '').join(' ')),
        dataTable(
          e.expressions,
          [
            { label: 'Expression', value: (x) => x.name, rowHeader: true },
            {
              label: 'Value',
              value: (x) => x.text,
              render: (x) =>
                x.kind === 'object' || (x.kind === 'list' && (x.count ?? 0) > 0)
                  ? h(
                      'details',
                      {},
                      h('summary', {}, x.kind === 'list' ? `list of ${x.count ?? 0}` : 'object'),
                      h('pre', { class: 'json' }, x.text),
                    )
                  : h('code', {}, x.text),
            },
          ],
          { caption: `Expressions of ${e.release}`, id: `expressions-${e.release}` },
        ),
      ),
    ),
  );
  return h('div', { class: 'try-columns' }, cardsColumn, expressions);
}
