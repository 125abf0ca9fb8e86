// Configuration: what `ai-proxy config` prints for the running proxy, secrets redacted.
import { api } from './api.js';
import { h } from './dom.js';

/** JSON as coloured spans (text nodes only: no markup from the configuration). */
function render(value, indent = '') {
  const next = `${indent}  `;
  if (value === null) return h('span', { class: 'j-lit' }, 'null');
  if (typeof value === 'string') return h('span', { class: 'j-str' }, JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean') return h('span', { class: 'j-num' }, String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return ['[\n', value.flatMap((v, i) => [next, render(v, next), i < value.length - 1 ? ',\n' : '\n']), `${indent}]`];
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return [
    '{\n',
    entries.flatMap(([k, v], i) => [
      next,
      h('span', { class: 'j-key' }, JSON.stringify(k)),
      ': ',
      render(v, next),
      i < entries.length - 1 ? ',\n' : '\n',
    ]),
    `${indent}}`,
  ];
}

export async function configPage(main, ctx) {
  const config = await api('config');
  if (ctx.gone()) return;
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Configuration'),
        h('p', { class: 'sub' }, [
          'The running configuration, secrets redacted: the same view as ',
          h('code', {}, 'ai-proxy config'),
          '.',
        ]),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, 'Effective configuration'),
        h('span', { class: 'muted small' }, config.config_dir ?? ''),
      ),
      h('pre', { class: 'json', id: 'config-json' }, render(config)),
    ),
  );
}
