// Small DOM helpers. Text from the server (user names, file names, messages)
// only ever enters the page as text nodes or attribute values, never as HTML:
// nothing here takes markup, and no module of the bundle uses innerHTML.

type Child = Node | string | number | null | undefined | false;

export interface ElementProps {
  className?: string;
  /** Attributes set with setAttribute (values are text, never parsed as HTML). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

/** Creates `<tag>` with attributes and children; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className !== undefined) element.className = props.className;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild !== null) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** The element with this id, of this type; a missing one is a bug in a page template. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`page template lacks #${id} (${type.name})`);
  }
  return element;
}

export type StatusKind = 'info' | 'success' | 'error';

/**
 * Shows a message in a status region: an element with role="status" in the
 * template, always present and only empty when there is nothing to say (a live
 * region that is hidden and then shown is not reliably announced).
 */
export function setStatus(region: HTMLElement, message: string, kind: StatusKind = 'info'): void {
  region.dataset['kind'] = kind;
  region.textContent = message;
}

export function clearStatus(region: HTMLElement): void {
  setStatus(region, '');
}

/**
 * Marks a form field as wrong (or right again, with null): aria-invalid, and the
 * message in the element `#<field id>-error`, which aria-describedby points at.
 */
export function setFieldError(field: HTMLInputElement, message: string | null): void {
  const errorId = `${field.id}-error`;
  let error = document.getElementById(errorId);
  if (error === null) {
    error = h('p', { className: 'field-error', attrs: { id: errorId } });
    // Below the field's hint when it sits in a .field box, else right after it.
    const box = field.parentElement;
    if (box !== null && box.classList.contains('field')) box.appendChild(error);
    else field.insertAdjacentElement('afterend', error);
  }
  const describedBy = new Set((field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
  if (message === null) {
    field.removeAttribute('aria-invalid');
    error.textContent = '';
    error.hidden = true;
  } else {
    field.setAttribute('aria-invalid', 'true');
    error.textContent = message;
    error.hidden = false;
    describedBy.add(errorId);
  }
  if (describedBy.size > 0) field.setAttribute('aria-describedby', [...describedBy].join(' '));
}

/**
 * Runs each check on its field, shows the messages, focuses the first wrong
 * field; true when all are right.
 */
export function checkFields(checks: ReadonlyArray<[HTMLInputElement, string | null]>): boolean {
  let first: HTMLInputElement | null = null;
  for (const [field, message] of checks) {
    setFieldError(field, message);
    if (message !== null && first === null) first = field;
  }
  first?.focus();
  return first === null;
}

/** Disables a button while its action runs, with a visible and audible label. */
export function setBusy(button: HTMLButtonElement, busy: boolean, busyLabel?: string): void {
  if (busy) {
    button.dataset['label'] ??= button.textContent ?? '';
    if (busyLabel !== undefined) button.textContent = busyLabel;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  } else {
    if (button.dataset['label'] !== undefined) button.textContent = button.dataset['label'];
    delete button.dataset['label'];
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * One message per failure, gone once the person acts again: any change in `form`
 * clears the error shown in `regions` and the error of the field being changed.
 */
export function clearErrorsOnInput(form: HTMLElement, ...regions: HTMLElement[]): void {
  form.addEventListener('input', (event) => {
    for (const region of regions) if (region.dataset['kind'] === 'error') clearStatus(region);
    const field = event.target;
    if (field instanceof HTMLInputElement && field.getAttribute('aria-invalid') === 'true') setFieldError(field, null);
  });
}

// The characters after which an address (a URL, an e-mail address) may wrap.
const ADDRESS_PARTS = /[^/.?&=@_-]+[/.?&=@_-]*|[/.?&=@_-]+/g;

/**
 * An address as text that wraps between its parts (after / . ? & = @ - _), never
 * inside a word: a <wbr> after each part. A part longer than the line still
 * breaks (the stylesheet's overflow-wrap), but only then.
 */
export function addressText(address: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const part of address.match(ADDRESS_PARTS) ?? []) {
    if (fragment.firstChild !== null) fragment.appendChild(document.createElement('wbr'));
    fragment.appendChild(document.createTextNode(part));
  }
  return fragment;
}
