// The sign-in form: posts the key or password as JSON; on success goes where the user was headed.
const form = document.getElementById('sign-in-form');
const error = document.getElementById('sign-in-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  error.hidden = true;
  try {
    const res = await fetch('/console/api/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ secret: form.secret.value }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      const next = new URLSearchParams(location.search).get('next');
      location.assign(next && /^\/console\/[\w/-]*$/.test(next) ? next : '/console/');
      return;
    }
    const data = await res.json().catch(() => ({}));
    error.textContent = data?.error?.message ?? `sign-in failed (${res.status})`;
    error.hidden = false;
    form.secret.select();
  } catch (e) {
    error.textContent = `the console did not answer: ${e.message}`;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
