import { api, useSession, whenSignedOut, type Session } from './api.js';
import { destroyCharts } from './chart-figure.js';
import { h, replaceChildren } from './element.js';
import { learningPage } from './pages/learning-page.js';
import { overviewPage } from './pages/overview-page.js';
import { populationPage } from './pages/population-page.js';
import { ruleDetailPage } from './pages/rule-detail-page.js';
import { rulesDiffPage } from './pages/rules-diff-page.js';
import { rulesPage } from './pages/rules-page.js';
import { signInPage } from './pages/sign-in-page.js';
import { tryItPage } from './pages/try-it-page.js';
import type { Page, PageContext } from './page.js';

const BASE = '/console';

/** The pages, by path under /console, and who may open them. */
const ROUTES: Array<{
  pattern: RegExp;
  page: (ctx: PageContext, m: RegExpExecArray) => Page;
  nav?: string;
  permission: string;
}> = [
  { pattern: /^\/?$/, page: overviewPage, nav: 'Overview', permission: 'overview:read' },
  { pattern: /^\/rules\/?$/, page: rulesPage, nav: 'Rules', permission: 'rules:read' },
  { pattern: /^\/rules\/diff$/, page: rulesDiffPage, permission: 'rules:read' },
  { pattern: /^\/rules\/([^/]+)$/, page: ruleDetailPage, permission: 'rules:read' },
  { pattern: /^\/try$/, page: tryItPage, nav: 'Try it', permission: 'rules:try' },
  { pattern: /^\/learning$/, page: learningPage, nav: 'Learning', permission: 'learning:read' },
  {
    pattern: /^\/population(?:\/runs\/([^/]+))?$/,
    page: populationPage,
    nav: 'Population',
    permission: 'population:read',
  },
];

const NAV_PATHS: Record<string, string> = {
  Overview: '/',
  Rules: '/rules',
  'Try it': '/try',
  Learning: '/learning',
  Population: '/population',
};

const root = document.getElementById('app') as HTMLElement;
let session: Session | null = null;

async function start(): Promise<void> {
  whenSignedOut(() => {
    session = null;
    useSession(null);
    void render();
  });
  try {
    session = await api<Session>('session');
  } catch {
    session = null;
  }
  useSession(session);
  // Links inside the app move without a page load; the browser's back and forward work.
  document.addEventListener('click', (event) => {
    const a = (event.target as Element | null)?.closest?.('a');
    if (
      a === null ||
      a === undefined ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey
    )
      return;
    const href = a.getAttribute('href');
    if (href === null || !href.startsWith(`${BASE}`) || a.hasAttribute('download') || a.target === '_blank')
      return;
    event.preventDefault();
    navigate(href);
  });
  window.addEventListener('popstate', () => void render());
  await render();
}

/** Goes to a console path (pushing it on the history). */
export function navigate(href: string): void {
  history.pushState(null, '', href);
  void render();
}

async function render(): Promise<void> {
  destroyCharts();
  if (session === null) {
    document.title = 'Sign in · loopcds console';
    replaceChildren(
      root,
      signInPage(async (s) => {
        session = s;
        useSession(s);
        await render();
      }),
    );
    return;
  }
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  const route = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m !== null);
  const main = h('main', { id: 'main', tabindex: -1 });
  replaceChildren(
    root,
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to main content'),
    header(session, path),
    main,
  );
  const ctx: PageContext = { session, navigate, params: new URLSearchParams(location.search) };
  let page: Page;
  if (route === undefined || route.m === null)
    page = { title: 'Page not found', body: h('p', {}, 'There is no such page in the console.') };
  else if (!session.permissions.includes(route.r.permission))
    page = {
      title: 'Not available for your role',
      body: h(
        'p',
        {},
        `Your role (${session.role}) cannot open this page. docs/console.md lists what each role can see.`,
      ),
    };
  else page = route.r.page(ctx, route.m);
  document.title = `${page.title} · loopcds console`;
  const h1 = h('h1', { tabindex: -1 }, page.title);
  replaceChildren(main, h1, page.body);
  // Focus moves to the new page's heading, so screen-reader and keyboard users know the page changed.
  if (document.activeElement !== null && document.activeElement !== document.body) h1.focus();
  await page.ready?.catch(() => undefined);
}

function header(s: Session, path: string): HTMLElement {
  const links = ROUTES.filter((r) => r.nav !== undefined && s.permissions.includes(r.permission)).map((r) => {
    const target = NAV_PATHS[r.nav ?? ''] ?? '/';
    const current = target === '/' ? path === '/' || path === '' : path.startsWith(target);
    return h(
      'li',
      {},
      h(
        'a',
        { href: `${BASE}${target === '/' ? '/' : target}`, 'aria-current': current ? 'page' : undefined },
        r.nav ?? '',
      ),
    );
  });
  const signOut = h(
    'button',
    {
      type: 'button',
      class: 'link-button',
      onclick: () => {
        void api('session', { method: 'DELETE' })
          .catch(() => undefined)
          .then(async () => {
            session = null;
            useSession(null);
            history.pushState(null, '', `${BASE}/`);
            await render();
          });
      },
    },
    'Sign out',
  );
  return h(
    'header',
    { class: 'site-header' },
    h(
      'div',
      { class: 'brand' },
      h('a', { href: `${BASE}/` }, 'loopcds'),
      h('span', { class: 'brand-sub' }, 'console'),
    ),
    h('nav', { 'aria-label': 'Console' }, h('ul', {}, links)),
    h('div', { class: 'user' }, h('span', {}, `${s.username} (${s.role})`), signOut),
  );
}

void start();
