// The console's page script: loads the session (its CSRF token), then draws the page for the
// current path, and moves between pages without reloading.
import { api, setCsrf } from './api.js';
import { disposeCharts } from './charts.js';
import { h } from './dom.js';
import { configPage } from './config.js';
import { keysPage } from './keys.js';
import { overviewPage } from './overview.js';
import { providersPage } from './providers.js';
import { requestPage, requestsPage } from './requests.js';

const main = document.getElementById('main');
let current = { gone: true, timer: undefined };

const ROUTES = [
  [/^\/console\/?$/, 'overview', overviewPage],
  [/^\/console\/keys$/, 'keys', keysPage],
  [/^\/console\/requests$/, 'requests', requestsPage],
  [/^\/console\/requests\/(\d+-\d+)$/, 'requests', requestPage],
  [/^\/console\/providers$/, 'providers', providersPage],
  [/^\/console\/config$/, 'config', configPage],
];

function fail(error) {
  if (error?.status === 401) return;
  main.replaceChildren(
    h(
      'div',
      { class: 'card empty' },
      h('p', {}, 'This page could not be loaded.'),
      h('p', { class: 'muted' }, error?.message ?? String(error)),
    ),
  );
}

async function show(path) {
  clearInterval(current.timer);
  current.gone = true;
  disposeCharts();
  const route = ROUTES.find(([re]) => re.test(path)) ?? ROUTES[0];
  const [re, name, page] = route;
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('active', a.dataset.page === name);
  const ctx = {
    gone: () => ctx.state.gone,
    state: { gone: false, timer: undefined },
    navigate,
    fail,
    every(msInterval, fn) {
      clearInterval(ctx.state.timer);
      if (msInterval > 0) ctx.state.timer = setInterval(() => fn().catch(fail), msInterval);
    },
  };
  current = ctx.state;
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · ai-proxy console`;
  try {
    await page(main, ctx, ...(re.exec(path)?.slice(1) ?? []));
  } catch (error) {
    fail(error);
  }
}

function navigate(path) {
  history.pushState(null, '', path);
  void show(location.pathname);
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

document.addEventListener('click', (event) => {
  const a = event.target.closest?.('a[href^="/console/"]');
  if (!a || event.metaKey || event.ctrlKey || event.shiftKey || a.target) return;
  event.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => void show(location.pathname));

document.getElementById('sign-out').addEventListener('click', async () => {
  await api('sign-out', { method: 'POST', body: {} }).catch(() => {});
  location.assign('/console/sign-in');
});

const session = await api('session');
setCsrf(session.csrf);
document.getElementById('session-note').textContent =
  `Signed in with ${session.sign_in === 'password' ? 'the console password' : 'AUTH_TOKEN'}`;
void show(location.pathname);
