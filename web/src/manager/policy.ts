// The auto-scaling policy as the policy page edits it: reading the form's text
// into numbers, and the server's rules (src/maskfleet/scaler/policy.cc,
// Validate) repeated so that a mistake is shown before the round trip. The
// server checks everything again; its messages are the rule, and these follow
// their wording. Pure functions, unit-tested in test/manager_policy.test.ts.

import type { ScalingPolicy } from './types';

export type PolicyField = Exclude<keyof ScalingPolicy, 'paused' | 'warnings'>;

/** The form's fields in the order of the page (and of the server's checks). */
export const POLICY_FIELDS: readonly PolicyField[] = [
  'grow_threshold',
  'shrink_threshold',
  'expand_ratio',
  'shrink_ratio',
  'min_workers',
  'max_workers',
  'check_interval_seconds',
  'window_seconds',
  'shrink_stabilisation_seconds',
];

/** How the messages (the server's and these) name each field. */
export const POLICY_FIELD_NAMES: Readonly<Record<PolicyField, string>> = {
  grow_threshold: 'grow threshold',
  shrink_threshold: 'shrink threshold',
  expand_ratio: 'expand ratio',
  shrink_ratio: 'shrink ratio',
  min_workers: 'minimum workers',
  max_workers: 'maximum workers',
  check_interval_seconds: 'check interval',
  window_seconds: 'averaging window',
  shrink_stabilisation_seconds: 'shrink stabilisation',
};

/** Whole numbers only (a count of workers, seconds). */
const INTEGER_FIELDS: ReadonlySet<PolicyField> = new Set<PolicyField>([
  'min_workers',
  'max_workers',
  'check_interval_seconds',
  'window_seconds',
  'shrink_stabilisation_seconds',
]);

// policy.h's constants.
export const MIN_WORKERS_ALLOWED = 1;
export const MAX_WORKERS_ALLOWED = 8;
export const MAX_EXPAND_RATIO = 10;

export const DEFAULT_POLICY: Readonly<ScalingPolicy> = {
  grow_threshold: 70,
  shrink_threshold: 30,
  expand_ratio: 2,
  shrink_ratio: 0.5,
  min_workers: 1,
  max_workers: 8,
  check_interval_seconds: 60,
  window_seconds: 120,
  shrink_stabilisation_seconds: 300,
  paused: false,
};

export interface PolicyProblem {
  /** The field to mark, or null when the message is about the whole policy. */
  field: PolicyField | null;
  /** A sentence for a person that names the field. */
  message: string;
}

/** "Grow threshold (150%) must ..." from the server's lower-case wording. */
function sentence(text: string): string {
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** A number as C's "%g" writes it, near enough: 70, 72.5, 0.333333. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type PolicyFormValues = Readonly<Record<PolicyField, string>>;

export type ParseResult = { ok: true; policy: ScalingPolicy } | { ok: false; problems: PolicyProblem[] };

/**
 * The form's text as a policy, or a problem for each field that is not a
 * number (or not a whole one where the server wants one). `paused` is not a
 * form field: the caller passes the stored value.
 */
export function parsePolicyForm(values: PolicyFormValues, paused: boolean): ParseResult {
  const problems: PolicyProblem[] = [];
  const policy: ScalingPolicy = { ...DEFAULT_POLICY, paused };
  for (const field of POLICY_FIELDS) {
    const text = values[field].trim();
    const name = POLICY_FIELD_NAMES[field];
    if (text === '') {
      problems.push({ field, message: sentence(`${name} is missing: enter a number`) });
      continue;
    }
    if (!NUMBER_PATTERN.test(text)) {
      problems.push({ field, message: sentence(`${name} ("${text}") must be a number`) });
      continue;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) {
      problems.push({ field, message: sentence(`${name} ("${text}") must be a number`) });
      continue;
    }
    if (INTEGER_FIELDS.has(field) && !Number.isInteger(value)) {
      problems.push({ field, message: sentence(`${name} (${formatNumber(value)}) must be a whole number`) });
      continue;
    }
    policy[field] = value;
  }
  return problems.length === 0 ? { ok: true, policy } : { ok: false, problems };
}

/**
 * Every rule of policy.cc's Validate that `p` breaks, in the server's order, at
 * most one per field; a rule between two fields is checked only when both pass
 * their own. The first problem is the one the server would report, worded the
 * same way. Empty when the policy is acceptable.
 */
export function validatePolicy(p: ScalingPolicy): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const bad = new Set<PolicyField>();
  const refuse = (field: PolicyField, message: string) => {
    if (bad.has(field)) return;
    bad.add(field);
    problems.push({ field, message: sentence(message) });
  };
  const n = formatNumber;
  const s = (seconds: number) => `${n(seconds)} s`;

  for (const field of ['grow_threshold', 'shrink_threshold', 'expand_ratio', 'shrink_ratio'] as const) {
    if (!Number.isFinite(p[field])) refuse(field, `${POLICY_FIELD_NAMES[field]} must be a number`);
  }
  if (!bad.has('grow_threshold') && (p.grow_threshold <= 0 || p.grow_threshold > 100)) {
    refuse('grow_threshold', `grow threshold (${n(p.grow_threshold)}%) must be above 0% and at most 100% of the workers' CPU`);
  }
  if (!bad.has('shrink_threshold') && (p.shrink_threshold < 0 || p.shrink_threshold >= 100)) {
    refuse(
      'shrink_threshold',
      `shrink threshold (${n(p.shrink_threshold)}%) must be at least 0% and below 100% of the workers' CPU`,
    );
  }
  if (!bad.has('grow_threshold') && !bad.has('shrink_threshold') && p.shrink_threshold >= p.grow_threshold) {
    refuse(
      'shrink_threshold',
      `shrink threshold (${n(p.shrink_threshold)}%) must be below the grow threshold (${n(p.grow_threshold)}%): ` +
        'otherwise one load can call for both growing and shrinking and the pool never settles',
    );
  }
  if (!bad.has('expand_ratio') && (p.expand_ratio <= 1 || p.expand_ratio > MAX_EXPAND_RATIO)) {
    refuse(
      'expand_ratio',
      `expand ratio (${n(p.expand_ratio)}) must be above 1 (1 would never grow) and at most ${n(MAX_EXPAND_RATIO)} ` +
        '(2.0 doubles the pool)',
    );
  }
  if (!bad.has('shrink_ratio') && (p.shrink_ratio <= 0 || p.shrink_ratio >= 1)) {
    refuse('shrink_ratio', `shrink ratio (${n(p.shrink_ratio)}) must be above 0 and below 1 (0.5 removes half of the workers)`);
  }
  for (const field of ['min_workers', 'max_workers'] as const) {
    const value = p[field];
    if (!Number.isInteger(value) || value < MIN_WORKERS_ALLOWED || value > MAX_WORKERS_ALLOWED) {
      refuse(
        field,
        `${POLICY_FIELD_NAMES[field]} (${n(value)}) must be between ${MIN_WORKERS_ALLOWED} and ${MAX_WORKERS_ALLOWED}`,
      );
    }
  }
  if (!bad.has('min_workers') && !bad.has('max_workers') && p.min_workers > p.max_workers) {
    refuse('min_workers', `minimum workers (${p.min_workers}) must not exceed maximum workers (${p.max_workers})`);
  }
  if (!(p.check_interval_seconds > 0)) {
    refuse('check_interval_seconds', `check interval (${s(p.check_interval_seconds)}) must be positive`);
  }
  if (!(p.window_seconds > 0)) {
    refuse('window_seconds', `averaging window (${s(p.window_seconds)}) must be positive`);
  }
  if (!bad.has('window_seconds') && !bad.has('check_interval_seconds') && p.window_seconds < p.check_interval_seconds) {
    refuse(
      'window_seconds',
      `averaging window (${s(p.window_seconds)}) must be at least the check interval (${s(p.check_interval_seconds)}), ` +
        'or some minutes would never be looked at',
    );
  }
  if (!(p.shrink_stabilisation_seconds >= 0)) {
    refuse('shrink_stabilisation_seconds', `shrink stabilisation (${s(p.shrink_stabilisation_seconds)}) must not be negative`);
  }
  return problems;
}

/**
 * The field a server message is about, for marking it: the message names it
 * ("shrink threshold (80%) must be below ...", or the JSON name
 * "shrink_threshold"). Null when it names none.
 */
export function fieldOfMessage(message: string): PolicyField | null {
  const text = message.toLowerCase();
  for (const field of POLICY_FIELDS) {
    if (new RegExp(`\\b${field}\\b`).test(text)) return field;
  }
  let best: { field: PolicyField; at: number } | null = null;
  for (const field of POLICY_FIELDS) {
    const at = text.indexOf(POLICY_FIELD_NAMES[field]);
    if (at >= 0 && (best === null || at < best.at)) best = { field, at };
  }
  return best?.field ?? null;
}
