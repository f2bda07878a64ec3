// Who you are: a quick user without an account (POST /rest/v1/users), or an account (sign up, sign in: bearer token).
import { api } from '../api.js';
import { session } from '../session.js';
import { h, withBusy } from '../ui.js';

function field(label, props) {
  const id = `f-${props.name}-${Math.random().toString(36).slice(2, 7)}`;
  return h('p.field', {}, h('label', { htmlFor: id }, label), h('input', { id, ...props }));
}

/** A form whose submit runs `action(values)` with a busy button and problem messages; the browser's own checks are off so the API's messages show. */
function form(title, button, fields, action) {
  const messages = h('div');
  const submit = h('button', { type: 'submit' }, button);
  const el = h('form', { noValidate: true }, h('h2', {}, title), fields, submit, messages);
  el.addEventListener('submit', event => {
    event.preventDefault();
    withBusy(submit, messages, () => action(Object.fromEntries(new FormData(el)), messages));
  });
  return el;
}

async function signIn(username, password) {
  const token = await api.signIn(username, password);
  session.token = token.access_token;
  const me = (await api.me()).users[0];
  Object.assign(session, { userId: me.id, name: me.name ?? username });
  session.save();
}

export async function accountView() {
  const heading = h('h1', { tabIndex: -1 }, session.userId ? 'Your account' : 'Create a user or sign in');
  if (session.userId) {
    const signOut = h('button', { type: 'button', onclick: () => { session.signOut(); location.hash = '#/account'; dispatchEvent(new HashChangeEvent('hashchange')); } }, 'Sign out');
    return h('div', {}, heading,
      h('p', {}, `You are ${session.name ?? 'user'} (user ${session.userId})${session.token ? ', signed in with an account' : ', a user without an account'}.`),
      h('p', {}, h('a', { href: '#/for-you' }, 'See your recommendations'), ' or ', h('a', { href: '#/search' }, 'find movies to rate'), '.'),
      signOut);
  }
  const done = () => { location.hash = '#/for-you'; };
  return h('div', {}, heading,
    h('div.forms', {},
      form('Quick start', 'Create a user', [
        h('p.muted', {}, 'A user without an account: its ratings need no password.'),
        field('Name', { name: 'name', autocomplete: 'nickname' }),
      ], async ({ name }) => {
        const user = await api.createUser(name || null);
        Object.assign(session, { userId: user.id, name: user.name ?? (name || null), token: null });
        session.save();
        done();
      }),
      form('Sign in', 'Sign in', [
        field('Username or email', { name: 'username', autocomplete: 'username' }),
        field('Password', { name: 'password', type: 'password', autocomplete: 'current-password' }),
      ], async ({ username, password }) => { await signIn(username, password); done(); }),
      form('Sign up', 'Create account', [
        field('Username', { name: 'username', autocomplete: 'username' }),
        field('Email', { name: 'email', type: 'email', autocomplete: 'email' }),
        field('Password (8 or more characters)', { name: 'password', type: 'password', autocomplete: 'new-password' }),
        field('Display name', { name: 'display_name', autocomplete: 'nickname' }),
      ], async account => {
        await api.signUp({ ...account, display_name: account.display_name || null });
        await signIn(account.username, account.password);
        done();
      })));
}
