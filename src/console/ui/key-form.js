// The create / edit form of a key and what it sends: the texts `ai-proxy keys create|update`
// takes, so the key service parses and checks them exactly as the CLI's flags.
import { h } from './dom.js';

const PERIODS = ['month', 'week', 'day', 'total'];

function field(label, input, help) {
  return h(
    'div',
    { class: `field ${input.dataset.wide ? 'wide' : ''}` },
    h('label', { for: input.id }, label),
    input,
    help ? h('span', { class: 'help' }, help) : null,
  );
}

/** The create / edit form: texts as `ai-proxy keys` takes them (200k, 20/month, 90d). */
export function keyForm(key) {
  const input = (id, value, placeholder, wide) =>
    h('input', {
      id,
      name: id,
      value: value ?? '',
      placeholder,
      autocomplete: 'off',
      dataset: wide ? { wide: '1' } : {},
    });
  const money = key?.budget ?? '';
  const period = h(
    'select',
    { id: 'period', name: 'period' },
    PERIODS.map((p) =>
      h(
        'option',
        { value: p, selected: p === (key?.budget_period ?? 'month') },
        `per ${p === 'total' ? 'lifetime' : p}`,
      ),
    ),
  );
  return {
    fields: [
      field('Name', input('name', key?.name, 'alice', true), 'Letters, digits, ".", "_", "-" or "@".'),
      field(
        'Allowed models',
        input('models', key?.models?.join(', '), 'all models (or: gpt-4o*, smart)', true),
        'Names or patterns with * and ?; empty: every model.',
      ),
      field('Requests per minute', input('rpm', key?.rpm, 'no limit'), 'e.g. 60'),
      field('Tokens per minute', input('tpm', key?.tpm, 'no limit'), 'e.g. 200k'),
      field('Budget', input('budget', money, 'none'), 'Money, in the prices’ currency, e.g. 20'),
      field('Token budget', input('token_budget', key?.token_budget, 'none'), 'e.g. 5M'),
      field('Budget period', period),
      field(
        'Expires',
        input('expires', key?.expires_at?.slice(0, 10), key ? 'never' : 'never (or: 90d, 2026-12-31)'),
        key ? 'A date, a duration such as 90d, or never.' : 'A date or a duration such as 90d.',
      ),
    ],
  };
}

const FIELDS = ['name', 'models', 'rpm', 'tpm', 'budget', 'token_budget', 'period', 'expires'];

export function snapshot(form) {
  return Object.fromEntries(FIELDS.map((n) => [n, form.elements[n].value.trim()]));
}

/**
 * The form's texts as the flags the key service parses. Editing, an emptied field removes that
 * limit, and fields left as they were are not sent (an expiry shown as a date stays exact).
 */
export function formBody(form, before) {
  const editing = Boolean(before);
  const v = (name) => form.elements[name].value.trim();
  const period = v('period');
  const none = (text) => (text === '' ? (editing ? 'none' : undefined) : text);
  const body = {
    name: v('name'),
    models: v('models') === '' ? (editing ? '*' : undefined) : v('models'),
    rpm: none(v('rpm')),
    tpm: none(v('tpm')),
    budget: v('budget') === '' ? (editing ? 'none' : undefined) : `${v('budget')}/${period}`,
    'token-budget': v('token_budget') === '' ? (editing ? 'none' : undefined) : `${v('token_budget')}/${period}`,
    expires: v('expires') === '' ? (editing ? 'never' : undefined) : v('expires'),
  };
  if (editing) {
    const now = snapshot(form);
    const same = (n) => now[n] === before[n];
    if (same('name')) delete body.name;
    if (same('models')) delete body.models;
    if (same('rpm')) delete body.rpm;
    if (same('tpm')) delete body.tpm;
    if (same('budget') && same('period')) delete body.budget;
    if (same('token_budget') && same('period')) delete body['token-budget'];
    if (same('expires')) delete body.expires;
  }
  return Object.fromEntries(Object.entries(body).filter(([, x]) => x !== undefined));
}
