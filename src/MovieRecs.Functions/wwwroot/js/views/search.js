// Search as you type (every keystroke, debounced, cancels the previous request), paging, and browsing by genre.
import { api } from '../api.js';
import { h, movieGrid, pager, problemMessage } from '../ui.js';

const PAGE_SIZE = 12;

export async function searchView(params, genre) {
  const state = { q: params.get('q') ?? '', page: Number(params.get('page')) || 1 };
  const results = h('section.results', { 'aria-live': 'polite', 'aria-label': 'Results' });
  const input = h('input', { type: 'search', id: 'search', value: state.q, placeholder: 'Star Wars, totoro, godfaher…', autocomplete: 'off', spellcheck: false });
  let controller;
  let timer;

  async function load() {
    controller?.abort();
    controller = new AbortController();
    const query = { limit: PAGE_SIZE, page: state.page };
    if (state.q.trim()) query.search = state.q.trim();
    if (genre) query.genre = genre;
    if (!query.search) query.sort = 'popularity';
    // Keep the address in step (a reload or a shared link shows the same page) without adding history entries.
    const hash = `#/${genre ? `genre/${encodeURIComponent(genre)}` : 'search'}?${new URLSearchParams({ q: state.q, page: state.page })}`;
    history.replaceState(null, '', hash);
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await api.movies(query, controller.signal);
      results.replaceChildren(
        movieGrid(page.movies),
        page.total > PAGE_SIZE ? pager(page.page, page.limit, page.total, go) : h('p.muted', {}, `${page.total} movies`));
    } catch (e) {
      if (e.name !== 'AbortError') results.replaceChildren(problemMessage(e));
    } finally {
      results.removeAttribute('aria-busy');
    }
  }

  function go(page) {
    state.page = page;
    load().then(() => results.querySelector('.pager button:not([disabled])')?.focus());
  }

  input.addEventListener('input', () => {
    state.q = input.value;
    state.page = 1;
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });

  const genres = h('nav.chips', { 'aria-label': 'Genres' });
  api.genres().then(list => genres.replaceChildren(
    ...list.genres.map(g => h('a.chip', { href: `#/genre/${encodeURIComponent(g.name)}`, 'aria-current': g.name === genre ? 'page' : null }, `${g.name} `, h('span.muted', {}, g.movie_count)))),
  e => genres.replaceChildren(problemMessage(e)));

  load();
  return h('div', {},
    h('h1', { tabIndex: -1 }, genre ? `Genre: ${genre}` : 'Find a movie'),
    h('label', { htmlFor: 'search' }, genre ? `Search within ${genre}` : 'Search titles and genres as you type'),
    input,
    genres,
    results);
}
