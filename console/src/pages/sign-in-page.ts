import { api, type Session } from '../api.js';
import { errorMessage } from '../async-region.js';
import { h, replaceChildren } from '../element.js';

/** The sign-in form: user name and password, errors announced, the first field focused. */
export function signInPage(onSignedIn: (session: Session) => Promise<void>): HTMLElement {
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'username' }, 'User name'), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    submit,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (username.value.trim() === '' || password.value === '') {
      replaceChildren(status, errorMessage(new Error('Enter your user name and password.')));
      return;
    }
    submit.disabled = true;
    void api<Session>('session', {
      method: 'POST',
      body: { username: username.value.trim(), password: password.value },
    })
      .then(onSignedIn)
      .catch((error: unknown) => {
        password.value = '';
        replaceChildren(status, errorMessage(error));
        password.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  queueMicrotask(() => username.focus());
  return h(
    'main',
    { id: 'main', class: 'sign-in-page' },
    h(
      'div',
      { class: 'sign-in-box' },
      h('p', { class: 'brand' }, 'loopcds ', h('span', { class: 'brand-sub' }, 'console')),
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'hint' },
        'For pharmacists, clinical informaticians and administrators of this loopcds service.',
      ),
      form,
    ),
  );
}
