import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_POLICY,
  fieldOfMessage,
  formatNumber,
  parsePolicyForm,
  POLICY_FIELDS,
  validatePolicy,
  type PolicyFormValues,
} from '../src/manager/policy';
import type { ScalingPolicy } from '../src/manager/types';

function form(overrides: Partial<Record<keyof PolicyFormValues, string>> = {}): PolicyFormValues {
  const values = {} as Record<keyof PolicyFormValues, string>;
  for (const field of POLICY_FIELDS) values[field] = String(DEFAULT_POLICY[field]);
  return { ...values, ...overrides };
}

function policy(overrides: Partial<ScalingPolicy> = {}): ScalingPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

/** The first problem's message (the server's), or null. */
function firstMessage(p: ScalingPolicy): string | null {
  return validatePolicy(p)[0]?.message ?? null;
}

describe('parsePolicyForm', () => {
  it('reads the defaults back, keeping the paused flag given', () => {
    const result = parsePolicyForm(form(), true);
    assert.deepEqual(result, { ok: true, policy: { ...DEFAULT_POLICY, paused: true } });
  });

  it('accepts decimals, spaces around and exponents', () => {
    const result = parsePolicyForm(form({ grow_threshold: ' 72.5 ', expand_ratio: '1.5', shrink_ratio: '.25', window_seconds: '1.2e2' }), false);
    assert.equal(result.ok, true);
    if (result.ok) {
      assert.equal(result.policy.grow_threshold, 72.5);
      assert.equal(result.policy.shrink_ratio, 0.25);
      assert.equal(result.policy.window_seconds, 120);
    }
  });

  it('names each field that is empty, not a number or not whole', () => {
    const result = parsePolicyForm(form({ grow_threshold: '', expand_ratio: 'two', min_workers: '1.5', check_interval_seconds: '0x10' }), false);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => p.field),
      ['grow_threshold', 'expand_ratio', 'min_workers', 'check_interval_seconds'],
    );
    assert.match(result.problems[0]?.message ?? '', /^Grow threshold is missing/);
    assert.match(result.problems[1]?.message ?? '', /^Expand ratio \("two"\) must be a number\.$/);
    assert.match(result.problems[2]?.message ?? '', /^Minimum workers \(1\.5\) must be a whole number\.$/);
  });
});

describe('validatePolicy (policy.cc Validate, same rules and words)', () => {
  it('accepts the defaults and the edges of every range', () => {
    assert.deepEqual(validatePolicy(policy()), []);
    assert.deepEqual(
      validatePolicy(
        policy({
          grow_threshold: 100,
          shrink_threshold: 0,
          expand_ratio: 10,
          shrink_ratio: 0.01,
          min_workers: 8,
          max_workers: 8,
          check_interval_seconds: 1,
          window_seconds: 1,
          shrink_stabilisation_seconds: 0,
        }),
      ),
      [],
    );
  });

  it('grow threshold: above 0, at most 100', () => {
    assert.equal(
      firstMessage(policy({ grow_threshold: 0 })),
      "Grow threshold (0%) must be above 0% and at most 100% of the workers' CPU.",
    );
    assert.match(firstMessage(policy({ grow_threshold: 100.5 })) ?? '', /^Grow threshold \(100\.5%\)/);
  });

  it('shrink threshold: at least 0, below 100, below the grow threshold', () => {
    assert.match(firstMessage(policy({ shrink_threshold: -1 })) ?? '', /^Shrink threshold \(-1%\) must be at least 0%/);
    assert.equal(
      firstMessage(policy({ shrink_threshold: 80, grow_threshold: 70 })),
      'Shrink threshold (80%) must be below the grow threshold (70%): otherwise one load can call for both growing ' +
        'and shrinking and the pool never settles.',
    );
    assert.match(firstMessage(policy({ shrink_threshold: 70, grow_threshold: 70 })) ?? '', /must be below the grow threshold/);
  });

  it('ratios: expand in (1, 10], shrink in (0, 1)', () => {
    assert.match(firstMessage(policy({ expand_ratio: 1 })) ?? '', /^Expand ratio \(1\) must be above 1 \(1 would never grow\) and at most 10/);
    assert.match(firstMessage(policy({ expand_ratio: 10.5 })) ?? '', /^Expand ratio \(10\.5\)/);
    assert.match(firstMessage(policy({ shrink_ratio: 0 })) ?? '', /^Shrink ratio \(0\) must be above 0 and below 1/);
    assert.match(firstMessage(policy({ shrink_ratio: 1 })) ?? '', /^Shrink ratio \(1\)/);
  });

  it('bounds: both in 1..8, minimum not above maximum', () => {
    assert.equal(firstMessage(policy({ min_workers: 0 })), 'Minimum workers (0) must be between 1 and 8.');
    assert.equal(firstMessage(policy({ max_workers: 9 })), 'Maximum workers (9) must be between 1 and 8.');
    assert.equal(
      firstMessage(policy({ min_workers: 5, max_workers: 3 })),
      'Minimum workers (5) must not exceed maximum workers (3).',
    );
  });

  it('timing: positive interval and window, window at least the interval, stabilisation not negative', () => {
    assert.equal(firstMessage(policy({ check_interval_seconds: 0 })), 'Check interval (0 s) must be positive.');
    assert.equal(firstMessage(policy({ window_seconds: -5 })), 'Averaging window (-5 s) must be positive.');
    assert.equal(
      firstMessage(policy({ check_interval_seconds: 60, window_seconds: 30 })),
      'Averaging window (30 s) must be at least the check interval (60 s), or some minutes would never be looked at.',
    );
    assert.equal(
      firstMessage(policy({ shrink_stabilisation_seconds: -1 })),
      'Shrink stabilisation (-1 s) must not be negative.',
    );
  });

  it('reports the server first problem first, and at most one problem per field', () => {
    const problems = validatePolicy(policy({ grow_threshold: 150, shrink_threshold: 120, min_workers: 0, window_seconds: 0 }));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['grow_threshold', 'shrink_threshold', 'min_workers', 'window_seconds'],
    );
    // The relation between the thresholds is not checked while one of them is out of range.
    assert.equal(problems.filter((p) => p.field === 'shrink_threshold').length, 1);
    assert.match(problems[1]?.message ?? '', /below 100%/);
  });

  it('refuses numbers that are not finite', () => {
    assert.match(firstMessage(policy({ expand_ratio: Number.NaN })) ?? '', /^Expand ratio must be a number\.$/);
  });
});

describe('fieldOfMessage', () => {
  it('finds the field a server message names first', () => {
    assert.equal(fieldOfMessage('shrink threshold (80%) must be below the grow threshold (70%)'), 'shrink_threshold');
    assert.equal(fieldOfMessage('The manager refused: maximum workers (9) must be between 1 and 8'), 'max_workers');
    assert.equal(fieldOfMessage('averaging window (30 s) must be at least the check interval (60 s)'), 'window_seconds');
    assert.equal(fieldOfMessage('min_workers must be an integer'), 'min_workers');
    assert.equal(fieldOfMessage('every threshold and ratio must be a number'), null);
  });
});

describe('formatNumber (as %g)', () => {
  it('writes whole numbers without a point and keeps 6 significant digits', () => {
    assert.equal(formatNumber(70), '70');
    assert.equal(formatNumber(72.5), '72.5');
    assert.equal(formatNumber(1 / 3), '0.333333');
  });
});
