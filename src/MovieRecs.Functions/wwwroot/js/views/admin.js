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

/** Two small panels over the versions, oldest first: NDCG@10 (higher is better) above RMSE (lower is better). */
function metricsChart(models) {
  const points = models.filter(m => m.metrics).slice().reverse();
  if (points.length === 0) return h('p.muted', {}, 'No versions with metrics yet.');
  const width = 560, panel = 90, gap = 26, left = 150, right = 16, top = 14;
  const x = i => left + (points.length === 1 ? (width - left - right) / 2 : i * (width - left - right) / (points.length - 1));
  const panelFor = (key, name, cls, offset) => {
    const values = points.map(p => p.metrics[key]);
    const lo = Math.min(...values), hi = Math.max(...values), pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.05 || 1;
    const y = v => offset + (hi + pad - v) / (hi - lo + 2 * pad) * panel;
    return svg('g', { class: cls },
      svg('text', { x: 0, y: offset + 14, class: 'name' }, name),
      svg('text', { x: left - 8, y: y(hi) + 4, 'text-anchor': 'end' }, fixed(hi, 4)),
      hi !== lo ? svg('text', { x: left - 8, y: y(lo) + 4, 'text-anchor': 'end' }, fixed(lo, 4)) : '',
      svg('line', { x1: left, x2: width - right, y1: offset + panel, y2: offset + panel, class: 'axis' }),
      svg('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' '), fill: 'none' }),
      ...values.map((v, i) => svg('circle', { cx: x(i), cy: y(v), r: 4 }, svg('title', {}, `${points[i].version}: ${name} ${fixed(v)}`))));
  };
  const height = top + 2 * panel + gap + 20;
  return h('figure.metrics-chart', {},
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `NDCG@10 and RMSE of ${points.length} model versions, oldest first` },
      panelFor('ndcg_at10', 'NDCG@10 ↑', 'ndcg', top),
      panelFor('rmse', 'RMSE ↓', 'rmse', top + panel + gap),
      svg('text', { x: left, y: height - 4, class: 'axis-label' }, 'oldest'),
      svg('text', { x: width - right, y: height - 4, class: 'axis-label', 'text-anchor': 'end' }, 'newest')),
    h('figcaption.muted', {}, `Hold-out metrics of ${points.length} version${points.length === 1 ? '' : 's'}, oldest to newest; each line has its own scale.`));
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
