// Confirmations in a modal <dialog> (focus kept inside, Escape cancels, focus
// returned to where it was): a yes/no question, and a typed one that asks for a
// phrase ("delete all data") before the button acts, for the one action that
// cannot be undone. Where <dialog> is not supported they fall back to
// window.confirm and window.prompt.

import { h } from './dom';

/** The typed phrase matches when it is the phrase, ignoring case and outer spaces. */
export function phraseMatches(typed: string, phrase: string): boolean {
  return typed.trim().toLowerCase() === phrase.toLowerCase();
}

interface ModalParts {
  /** Between the message and the buttons (the typed confirmation's field). */
  body?: HTMLElement;
  cancel: HTMLButtonElement;
  confirm: HTMLButtonElement;
  /** Gets the focus when the dialog opens. */
  focus: HTMLElement;
  /** Whether a click on `confirm` (or a submit) means yes. */
  accepted: () => boolean;
}

/** Shows the dialog; resolves with the answer once it is closed, and removes it. */
function showModal(title: string, message: string, parts: ModalParts): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = 'confirm-dialog-title';
    const actions = h('div', { className: 'dialog-actions' }, parts.cancel, parts.confirm);
    // The typed confirmation is a form (Enter confirms); main's submit guard keeps it from the browser.
    const form =
      parts.body === undefined ? null : h('form', { attrs: { method: 'dialog', novalidate: true } }, parts.body, actions);
    const dialog = h(
      'dialog',
      { className: 'confirm-dialog', attrs: { 'aria-labelledby': titleId } },
      h('h2', { attrs: { id: titleId } }, title),
      h('p', {}, message),
      form ?? actions,
    );
    const previousFocus = document.activeElement;
    let answered = false;
    const finish = (answer: boolean) => {
      if (answered) return;
      answered = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (previousFocus instanceof HTMLElement && previousFocus.isConnected) previousFocus.focus();
      resolve(answer);
    };
    form?.addEventListener('submit', () => finish(parts.accepted()));
    parts.confirm.addEventListener('click', () => finish(parts.accepted()));
    parts.cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('close', () => finish(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    parts.focus.focus();
  });
}

function cancelButton(): HTMLButtonElement {
  return h('button', { className: 'button secondary', attrs: { type: 'button', value: 'cancel' } }, 'Cancel');
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  if (typeof HTMLDialogElement === 'undefined') {
    return Promise.resolve(window.confirm(`${title}\n\n${message}`));
  }
  const cancel = cancelButton();
  const confirm = h('button', { className: 'button danger', attrs: { type: 'button', value: 'confirm' } }, confirmLabel);
  return showModal(title, message, { cancel, confirm, focus: cancel, accepted: () => true });
}

/** Asks for `phrase` to be typed; the button stays disabled until it matches. */
export function typedConfirmDialog(title: string, message: string, phrase: string, confirmLabel: string): Promise<boolean> {
  if (typeof HTMLDialogElement === 'undefined') {
    const typed = window.prompt(`${title}\n\n${message}\n\nType "${phrase}" to confirm.`);
    return Promise.resolve(typed !== null && phraseMatches(typed, phrase));
  }
  const inputId = 'typed-confirm-input';
  const hintId = 'typed-confirm-hint';
  const input = h('input', {
    attrs: { id: inputId, type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': hintId },
  });
  const confirm = h('button', { className: 'button danger', attrs: { type: 'submit', value: 'confirm', disabled: true } }, confirmLabel);
  const accepted = () => phraseMatches(input.value, phrase);
  input.addEventListener('input', () => {
    confirm.disabled = !accepted();
  });
  const body = h(
    'div',
    { className: 'field' },
    h('label', { attrs: { for: inputId } }, 'Type “', h('strong', {}, phrase), '” to confirm'),
    input,
    h('span', { className: 'hint', attrs: { id: hintId } }, 'This cannot be undone.'),
  );
  return showModal(title, message, { body, cancel: cancelButton(), confirm, focus: input, accepted });
}
