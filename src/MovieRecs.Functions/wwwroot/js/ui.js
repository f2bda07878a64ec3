// Small DOM helpers shared by the views: elements, movie cards, star ratings, pagers and problem messages.
import { ApiError, posterUrl } from './api.js';

/** h('a.card', {href}, child, ...): an element with classes, attributes/properties and children. */
export function h(tag, props = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in el && !key.includes('-')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  el.append(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return el;
}

/** A poster that falls back to the API's generated SVG when the movie's own image fails to load. */
export function poster(movie, alt = '') {
  const img = h('img.poster', { src: movie.thumbnail_url || posterUrl(movie.id), alt, loading: 'lazy', width: 160, height: 240 });
  img.addEventListener('error', () => {
    if (img.src !== posterUrl(movie.id)) img.src = posterUrl(movie.id);
  });
  return img;
}

export const formatRating = value => (value === null || value === undefined ? '–' : value.toFixed(1));
export const percent = value => `${Math.round(value * 100)}%`;

/** A movie as a card linking to its page; extra lines (match, reason...) below the title. */
export function movieCard(movie, ...extra) {
  return h('li.card', {},
    h('a', { href: `#/movie/${movie.id}` },
      poster(movie),
      h('span.title', {}, movie.title)),
    movie.genres ? h('span.genres', {}, movie.genres.join(' · ')) : null,
    movie.avg_rating !== undefined ? h('span.muted', {}, `★ ${formatRating(movie.avg_rating)} (${movie.total_ratings ?? 0})`) : null,
    ...extra);
}

export const movieGrid = (movies, render = m => movieCard(m)) =>
  movies.length ? h('ul.grid', {}, movies.map(render)) : h('p.muted', {}, 'Nothing here yet.');

/**
 * Stars in half steps: ten radio buttons (keyboard: arrows move, as in any radio group), drawn as five stars. The DOM
 * runs from 5 down to 0.5 so that CSS colours the checked star and every one before it.
 */
export function starRating(current, onRate, label = 'Your rating') {
  const name = `stars-${Math.random().toString(36).slice(2)}`;
  const group = h('fieldset.stars', {}, h('legend', {}, label));
  const row = h('span.star-row');
  for (let value = 5; value >= 0.5; value -= 0.5) {
    const id = `${name}-${value}`;
    const input = h('input', { type: 'radio', name, id, value, checked: current === value });
    input.addEventListener('change', () => onRate(value));
    row.append(input, h(`label.${value % 1 ? 'left' : 'right'}`, { htmlFor: id, title: `${value} stars` },
      h('span.visually-hidden', {}, `${value} stars`), h('span.star', { 'aria-hidden': 'true' }, '★')));
  }
  group.append(row);
  return group;
}

export function pager(page, limit, total, go) {
  const pages = Math.max(1, Math.ceil(total / limit));
  return h('nav.pager', { 'aria-label': 'Pages' },
    h('button', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '← Previous'),
    h('span', { 'aria-live': 'polite' }, `Page ${page} of ${pages} · ${total} movies`),
    h('button', { type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next →'));
}

/** A problem+json answer as a message: its title, its detail and the error of each named field. */
export function problemMessage(error) {
  if (!(error instanceof ApiError)) return h('div.message.error', { role: 'alert' }, h('strong', {}, 'Something went wrong'), h('p', {}, String(error?.message ?? error)));
  const fields = Object.entries(error.errors);
  return h('div.message.error', { role: 'alert' },
    h('strong', {}, error.title),
    error.detail && !fields.length ? h('p', {}, error.detail) : null,
    fields.length ? h('ul', {}, fields.flatMap(([field, messages]) => messages.map(m => h('li', {}, h('code', {}, field), ` ${m}`)))) : null);
}

export const notice = text => h('div.message.ok', { role: 'status' }, text);

/** Runs an async action with its button disabled and busy, showing a problem in `messages` when it fails. */
export async function withBusy(button, messages, action) {
  messages.replaceChildren();
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (e) {
    messages.replaceChildren(problemMessage(e));
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
