// Requests: ledger rows newest first, filtered by time, key, model, provider and outcome, a page
// at a time; and one request's detail. The ledger holds no prompt or answer text.
import { api } from './api.js';
import { badge, card, count, h, money, ms, table, time } from './dom.js';

const RANGES = ['1h', '24h', '7d', '30d'];

function statusBadge(status) {
  return badge(String(status), status >= 500 || status === 499 ? 'bad' : status >= 400 ? 'warn' : 'ok');
}

function keyName(keys, id) {
  if (id === null) return 'admin';
  return keys.get(id) ?? id;
}

async function keyNames() {
  const data = await api('keys').catch(() => ({ keys: [] }));
  return new Map(data.keys.map((k) => [k.id, k.name]));
}

function select(name, label, options, value) {
  return h(
    'select',
    { name, 'aria-label': label },
    h('option', { value: '' }, label),
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
}

export async function requestsPage(main, ctx) {
  const q = new URLSearchParams(location.search);
  const [keys, providers] = await Promise.all([keyNames(), api('providers')]);
  const models = [...new Set(providers.providers.flatMap((p) => p.routes.map((r) => r.route)))].sort();
  const form = h(
    'form',
    { class: 'filters', id: 'filters' },
    select(
      'range',
      'Time',
      RANGES.map((r) => [r, `Last ${r}`]),
      q.get('range') ?? '24h',
    ),
    select(
      'key',
      'All keys',
      [['admin', 'admin (AUTH_TOKEN)'], ...[...keys].map(([id, name]) => [id, name])],
      q.get('key'),
    ),
    select(
      'route',
      'All models',
      models.map((m) => [m, m]),
      q.get('route'),
    ),
    select(
      'provider',
      'All providers',
      providers.providers.map((p) => [p.name, p.name]),
      q.get('provider'),
    ),
    select(
      'outcome',
      'Any outcome',
      [
        ['error', 'Failed'],
        ['ok', 'Succeeded'],
      ],
      q.get('outcome'),
    ),
  );
  form.querySelector('[name=range]').firstChild.remove();
  const body = h('div');
  const more = h('button', { type: 'button', class: 'btn', id: 'load-more', hidden: true }, 'Load more');
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Requests'),
        h(
          'p',
          { class: 'sub' },
          'One row per API request: who, which model, how long, how much. No prompt or answer text is kept.',
        ),
      ),
    ),
    form,
    card('Ledger', [body, h('div', { class: 'toolbar' }, more)]),
  );
  let rows = [];
  let next = null;
  const columns = [
    { label: 'Time', value: (r) => h('span', { class: 'nowrap' }, time(r.ts)) },
    { label: 'Key', value: (r) => keyName(keys, r.keyId) },
    {
      label: 'Model',
      value: (r) =>
        h(
          'div',
          {},
          r.route || h('span', { class: 'muted' }, '–'),
          r.model && r.model !== r.route ? h('div', { class: 'cell-sub' }, r.model) : null,
        ),
    },
    { label: 'Provider', value: (r) => r.provider || h('span', { class: 'muted' }, 'none') },
    { label: 'Status', value: (r) => statusBadge(r.status) },
    { label: 'Tokens in / out', num: true, value: (r) => `${count(r.inputTokens)} / ${count(r.outputTokens)}` },
    { label: 'Cost', num: true, value: (r) => money(r.costNano) },
    { label: 'Latency', num: true, value: (r) => ms(r.latencyMs) },
    { label: 'TTFB', num: true, value: (r) => ms(r.ttfbMs) },
  ];
  const render = () =>
    body.replaceChildren(
      table(columns, rows, {
        empty: 'No requests match.',
        onRow: (r) => ctx.navigate(`/console/requests/${r.ts}-${r.id}`),
      }),
    );
  async function load(cursor) {
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ''));
    params.set('limit', '50');
    if (cursor) params.set('cursor', cursor);
    const page = await api(`requests?${params}`);
    if (ctx.gone()) return;
    rows = cursor ? [...rows, ...page.rows] : page.rows;
    next = page.next;
    more.hidden = next === null;
    render();
  }
  form.addEventListener('change', () => {
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ''));
    history.replaceState(null, '', `/console/requests?${params}`);
    load().catch(ctx.fail);
  });
  more.addEventListener('click', () => load(next).catch(ctx.fail));
  await load();
}

/** Each failed upstream attempt (retries, fallbacks) in order, then the one that ended the request. */
function trail(r) {
  if (!r.provider) return h('p', { class: 'muted' }, 'The request was refused before any provider was tried.');
  const failed = Array.isArray(r.attempts) ? r.attempts : [];
  const item = (i, provider, model, status, detail) =>
    h(
      'li',
      {},
      h('strong', {}, `#${i}`),
      h('span', { class: 'mono' }, `${provider} / ${model}`),
      statusBadge(status),
      h('span', { class: 'muted' }, detail),
    );
  return h(
    'ol',
    { class: 'timeline' },
    failed.map((a, i) => item(i + 1, a.provider, a.model, a.status, `${ms(a.ms)} · ${a.error}`)),
    item(
      failed.length + 1,
      r.provider,
      r.model,
      r.status,
      r.status < 400 ? (failed.length ? 'answered after falling back' : 'answered') : (r.error ?? 'failed'),
    ),
  );
}

export async function requestPage(main, ctx, ref) {
  const [{ request: r }, keys] = await Promise.all([api(`requests/${ref}`), keyNames()]);
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Request'), h('p', { class: 'sub mono' }, r.requestId)),
      h('a', { class: 'btn', href: '/console/requests' }, '← All requests'),
    ),
    h(
      'div',
      { class: 'grid two' },
      card(
        'Summary',
        h(
          'dl',
          { class: 'kv' },
          row('Time', time(r.ts)),
          row('Status', statusBadge(r.status)),
          row('Key', keyName(keys, r.keyId)),
          row('Endpoint', h('code', {}, r.endpoint)),
          row('Model asked for', r.route || '–'),
          row('Answered by', r.provider ? `${r.provider} / ${r.model}` : 'no provider was reached'),
          row('Streamed', r.stream ? 'yes' : 'no'),
          row('Error', r.error ?? '–'),
        ),
      ),
      card(
        'Cost and timing',
        h(
          'dl',
          { class: 'kv' },
          row('Input tokens', count(r.inputTokens)),
          row('Cached input tokens', count(r.cachedTokens)),
          row('Output tokens', count(r.outputTokens)),
          row('Cost', r.costNano !== null ? money(r.costNano) : r.inputTokens + r.outputTokens > 0 ? 'unpriced' : '–'),
          row('Latency', ms(r.latencyMs)),
          row('Time to first byte', ms(r.ttfbMs)),
        ),
      ),
    ),
    card('Attempts and fallbacks', trail(r)),
  );
}
