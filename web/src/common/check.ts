// Runtime checks of the API's answers. A JSON answer is `unknown` until one of
// these has looked at every field the pages use; then it has its type, and the
// type is derived from the check (`Checked<typeof check>`), so each shape is
// written once. A wrong answer throws a ShapeError whose message names the field
// ("workers[1].balancer.healthy: expected true or false, got null"); the API
// client turns it into an ApiError with reason 'bad_response'.
//
// Fields the pages do not know are left out of the checked value, so that a newer
// server may add fields. Hand-written rather than a schema library: eight small
// combinators cover every answer of both APIs, with the exact messages above,
// and the bundles stay free of a dependency for them.

/** A check: the value with its type, or a ShapeError naming `path`. */
export type Check<T> = (value: unknown, path: string) => T;

/** The type a check gives. */
export type Checked<C> = C extends Check<infer T> ? T : never;

export class ShapeError extends Error {
  /** Where in the answer, e.g. `user.email`; '' for the answer itself. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path === '' ? 'the answer' : path}: ${problem}`);
    this.name = 'ShapeError';
    this.path = path;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 20 ? `${value.slice(0, 19)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function expect(path: string, expected: string, value: unknown): never {
  throw new ShapeError(path, `expected ${expected}, got ${describe(value)}`);
}

function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export const text: Check<string> = (value, path) => (typeof value === 'string' ? value : expect(path, 'text', value));

/** A finite number (JSON has no others, but a check must not trust that either). */
export const number: Check<number> = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) ? value : expect(path, 'a number', value);

export const boolean: Check<boolean> = (value, path) =>
  typeof value === 'boolean' ? value : expect(path, 'true or false', value);

/** One of the given texts. */
export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, path) =>
    typeof value === 'string' && (values as readonly string[]).includes(value)
      ? (value as T)
      : expect(path, `one of ${values.join(', ')}`, value);
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, path) => (value === null ? null : check(value, path));
}

export function listOf<T>(check: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return expect(path, 'a list', value);
    return value.map((item: unknown, index) => check(item, `${path}[${index}]`));
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object used as a map: any keys, every value passing `check`. */
export function mapOf<T>(check: Check<T>): Check<Record<string, T>> {
  return (value, path) => {
    if (!isRecord(value)) return expect(path, 'an object', value);
    const out: Record<string, T> = {};
    for (const [key, item] of Object.entries(value)) out[key] = check(item, field(path, key));
    return out;
  };
}

type Shape = Record<string, Check<unknown>>;
type Fields<S extends Shape> = { [K in keyof S]: Checked<S[K]> };
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * An object with the `required` fields (each present, `null` only where its check
 * allows it) and the `optional` ones (absent, or passing their check).
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Check<Flat<Fields<R> & Partial<Fields<O>>>> {
  return (value, path) => {
    if (!isRecord(value)) return expect(path, 'an object', value);
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(required)) {
      if (!(key in value)) throw new ShapeError(field(path, key), 'missing');
      out[key] = check(value[key], field(path, key));
    }
    for (const [key, check] of Object.entries(optional ?? {})) {
      if (key in value && value[key] !== undefined) out[key] = check(value[key], field(path, key));
    }
    return out as Flat<Fields<R> & Partial<Fields<O>>>;
  };
}

/** An answer whose body the pages do not read (204, or a 202 with a note): anything passes. */
export const ignored: Check<void> = () => undefined;
