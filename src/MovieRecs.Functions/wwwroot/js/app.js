// The page's entry point: a hash router (#/movie/12, #/search?q=...) that renders one view at a time into <main>.
import { apiBase } from './api.js';
import { session } from './session.js';
import { h, problemMessage } from './ui.js';
import { searchView } from './views/search.js';
import { movieView } from './views/movie.js';
import { chartsView } from './views/charts.js';
import { forYouView } from './views/for-you.js';
import { accountView } from './views/account.js';
import { adminView } from './views/admin.js';

const routes = [
  [/^\/?$/, searchView],
  [/^\/search$/, searchView],
  [/^\/genre\/(.+)$/, searchView],
  [/^\/movie\/(\d+)$/, movieView],
  [/^\/charts$/, chartsView],
  [/^\/for-you$/, forYouView],
  [/^\/account$/, accountView],
  [/^\/admin$/, adminView],
];

const main = document.getElementById('main');
let currentView = 0;

async function render(event) {
  const [path, query = ''] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  const match = routes.map(([pattern, view]) => [path.match(pattern), view]).find(([m]) => m);
  const view = ++currentView;
  for (const link of document.querySelectorAll('header nav a'))
    link.toggleAttribute('aria-current', link.getAttribute('href') === `#${path || '/'}`);
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  try {
    if (!match) throw new Error(`No page at #${path}.`);
    const [m, render] = match;
    const content = await render(params, ...m.slice(1).map(decodeURIComponent));
    if (view !== currentView) return; // the user moved on while this view loaded
    main.replaceChildren(content);
  } catch (e) {
    if (view !== currentView) return;
    main.replaceChildren(h('h1', {}, 'This page could not be shown'), problemMessage(e));
  } finally {
    if (view === currentView) main.removeAttribute('aria-busy');
  }
  // After a navigation, keyboard and screen-reader users land on the new view's heading (on first load: the page top).
  if (event && view === currentView && document.activeElement?.closest('main') === null) main.querySelector('h1')?.focus();
}

function showSession() {
  document.getElementById('account-link').textContent = session.userId ? `${session.name ?? 'User'} #${session.userId}` : 'Sign in';
}

document.getElementById('api-base').textContent = apiBase;
document.getElementById('api-docs').href = `${apiBase}/docs/`;
document.addEventListener('session-changed', showSession);
window.addEventListener('hashchange', render);
showSession();
render();
