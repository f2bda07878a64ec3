// "Recommended for you": the hybrid list (model, your genres, popularity) with a match and a reason per movie. The API
// folds your latest ratings into the served model at request time, so the list moves as you rate, without retraining.
import { api } from '../api.js';
import { session } from '../session.js';
import { h, movieCard, movieGrid, percent } from '../ui.js';

export async function forYouView() {
  const heading = h('h1', { tabIndex: -1 }, 'Recommended for you');
  if (!session.userId)
    return h('div', {}, heading, h('p', {}, h('a', { href: '#/account' }, 'Create a user or sign in'), ', rate a few movies, and come back.'));

  const [result, ratings] = await Promise.all([api.recommendations(session.userId), api.userRatings(session.userId)]);
  // The list carries titles; the cards also show genres and posters, so each movie is read once (in parallel).
  const movies = await Promise.all(result.recommendations.map(r => api.movie(r.movie_id)));
  return h('div', {},
    heading,
    h('p.muted', {}, `${ratings.total} rating${ratings.total === 1 ? '' : 's'} so far · model ${result.model_version ?? 'not trained yet: genres and popularity only'}`),
    ratings.total < 3 ? h('p', {}, 'Rate a few movies (', h('a', { href: '#/search' }, 'find them here'), ') and this list follows your taste.') : '',
    movieGrid(result.recommendations.map((r, i) => ({ ...movies[i], match: r.score, reason: r.reason })),
      m => movieCard(m, h('span.match', {}, `${percent(m.match)} match`), h('span.reason', {}, m.reason))));
}
