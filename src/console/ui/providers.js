// Providers: each one's health and last error, the routes that use it, the store, keys and
// ledger as /health reports them, and the latest failed requests from the ledger.
import { api } from './api.js';
import { ago, badge, card, h, ms, table, time } from './dom.js';

const KIND = { ok: 'ok', failing: 'bad', disabled: 'warn', degraded: 'warn', error: 'bad', 'not opened': '' };

function chain(targets, provider) {
  return h(
    'div',
    { class: 'route-chain' },
    targets.flatMap((t, i) => [
      i > 0 ? h('span', { class: 'arrow' }, '→') : null,
      h('span', { class: `step ${t.startsWith(`${provider}/`) ? 'this' : ''}` }, t),
    ]),
  );
}

function providerCard(p) {
  const status = p.status ?? 'ok';
  return h(
    'section',
    { class: 'card', dataset: { provider: p.name } },
    h('div', { class: 'card-head' }, h('h2', {}, p.name), badge(status, KIND[status])),
    h(
      'div',
      { class: 'card-body' },
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, 'Type'),
        h('dd', {}, p.type),
        h('dt', {}, 'Base URL'),
        h('dd', { class: 'mono' }, p.base_url ?? '–'),
        h('dt', {}, 'Models'),
        h('dd', {}, (p.models ?? []).join(', ') || '–'),
        h('dt', {}, 'Last error'),
        h(
          'dd',
          {},
          p.last_error
            ? [p.last_error, h('div', { class: 'cell-sub' }, `${time(p.last_error_at)} · ${ago(p.last_error_at)}`)]
            : h('span', { class: 'muted' }, 'none since start'),
        ),
        p.reason ? [h('dt', {}, 'Disabled'), h('dd', {}, p.reason)] : null,
      ),
      h('h2', { class: 'small muted' }, 'Routes'),
      p.routes.length
        ? p.routes.map((r) =>
            h('div', { class: 'route-line' }, h('strong', {}, r.route), ' ', chain(r.targets, p.name)),
          )
        : h('p', { class: 'muted' }, 'No route uses it.'),
    ),
  );
}

function componentRow(name, c) {
  if (!c) return null;
  const detail = Object.entries(c)
    .filter(([k, v]) => k !== 'status' && v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' · ');
  return { name, status: c.status, detail };
}

export async function providersPage(main, ctx) {
  const [data, failures] = await Promise.all([
    api('providers'),
    api('requests?range=24h&outcome=error&limit=10').catch(() => null),
  ]);
  if (ctx.gone()) return;
  const components = [
    componentRow('Configuration', data.config),
    componentRow('Key store', data.store),
    componentRow('Keys', data.keys),
    componentRow('Ledger', data.ledger),
  ].filter(Boolean);
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Providers'),
        h('p', { class: 'sub' }, 'Health as /health reports it, and which routes use each provider.'),
      ),
      badge(data.status, KIND[data.status]),
    ),
    h('div', { class: 'grid providers' }, data.providers.map(providerCard)),
    h(
      'div',
      { class: 'grid two' },
      card(
        'Components',
        table(
          [
            { label: 'Component', value: (c) => c.name },
            { label: 'Status', value: (c) => badge(c.status, KIND[c.status]) },
            { label: 'Detail', value: (c) => h('span', { class: 'cell-sub wrap' }, c.detail) },
          ],
          components,
        ),
      ),
      card(
        'Latest failed requests (24 h)',
        failures
          ? table(
              [
                { label: 'Time', value: (r) => time(r.ts) },
                { label: 'Provider', value: (r) => r.provider || '–' },
                { label: 'Status', value: (r) => badge(String(r.status), 'bad') },
                { label: 'Error', value: (r) => h('span', { class: 'cell-sub wrap' }, r.error ?? '–') },
                { label: 'Latency', num: true, value: (r) => ms(r.latencyMs) },
              ],
              failures.rows,
              {
                empty: 'No failed requests in the last 24 hours.',
                onRow: (r) => ctx.navigate(`/console/requests/${r.ts}-${r.id}`),
              },
            )
          : h('p', { class: 'muted' }, 'The ledger is off.'),
      ),
    ),
  );
}
