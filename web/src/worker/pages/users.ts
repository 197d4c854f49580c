// /admin/users: the list of accounts, creating one, deleting one. Only for
// administrators; the server refuses the API to anyone else (403), and this page
// then says so instead of showing the forms.

import { ApiError } from '../../common/api';
import { confirmDialog } from '../../common/dialogs';
import { addressText, byId, checkFields, clearErrorsOnInput, clearStatus, h, replaceChildren, setBusy, setFieldError, setStatus } from '../../common/dom';
import { formatDateTime } from '../../common/format';
import { validateOptionalEmail, validatePassword, validateUsername } from '../../common/validation';
import { api } from '../api';
import { messageOf, pageStatus, showPageError, startAuthenticatedPage } from '../layout';
import type { NewUser, User } from '../types';

export async function init(): Promise<void> {
  const session = await startAuthenticatedPage('users');
  if (session === null) return;
  if (!session.user.is_admin) {
    setStatus(pageStatus(), 'Only administrators can manage users.', 'error');
    return;
  }
  const page = new UsersPage(session.user.id);
  page.attach();
  await page.reload();
}

class UsersPage {
  private readonly section = byId('users-section', HTMLElement);
  private readonly tableBody = byId('users-body', HTMLElement);
  private readonly count = byId('users-count', HTMLElement);
  private readonly form = byId('create-form', HTMLFormElement);
  private readonly username = byId('new-username', HTMLInputElement);
  private readonly password = byId('new-password', HTMLInputElement);
  private readonly email = byId('new-email', HTMLInputElement);
  private readonly isAdmin = byId('new-is-admin', HTMLInputElement);
  private readonly submit = byId('create-submit', HTMLButtonElement);
  private readonly status = byId('create-status', HTMLElement);

  constructor(private readonly selfId: number) {}

  attach(): void {
    this.section.hidden = false;
    clearErrorsOnInput(this.form, this.status);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
  }

  async reload(): Promise<void> {
    try {
      this.render(await api.listUsers());
    } catch (error) {
      showPageError(error);
    }
  }

  private render(users: User[]): void {
    this.count.textContent = users.length === 1 ? '1 account' : `${users.length} accounts`;
    replaceChildren(this.tableBody, ...users.map((user) => this.row(user)));
  }

  private row(user: User): HTMLElement {
    const isSelf = user.id === this.selfId;
    const remove = h(
      'button',
      {
        className: 'button danger small',
        attrs: { type: 'button', 'aria-label': `Delete ${user.username}`, disabled: isSelf, title: isSelf ? 'You cannot delete yourself' : undefined },
      },
      'Delete',
    );
    remove.addEventListener('click', () => void this.remove(user, remove));
    return h(
      'tr',
      {},
      h('th', { attrs: { scope: 'row' } }, h('span', { className: 'cell-text' }, user.username), isSelf ? h('span', { className: 'muted' }, ' (you)') : null),
      h('td', { className: 'hide-narrow' }, h('span', { className: 'cell-text' }, user.email === null ? '—' : addressText(user.email))),
      h('td', {}, user.is_admin ? 'Administrator' : 'User'),
      h('td', { className: 'hide-narrow' }, formatDateTime(user.created_at)),
      h('td', { className: 'actions-cell' }, remove),
    );
  }

  private async create(): Promise<void> {
    const ok = checkFields([
      [this.username, validateUsername(this.username.value)],
      [this.password, validatePassword(this.password.value)],
      [this.email, validateOptionalEmail(this.email.value.trim())],
    ]);
    if (!ok) return;
    const user: NewUser = {
      username: this.username.value,
      password: this.password.value,
      is_admin: this.isAdmin.checked,
    };
    const email = this.email.value.trim();
    if (email !== '') user.email = email;
    setBusy(this.submit, true, 'Creating…');
    try {
      const created = await api.createUser(user);
      this.form.reset();
      setStatus(this.status, `Created ${created.username}.`, 'success');
      await this.reload();
      this.username.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Said once, at the field; the server's own wording would say it again.
        setFieldError(this.username, 'This username is taken. Choose another one.');
        clearStatus(this.status);
        this.username.focus();
      } else {
        setStatus(this.status, messageOf(error), 'error');
      }
    } finally {
      setBusy(this.submit, false);
    }
  }

  private async remove(user: User, button: HTMLButtonElement): Promise<void> {
    const yes = await confirmDialog(
      `Delete ${user.username}?`,
      'The account, its photos and their results will be removed for good.',
      'Delete account',
    );
    if (!yes) return;
    setBusy(button, true, 'Deleting…');
    try {
      await api.deleteUser(user.id);
      setStatus(pageStatus(), `Deleted ${user.username}.`, 'success');
      await this.reload();
      // The row and its button are gone: keep the keyboard in the list.
      byId('users-heading', HTMLElement).focus();
    } catch (error) {
      setBusy(button, false);
      setStatus(pageStatus(), messageOf(error), 'error');
    }
  }
}
