// Keys: the list with each key's limits and budget used, and create, change and revoke, each
// the same action as `ai-proxy keys create|update|revoke`. A new key is shown once, here.
import { api } from './api.js';
import { badge, bar, card, count, h, percent, table, toast } from './dom.js';
import { formBody, keyForm, snapshot } from './key-form.js';

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
