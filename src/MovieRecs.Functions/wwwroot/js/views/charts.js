// Trending (recent rating activity, time-decayed) and the three charts kept from the exact aggregates.
import { api } from '../api.js';
import { h, movieCard, movieGrid, problemMessage } from '../ui.js';

const CHARTS = [
  ['popular', 'Popular', 'Average rating and watch count together, at least 5 ratings'],
  ['top-rated', 'Top rated', 'Bayesian average of movies rated 3.0 or more'],
  ['most-watched', 'Most watched', 'Rated or marked watched'],
];

function section(id, title, description, load, controls) {
  const body = h('div', {}, h('p.muted', {}, 'Loading…'));
  const refresh = () => load().then(content => body.replaceChildren(content), e => body.replaceChildren(problemMessage(e)));
  refresh();
  return [h('section.chart', { 'aria-labelledby': `${id}-heading` },
    h('div.section-head', {}, h('h2', { id: `${id}-heading` }, title), controls ?? ''),
    h('p.muted', {}, description),
    body), refresh];
}

export async function chartsView() {
  let period = 'week';
  const windows = h('select', { 'aria-label': 'Trending window' }, ['day', 'week', 'month'].map(w => h('option', { value: w, selected: w === period }, `this ${w}`)));
  const [trending, reloadTrending] = section('trending', 'Trending', 'Rating activity in the window, recent ratings weigh more',
    () => api.trending(period).then(r => movieGrid(r.movies, m => movieCard(m, h('span.muted', {}, `${m.ratings_in_window} ratings this ${period}`))))
    , windows);
  windows.addEventListener('change', () => { period = windows.value; reloadTrending(); });
  return h('div', {},
    h('h1', { tabIndex: -1 }, 'Charts'),
    trending,
    CHARTS.map(([name, title, description]) => section(name, title, description, () => api.chart(name).then(r => movieGrid(r.movies)))[0]));
}
