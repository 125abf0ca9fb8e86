// Small DOM and formatting helpers. Every text goes in as a text node (nothing is parsed as HTML),
// so nothing from the ledger or the configuration can become markup.

/** h('div', { class: 'x', onclick: fn }, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const NANO = 1e9;

/** Money from nano-units, in the price table's currency. */
export function money(nano) {
  if (nano === null || nano === undefined) return '–';
  const v = nano / NANO;
  if (v === 0) return '0.00';
  if (Math.abs(v) < 0.01) return Number(v.toPrecision(2)).toString();
  return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function count(n) {
  if (n === null || n === undefined) return '–';
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

export function ms(v) {
  if (v === null || v === undefined) return '–';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.round(v)} ms`;
}

export function percent(fraction, digits = 1) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function time(value) {
  if (value === null || value === undefined) return '–';
  const d = new Date(value);
  return d.toLocaleString('en-GB', {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function ago(value) {
  if (!value) return '–';
  const s = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind ?? ''}` }, text);
}

/** A usage bar; width in 5% steps as a class (the CSP allows no inline style). */
export function bar(fraction) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  const kind = f >= 0.9 ? 'bad' : f >= 0.7 ? 'warn' : '';
  return h('div', { class: `bar ${kind}` }, h('span', { class: `w${Math.round(f * 20) * 5}` }));
}

export function table(columns, rows, options = {}) {
  if (rows.length === 0) return h('div', { class: 'empty' }, options.empty ?? 'Nothing here yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { class: c.num ? 'num' : '' }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { class: options.onRow ? 'clickable' : '', onclick: options.onRow ? () => options.onRow(r) : undefined },
            columns.map((c) => h('td', { class: c.num ? 'num' : '' }, c.value(r))),
          ),
        ),
      ),
    ),
  );
}

export function card(title, body, extra) {
  return h(
    'section',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, title), extra),
    h('div', { class: 'card-body' }, body),
  );
}

export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 2500);
}
