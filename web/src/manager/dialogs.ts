// A confirmation that asks the person to type a phrase ("delete all data")
// before the button acts: for the one action that cannot be undone. A modal
// <dialog> as dom.ts's confirmDialog (focus kept inside, Escape cancels), with a
// labelled text field; the button stays disabled until the phrase matches.

import { h } from '../dom';

/** The typed phrase matches when it is the phrase, ignoring case and outer spaces. */
export function phraseMatches(typed: string, phrase: string): boolean {
  return typed.trim().toLowerCase() === phrase.toLowerCase();
}

export function typedConfirmDialog(title: string, message: string, phrase: string, confirmLabel: string): Promise<boolean> {
  if (typeof HTMLDialogElement === 'undefined') {
    const typed = window.prompt(`${title}\n\n${message}\n\nType "${phrase}" to confirm.`);
    return Promise.resolve(typed !== null && phraseMatches(typed, phrase));
  }
  return new Promise((resolve) => {
    const titleId = 'typed-confirm-title';
    const inputId = 'typed-confirm-input';
    const hintId = 'typed-confirm-hint';
    const input = h('input', {
      attrs: { id: inputId, type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': hintId },
    });
    const cancel = h('button', { className: 'button secondary', attrs: { type: 'button', value: 'cancel' } }, 'Cancel');
    const confirm = h('button', { className: 'button danger', attrs: { type: 'submit', value: 'confirm', disabled: true } }, confirmLabel);
    const form = h(
      'form',
      { attrs: { method: 'dialog', novalidate: true } },
      h(
        'div',
        { className: 'field' },
        h('label', { attrs: { for: inputId } }, 'Type “', h('strong', {}, phrase), '” to confirm'),
        input,
        h('span', { className: 'hint', attrs: { id: hintId } }, 'This cannot be undone.'),
      ),
      h('div', { className: 'dialog-actions' }, cancel, confirm),
    );
    const dialog = h(
      'dialog',
      { className: 'confirm-dialog', attrs: { 'aria-labelledby': titleId } },
      h('h2', { attrs: { id: titleId } }, title),
      h('p', {}, message),
      form,
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
    input.addEventListener('input', () => {
      confirm.disabled = !phraseMatches(input.value, phrase);
    });
    // main.ts stops every submit from reaching the browser; the dialog answers here.
    form.addEventListener('submit', () => finish(phraseMatches(input.value, phrase)));
    confirm.addEventListener('click', () => finish(phraseMatches(input.value, phrase)));
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('close', () => finish(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}
