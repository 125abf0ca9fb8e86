// Overview: totals, requests / tokens / spend over time, top keys and models, each provider's
// error rate and latency, and the keys closest to their budgets.
import { api } from './api.js';
import { timeChart } from './charts.js';
import { bar, card, count, h, money, ms, percent, table } from './dom.js';

const RANGES = [
  ['1h', 'Last hour'],
  ['24h', '24 hours'],
  ['7d', '7 days'],
  ['30d', '30 days'],
];
const REFRESH = [
  [0, 'Off'],
  [1, '1 s'],
  [5, '5 s'],
  [30, '30 s'],
];

function stat(label, value, hint, id) {
  return h(
    'div',
    { class: 'card stat', dataset: { stat: id } },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    h('div', { class: 'hint' }, hint ?? ''),
  );
}

function stats(o) {
  const t = o.totals;
  const p95 = Math.max(0, ...o.providers.filter((p) => p.name !== '(none)').map((p) => p.latency.p95 ?? 0));
  return [
    stat('Requests', count(t.requests), `${count(t.errors)} failed`, 'requests'),
    stat('Error rate', percent(t.requests ? t.errors / t.requests : 0), 'status ≥ 400', 'errors'),
    stat(
      'Tokens',
      count(t.inputTokens + t.outputTokens),
      `${count(t.inputTokens)} in · ${count(t.outputTokens)} out`,
      'tokens',
    ),
    stat(
      'Spend',
      money(t.costNano),
      t.unpricedRequests ? `${count(t.unpricedRequests)} unpriced requests` : 'priced requests',
      'spend',
    ),
    stat('Slowest p95', p95 ? ms(p95) : '–', 'latency, worst provider', 'p95'),
  ];
}

const named = (r, none) => (r.name === '(none)' ? h('span', { class: 'muted' }, none) : r.name);

function breakdownTable(rows, what) {
  return table(
    [
      { label: what, value: (r) => named(r, 'refused before routing') },
      { label: 'Requests', num: true, value: (r) => count(r.requests) },
      { label: 'Errors', num: true, value: (r) => (r.requests ? percent(r.errors / r.requests) : '–') },
      { label: 'Tokens', num: true, value: (r) => count(r.inputTokens + r.outputTokens) },
      { label: 'Spend', num: true, value: (r) => money(r.costNano) },
    ],
    rows,
    { empty: 'No requests in this period.' },
  );
}

function providerTable(rows, estimated) {
  // Beyond the last hour, quantiles come from hourly histograms: estimates within their bucket.
  const q = estimated ? '≈ ' : '';
  return table(
    [
      { label: 'Provider', value: (r) => named(r, 'none (refused)') },
      { label: 'Requests', num: true, value: (r) => count(r.requests) },
      { label: 'Error rate', num: true, value: (r) => (r.requests ? percent(r.errors / r.requests) : '–') },
      { label: `${q}p50 latency`, num: true, value: (r) => ms(r.latency.p50) },
      { label: `${q}p95 latency`, num: true, value: (r) => ms(r.latency.p95) },
      { label: `${q}p50 TTFB`, num: true, value: (r) => ms(r.ttfb.p50) },
      { label: `${q}p95 TTFB`, num: true, value: (r) => ms(r.ttfb.p95) },
    ],
    rows,
    { empty: 'No requests in this period.' },
  );
}

function budgetTable(rows, go) {
  return table(
    [
      { label: 'Key', value: (r) => r.name },
      {
        label: 'Used',
        value: (r) =>
          h('div', { class: 'budget' }, bar(r.fraction), h('span', { class: 'cell-sub' }, percent(r.fraction, 0))),
      },
      {
        label: 'This period',
        value: (r) =>
          [
            r.budgetNano !== null ? `${money(r.costNano)} of ${money(r.budgetNano)}` : '',
            r.budgetTokens !== null ? `${count(r.tokens)} of ${count(r.budgetTokens)} tokens` : '',
          ]
            .filter(Boolean)
            .join(' · '),
      },
      { label: 'Resets', value: (r) => (r.resetsAt ? new Date(r.resetsAt).toISOString().slice(0, 10) : 'never') },
    ],
    rows,
    { empty: 'No key has a budget.', onRow: () => go('/console/keys') },
  );
}

export async function overviewPage(main, ctx) {
  const state = {
    range: sessionStorage.getItem('range') ?? '24h',
    refresh: Number(sessionStorage.getItem('refresh') ?? 0),
  };
  const charts = {};
  const rangeButtons = RANGES.map(([id, label]) =>
    h(
      'button',
      { type: 'button', class: id === state.range ? 'on' : '', dataset: { range: id }, onclick: () => setRange(id) },
      label,
    ),
  );
  const refreshSelect = h(
    'select',
    { 'aria-label': 'Refresh', onchange: (e) => setRefresh(Number(e.target.value)) },
    REFRESH.map(([v, label]) => h('option', { value: v, selected: v === state.refresh }, `Refresh: ${label}`)),
  );
  const note = h('p', { class: 'sub' }, '');
  const statsRow = h('div', { class: 'grid stats' });
  const requestsChart = h('div', { class: 'chart', id: 'chart-requests' });
  const spendChart = h('div', { class: 'chart', id: 'chart-spend' });
  const tokensChart = h('div', { class: 'chart', id: 'chart-tokens' });
  const errorsChart = h('div', { class: 'chart', id: 'chart-errors' });
  const keysBody = h('div');
  const modelsBody = h('div');
  const providersBody = h('div');
  const budgetsBody = h('div');
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Overview'), note),
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' }, rangeButtons),
        refreshSelect,
      ),
    ),
    statsRow,
    h('div', { class: 'grid two' }, card('Requests', requestsChart), card('Spend', spendChart)),
    h('div', { class: 'grid two' }, card('Tokens', tokensChart), card('Errors', errorsChart)),
    h('div', { class: 'grid two' }, card('Top keys', keysBody), card('Top models', modelsBody)),
    h('div', { class: 'grid' }, card('Providers', providersBody), card('Keys nearest their budget', budgetsBody)),
  );

  function chart(name, el, t, series, format) {
    const same = charts[name] && charts[name].labels === series.map((s) => s.label).join('|');
    if (same)
      charts[name].handle.update(
        t,
        series.map((s) => s.values),
      );
    else {
      charts[name]?.handle.dispose();
      el.replaceChildren();
      el.dataset.chart = name;
      charts[name] = { labels: series.map((s) => s.label).join('|'), handle: timeChart(el, { t, series }, format) };
    }
  }

  async function load() {
    const o = await api(`overview?range=${state.range}`);
    if (ctx.gone()) return;
    note.textContent = `${new Date(o.since).toLocaleString()} – now · updated ${new Date(o.generatedAt).toLocaleTimeString()} · ${o.queryMs} ms`;
    statsRow.replaceChildren(...stats(o));
    const s = o.series;
    const providers = Object.keys(s.byProvider).sort();
    chart(
      'requests',
      requestsChart,
      s.t,
      providers.length
        ? providers.map((p) => ({ label: p, values: s.byProvider[p], fill: true }))
        : [{ label: 'requests', values: s.requests, fill: true }],
      count,
    );
    chart('spend', spendChart, s.t, [{ label: 'spend', values: s.costNano.map((v) => v / 1e9), kind: 'bars' }], (v) =>
      money(v * 1e9),
    );
    chart('tokens', tokensChart, s.t, [{ label: 'tokens', values: s.tokens, fill: true, color: '#0ea5e9' }], count);
    chart(
      'errors',
      errorsChart,
      s.t,
      [{ label: 'failed requests', values: s.errors, kind: 'bars', color: '#f04438' }],
      count,
    );
    keysBody.replaceChildren(breakdownTable(o.keys, 'Key'));
    modelsBody.replaceChildren(breakdownTable(o.models, 'Model'));
    providersBody.replaceChildren(providerTable(o.providers, o.estimated));
    budgetsBody.replaceChildren(budgetTable(o.budgets, ctx.navigate));
  }

  function setRange(id) {
    state.range = id;
    sessionStorage.setItem('range', id);
    for (const b of rangeButtons) b.classList.toggle('on', b.dataset.range === id);
    load().catch(ctx.fail);
  }

  function setRefresh(seconds) {
    state.refresh = seconds;
    sessionStorage.setItem('refresh', String(seconds));
    ctx.every(seconds * 1000, () => load());
  }

  await load();
  setRefresh(state.refresh);
}
