// Who is using the page: a user id (created here, or an account's after sign-in), the account's bearer token, and the
// admin key for the admin view. Kept in localStorage so a reload keeps them; "Sign out" forgets them.
const KEY = 'movierecs.session';

const saved = JSON.parse(localStorage.getItem(KEY) || '{}');

export const session = {
  userId: saved.userId ?? null,
  name: saved.name ?? null,
  token: saved.token ?? null,
  adminKey: saved.adminKey ?? '',

  save() {
    const { userId, name, token, adminKey } = this;
    localStorage.setItem(KEY, JSON.stringify({ userId, name, token, adminKey }));
    document.dispatchEvent(new CustomEvent('session-changed'));
  },
  signOut() {
    Object.assign(this, { userId: null, name: null, token: null });
    this.save();
  },
};
