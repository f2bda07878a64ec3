// The only module that talks to the API. Every call goes to the public routes under one base URL: /api of the page's
// own origin, or another one given once as ?api=https://<app>.azurewebsites.net/api (kept in localStorage).
import { session } from './session.js';

const STORED_BASE = 'movierecs.apiBase';

function initialBase() {
  const fromQuery = new URLSearchParams(location.search).get('api');
  if (fromQuery !== null) {
    if (fromQuery === '') localStorage.removeItem(STORED_BASE);
    else localStorage.setItem(STORED_BASE, fromQuery.replace(/\/+$/, ''));
  }
  return localStorage.getItem(STORED_BASE) ?? new URL('/api', location.href).href;
}

export const apiBase = initialBase();

/** An error answer of the API: the problem+json fields (RFC 9457), or a stand-in when the body is not one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `Request failed (HTTP ${status})`;
    this.detail = problem.detail || '';
    this.errors = problem.errors || {};
  }
}

// In-flight requests drive the loading bar; it shows only for requests slower than a moment.
let inFlight = 0;
let barTimer;
function track(delta) {
  inFlight += delta;
  clearTimeout(barTimer);
  if (inFlight > 0) barTimer = setTimeout(() => document.body.classList.add('loading'), 150);
  else document.body.classList.remove('loading');
}

/** Calls the API: JSON in, JSON out (null for an empty body), ApiError for any status >= 400 or a network failure. */
export async function request(path, { method = 'GET', body, admin = false, signal, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (admin && session.adminKey) headers['x-functions-key'] = session.adminKey;
  track(+1);
  try {
    let response;
    try {
      response = await fetch(apiBase + path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, { title: 'The API cannot be reached', detail: `${apiBase}: ${e.message}` });
    }
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: handled below */ }
    if (!response.ok) throw new ApiError(response.status, json && typeof json === 'object' ? json : { detail: text.slice(0, 200) });
    return raw ? { json, response } : json;
  } finally {
    track(-1);
  }
}

export const posterUrl = id => `${apiBase}/rest/v1/movies/${id}/poster.svg`;

export const api = {
  movies: (params, signal) => request(`/rest/v1/movies?${new URLSearchParams(params)}`, { signal }),
  movie: id => request(`/rest/v1/movies/${id}`),
  averageRating: id => request(`/rest/v1/movies/${id}/avg-rating`),
  similar: id => request(`/rest/v1/movies/${id}/similar?limit=8`),
  genres: () => request('/rest/v1/genres'),
  chart: (name, limit = 10) => request(`/rest/v1/movies/${name}?limit=${limit}`),
  trending: (window, limit = 10) => request(`/rest/v1/movies/trending?window=${window}&limit=${limit}`),

  createUser: name => request('/rest/v1/users', { method: 'POST', body: { name } }),
  signUp: account => request('/rest/v1/accounts', { method: 'POST', body: account }),
  signIn: (username, password) => request('/rest/v1/auth/token', { method: 'POST', body: { username, password } }),
  me: () => request('/rest/v1/users?limit=1'),
  user: id => request(`/rest/v1/users/${id}`),
  userRatings: id => request(`/users/${id}/ratings?limit=1`),
  // A rating's id is the (user, movie) pair: user_id x 2^24 + movie_id, so "my rating of this movie" is one point read.
  rating: (userId, movieId) => request(`/rest/v1/ratings/${userId * 2 ** 24 + movieId}`),
  rate: (userId, movieId, rating) => request('/rest/v1/ratings', { method: 'POST', body: { user_id: userId, movie_id: movieId, rating } }),
  recommendations: (id, limit = 12) => request(`/rest/v1/users/${id}/recommendations/personalized?limit=${limit}`),

  startTraining: () => request('/rest/v1/recommendation-engine', { method: 'POST', admin: true, raw: true }),
  trainingRun: location => request(location.replace(/^.*\/rest\/v1\//, '/rest/v1/'), { admin: true }),
  models: () => request('/rest/v1/recommendation-engine/models'),
  activate: version => request(`/rest/v1/recommendation-engine/models/${encodeURIComponent(version)}/activate`, { method: 'POST', admin: true }),
};
