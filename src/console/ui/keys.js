// Keys: the list with each key's limits and budget used, and create, change and revoke, each
// the same action as `ai-proxy keys create|update|revoke`. A new key is shown once, here.
import { api } from './api.js';
import { badge, bar, card, count, h, percent, table, toast } from './dom.js';

const PERIODS = ['month', 'week', 'day', 'total'];
const STATUS_KIND = { active: 'ok', expired: 'warn', revoked: 'bad' };

function limitText(k) {
  const parts = [];
  if (k.rpm !== null) parts.push(`${count(k.rpm)} rpm`);
  if (k.tpm !== null) parts.push(`${count(k.tpm)} tpm`);
  return parts.join(' · ') || '–';
}

function budgetCell(k) {
  const money = k.budget !== null ? `${k.budget}` : null;
  const tokens = k.token_budget !== null ? `${count(k.token_budget)} tok` : null;
  if (!money && !tokens) return h('span', { class: 'muted' }, 'none');
  const used = k.budget_used;
  return h(
    'div',
    { class: 'budget' },
    h('span', {}, `${[money, tokens].filter(Boolean).join(' + ')} / ${k.budget_period}`),
    used ? bar(used.fraction) : null,
    used
      ? h(
          'span',
          { class: 'cell-sub' },
          `${[used.cost, used.tokens !== null ? `${count(used.tokens)} tok` : null].filter((x) => x !== null).join(' + ')} used · ${percent(used.fraction, 0)}`,
        )
      : null,
  );
}

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
function keyForm(key) {
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

function snapshot(form) {
  return Object.fromEntries(FIELDS.map((n) => [n, form.elements[n].value.trim()]));
}

/**
 * The form's texts as the flags the key service parses. Editing, an emptied field removes that
 * limit, and fields left as they were are not sent (an expiry shown as a date stays exact).
 */
function formBody(form, before) {
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

function dialog(title, body, actions) {
  const d = h(
    'dialog',
    { 'aria-label': title },
    h('div', { class: 'dialog-head' }, h('h2', {}, title)),
    h('div', { class: 'dialog-body' }, body),
    h('div', { class: 'dialog-foot' }, actions),
  );
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}

function showSecret(created) {
  const secret = created.secret;
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      id: 'copy-secret',
      onclick: async () => {
        await navigator.clipboard.writeText(secret).then(
          () => toast('Key copied'),
          () => toast('Select the key and copy it'),
        );
      },
    },
    'Copy',
  );
  const d = dialog(
    `Key “${created.key.name}” created`,
    [
      h('p', { class: 'notice' }, 'Copy this key now: it is shown only once. ai-proxy keeps only its hash.'),
      h('div', { class: 'secret' }, h('code', { id: 'new-secret' }, secret), copy),
      h(
        'p',
        { class: 'muted small' },
        `Use it like the admin key: Authorization: Bearer <key>. It works within a second.`,
      ),
    ],
    [h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, 'Done')],
  );
}

function editDialog(key, reload) {
  const f = keyForm(key);
  const error = h('p', { class: 'form-error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'form-grid', id: 'key-form' }, f.fields);
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', form: 'key-form' },
    key ? 'Save changes' : 'Create key',
  );
  const d = dialog(
    key ? `Edit key “${key.name}”` : 'New key',
    [form, error],
    [h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel'), submit],
  );
  const before = key ? snapshot(form) : undefined;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const body = formBody(form, before);
      if (key) {
        await api(`keys/${encodeURIComponent(key.id)}`, { method: 'PATCH', body });
        toast('Key saved');
      } else showSecret(await api('keys', { method: 'POST', body }));
      d.close();
      await reload();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
}

function revokeDialog(key, reload) {
  const d = dialog(
    `Revoke key “${key.name}”?`,
    [h('p', {}, 'Requests with this key are refused within a second. This cannot be undone; its usage history stays.')],
    [
      h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel'),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          id: 'confirm-revoke',
          onclick: async () => {
            try {
              await api(`keys/${encodeURIComponent(key.id)}/revoke`, { method: 'POST', body: {} });
              toast(`Key ${key.name} revoked`);
              d.close();
              await reload();
            } catch (err) {
              toast(err.message);
            }
          },
        },
        'Revoke',
      ),
    ],
  );
}

export async function keysPage(main, ctx) {
  const showRevoked = h('input', { type: 'checkbox', id: 'show-revoked', onchange: () => reload() });
  const body = h('div');
  const note = h('p', { class: 'sub' }, '');
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Keys'), note),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { class: 'muted nowrap' }, showRevoked, ' Show revoked'),
        h(
          'button',
          { type: 'button', class: 'btn btn-primary', id: 'new-key', onclick: () => editDialog(undefined, reload) },
          '+ New key',
        ),
      ),
    ),
    card('Client keys', body),
  );
  async function reload() {
    const data = await api('keys');
    if (ctx.gone()) return;
    const keys = data.keys.filter((k) => showRevoked.checked || k.status !== 'revoked');
    const active = data.keys.filter((k) => k.status === 'active').length;
    note.textContent = `${active} active · ${data.keys.length - active} revoked or expired`;
    body.replaceChildren(
      table(
        [
          {
            label: 'Name',
            value: (k) => h('div', {}, h('strong', {}, k.name), h('div', { class: 'cell-sub mono' }, k.hint)),
          },
          { label: 'Status', value: (k) => badge(k.status, STATUS_KIND[k.status]) },
          {
            label: 'Models',
            value: (k) => (k.models.length ? k.models.join(', ') : h('span', { class: 'muted' }, 'all')),
          },
          { label: 'Rate limits', value: limitText },
          { label: 'Budget', value: budgetCell },
          {
            label: 'Expires',
            value: (k) => (k.expires_at ? k.expires_at.slice(0, 10) : h('span', { class: 'muted' }, 'never')),
          },
          { label: 'Created', value: (k) => k.created_at.slice(0, 10) },
          {
            label: '',
            value: (k) =>
              k.status === 'revoked'
                ? h('span', { class: 'muted small' }, `revoked ${k.revoked_at.slice(0, 10)}`)
                : h(
                    'div',
                    { class: 'toolbar' },
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        dataset: { edit: k.name },
                        onclick: () => editDialog(k, reload),
                      },
                      'Edit',
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small btn-danger',
                        dataset: { revoke: k.name },
                        onclick: () => revokeDialog(k, reload),
                      },
                      'Revoke',
                    ),
                  ),
          },
        ],
        keys,
        { empty: 'No keys yet: create one for each person or service that calls ai-proxy.' },
      ),
    );
  }
  await reload();
}
