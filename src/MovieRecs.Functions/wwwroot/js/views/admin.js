// The admin view: start a training run and follow it, every model version with its hold-out metrics, a chart of
// NDCG@10 and RMSE across versions, and activation of any version. Admin calls carry the key as x-functions-key.
import { api } from '../api.js';
import { session } from '../session.js';
import { h, notice, problemMessage, withBusy } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
};
const fixed = (value, digits = 4) => (typeof value === 'number' ? value.toFixed(digits) : '–');

/** Two lines over the versions, oldest first: NDCG@10 on the left scale, RMSE on the right (each its own range). */
function metricsChart(models) {
  const points = models.filter(m => m.metrics).slice().reverse();
  if (points.length === 0) return h('p.muted', {}, 'No versions with metrics yet.');
  const width = 560, height = 200, pad = { left: 48, right: 48, top: 16, bottom: 28 };
  const x = i => pad.left + (points.length === 1 ? (width - pad.left - pad.right) / 2 : i * (width - pad.left - pad.right) / (points.length - 1));
  const scale = values => {
    const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || Math.abs(hi) * 0.1 || 1;
    return { lo: lo - span * 0.1, hi: hi + span * 0.1 };
  };
  const line = (key, cls) => {
    const values = points.map(p => p.metrics[key]);
    const { lo, hi } = scale(values);
    const y = v => pad.top + (hi - v) / (hi - lo) * (height - pad.top - pad.bottom);
    return { lo, hi, el: svg('g', { class: cls },
      svg('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' '), fill: 'none' }),
      ...values.map((v, i) => svg('circle', { cx: x(i), cy: y(v), r: 3.5 }, svg('title', {}, `${points[i].version}: ${key} ${fixed(v)}`)))) };
  };
  const ndcg = line('ndcg_at10', 'ndcg'), rmse = line('rmse', 'rmse');
  const label = (text, attrs) => svg('text', attrs, text);
  return h('figure.metrics-chart', {},
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `NDCG@10 and RMSE of ${points.length} model versions, oldest first` },
      svg('line', { x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom, class: 'axis' }),
      label(fixed(ndcg.hi, 3), { x: 4, y: pad.top + 4, class: 'ndcg' }), label(fixed(ndcg.lo, 3), { x: 4, y: height - pad.bottom, class: 'ndcg' }),
      label(fixed(rmse.hi, 3), { x: width - 4, y: pad.top + 4, class: 'rmse', 'text-anchor': 'end' }),
      label(fixed(rmse.lo, 3), { x: width - 4, y: height - pad.bottom, class: 'rmse', 'text-anchor': 'end' }),
      label('oldest', { x: pad.left, y: height - 8 }), label('newest', { x: width - pad.right, y: height - 8, 'text-anchor': 'end' }),
      ndcg.el, rmse.el),
    h('figcaption', {}, h('span.key.ndcg', {}, 'NDCG@10 (higher is better, left scale)'), ' ', h('span.key.rmse', {}, 'RMSE (lower is better, right scale)')));
}

export async function adminView() {
  const messages = h('div');
  const runStatus = h('div', { 'aria-live': 'polite' });
  const versions = h('section', { 'aria-labelledby': 'versions-heading' });

  async function showModels() {
    const list = await api.models();
    const rows = list.models.map(m => h('tr', { class: m.active ? 'active' : null },
      h('th', { scope: 'row' }, h('code', {}, m.version), m.active ? h('span.badge', {}, 'active') : ''),
      h('td', {}, new Date(m.created_at).toLocaleString()),
      h('td.num', {}, fixed(m.metrics?.ndcg_at10)),
      h('td.num', {}, fixed(m.metrics?.rmse)),
      h('td.num', {}, fixed(m.metrics?.precision_at10)),
      h('td.num', {}, fixed(m.metrics?.recall_at10)),
      h('td.num', {}, m.data?.ratings ?? '–'),
      h('td', {}, m.active ? '' : h('button', { type: 'button', onclick: e => activate(e.currentTarget, m.version) }, 'Activate'))));
    versions.replaceChildren(
      h('h2', { id: 'versions-heading' }, `Model versions (${list.models.length})`),
      metricsChart(list.models),
      list.models.length ? h('div.table-wrap', {}, h('table', {},
        h('caption', {}, 'Hold-out metrics of every version, newest first'),
        h('thead', {}, h('tr', {}, ['Version', 'Created', 'NDCG@10', 'RMSE', 'Precision@10', 'Recall@10', 'Ratings', ''].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))) : h('p.muted', {}, 'No model trained yet.'));
  }

  const activate = (button, version) => withBusy(button, messages, async () => {
    await api.activate(version);
    await showModels();
    messages.replaceChildren(notice(`Version ${version} is active.`));
  });

  const keyInput = h('input', { id: 'admin-key', type: 'password', value: session.adminKey, autocomplete: 'off' });
  keyInput.addEventListener('change', () => { session.adminKey = keyInput.value; session.save(); });
  const train = h('button', { type: 'button' }, 'Start a training run');
  train.addEventListener('click', () => withBusy(train, messages, async () => {
    session.adminKey = keyInput.value;
    session.save();
    const { response } = await api.startTraining();
    const location = response.headers.get('Location');
    await follow(location, response.headers.get('X-Training-Run-Joined') === 'true');
  }));

  /** Polls the run until it succeeds or fails, showing its status and the time it has taken. */
  async function follow(location, joined) {
    if (!location) throw new Error('The API did not expose the run\'s Location header (CORS): watch the versions below.');
    const started = Date.now();
    for (;;) {
      const run = await api.trainingRun(location);
      const seconds = Math.round((Date.now() - started) / 1000);
      const done = run.status === 'succeeded' || run.status === 'failed';
      runStatus.replaceChildren(h(`div.run.${run.status}`, { role: 'status' },
        done ? '' : h('span.spinner', { 'aria-hidden': 'true' }),
        h('strong', {}, `Training run ${run.id}: ${run.status}`),
        joined ? ' (joined the run already queued)' : '',
        h('span.muted', {}, done ? ` in ${fixed(run.duration_seconds, 1)} s` : ` · ${seconds} s`),
        run.model_version ? h('p', {}, 'New version ', h('code', {}, run.model_version), ` · NDCG@10 ${fixed(run.metrics?.ndcg_at10)} · RMSE ${fixed(run.metrics?.rmse)}`) : '',
        run.error ? h('p', {}, `Error: ${run.error}`) : ''));
      if (done) break;
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    await showModels();
  }

  await showModels().catch(e => versions.replaceChildren(problemMessage(e)));
  return h('div', {},
    h('h1', { tabIndex: -1 }, 'Recommendation engine'),
    h('section.admin-controls', {},
      h('p.field', {}, h('label', { htmlFor: 'admin-key' }, 'Admin key (sent as x-functions-key; a function key under the Functions host)'), keyInput),
      train, messages, runStatus),
    versions);
}
