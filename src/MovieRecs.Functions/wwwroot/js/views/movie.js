// One movie: poster, details, its exact average rating with the count, your stars, and similar movies with reasons.
import { api } from '../api.js';
import { session } from '../session.js';
import { formatRating, h, movieCard, movieGrid, notice, poster, problemMessage, starRating } from '../ui.js';

export async function movieView(_params, id) {
  const [movie, average] = await Promise.all([api.movie(id), api.averageRating(id)]);
  const averageLine = h('p.average', {}, averageText(average));
  const watchedLine = h('p.muted', {}, watchedText(movie));
  const rating = h('div.rate');
  const similar = h('section', { 'aria-labelledby': 'similar-heading' }, h('h2', { id: 'similar-heading' }, 'Similar movies'), h('p.muted', {}, 'Loading…'));

  if (session.userId) {
    const yours = await api.rating(session.userId, movie.id).then(r => r.rating, () => null);   // 404: not rated yet
    const messages = h('div');
    rating.append(starRating(yours, async value => {
      messages.replaceChildren(h('p.muted', {}, 'Saving…'));
      try {
        await api.rate(session.userId, movie.id, value);
        messages.replaceChildren(notice(`Rated ${value} ★. Your recommendations already take it into account.`));
        const [average, fresh] = await Promise.all([api.averageRating(id), api.movie(id)]);
        averageLine.textContent = averageText(average);
        watchedLine.textContent = watchedText(fresh);
      } catch (e) {
        messages.replaceChildren(problemMessage(e));
      }
    }), messages);
  } else {
    rating.append(h('p', {}, h('a', { href: '#/account' }, 'Create a user or sign in'), ' to rate this movie.'));
  }

  api.similar(id).then(result => similar.replaceChildren(similar.firstChild,
    result.note ? h('p.muted', {}, result.note) : '',
    movieGrid(result.recommendations, r => movieCard({ id: r.movie_id, title: r.title }, h('span.reason', {}, r.reason)))),
  e => similar.replaceChildren(similar.firstChild, problemMessage(e)));

  return h('article.movie', {},
    h('div.movie-head', {},
      poster(movie, `Poster of ${movie.title}`),
      h('div', {},
        h('h1', { tabIndex: -1 }, movie.title),
        h('p', {}, movie.genres.map(g => h('a.chip', { href: `#/genre/${encodeURIComponent(g)}` }, g))),
        averageLine,
        watchedLine,
        movie.tags?.length ? h('p.muted', {}, `Tags: ${movie.tags.join(', ')}`) : '',
        movie.imdb_id ? h('p', {}, h('a', { href: `https://www.imdb.com/title/${movie.imdb_id.startsWith('tt') ? '' : 'tt'}${movie.imdb_id}/` }, 'IMDb')) : '',
        rating)),
    similar);
}

const averageText = a => a.total_ratings
  ? `Average ★ ${formatRating(a.avg_rating)} from ${a.total_ratings} rating${a.total_ratings === 1 ? '' : 's'}`
  : 'Not rated yet';

const watchedText = m => `Watched by ${m.watch_count ?? 0}`;
