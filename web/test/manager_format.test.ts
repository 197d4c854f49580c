import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatClock, formatDateTime } from '../src/common/format';
import {
  actionLabel,
  chartSummary,
  countsText,
  decisionReasonText,
  formatAllotment,
  formatPercent,
  formatRate,
  formatSince,
  formatTick,
  isLive,
  resizesOnly,
  sizeButtons,
  stateLabel,
  stateTone,
} from '../src/manager/format';

describe('manager formatting', () => {
  it('labels states and picks a tone, with unknown states shown as written', () => {
    assert.equal(stateLabel('in_service'), 'In service');
    assert.equal(stateLabel('failed'), 'Failed');
    assert.equal(stateLabel('warming_up'), 'warming up');
    assert.equal(stateTone('in_service'), 'ok');
    assert.equal(stateTone('draining'), 'busy');
    assert.equal(stateTone('failed'), 'bad');
    assert.equal(stateTone('stopped'), 'idle');
    assert.equal(isLive('draining'), true);
    assert.equal(isLive('stopped'), false);
    assert.equal(actionLabel('grow'), 'Grow');
  });

  it('writes percentages, rates and allotments; gaps as a dash', () => {
    assert.equal(formatPercent(12.345), '12.3%');
    assert.equal(formatPercent(null), '—');
    assert.equal(formatRate(30), '30/min');
    assert.equal(formatAllotment('0.25'), '0.25 CPU');
    assert.equal(formatAllotment(2), '2 CPUs');
    assert.equal(formatAllotment('n/a'), 'n/a');
    assert.equal(formatAllotment(undefined), '—');
  });

  it('counts and the bounds of the size buttons', () => {
    assert.equal(countsText({ in_service: 2, starting: 1, draining: 0 }), '2 in service, 1 starting, 0 draining');
    assert.deepEqual(sizeButtons(1, { min: 1, max: 8 }), { canGrow: true, canShrink: false });
    assert.deepEqual(sizeButtons(8, { min: 1, max: 8 }), { canGrow: false, canShrink: true });
    assert.deepEqual(sizeButtons(3, { min: 1, max: 8 }), { canGrow: true, canShrink: true });
  });

  it('times in a given zone, and how long since', () => {
    const options = { timeZone: 'UTC' };
    assert.equal(formatClock(new Date('2026-11-27T20:30:04Z'), options), '20:30:04 UTC');
    assert.equal(formatDateTime('2026-11-27T20:30:04Z', { ...options, seconds: true }), '27 Nov 2026, 20:30:04 UTC');
    assert.equal(formatDateTime('soon', { ...options, seconds: true }), 'soon');
    const now = new Date('2026-11-27T21:35:10Z');
    assert.equal(formatSince('2026-11-27T21:35:00Z', now), 'for 10 s');
    assert.equal(formatSince('2026-11-27T21:30:00Z', now), 'for 5 min');
    assert.equal(formatSince('2026-11-27T19:30:00Z', now), 'for 2 h 5 min');
    assert.equal(formatSince('nonsense', now), '');
  });

  it('sums a chart up in words', () => {
    assert.equal(chartSummary('CPU', null, null, formatPercent), 'CPU, past 30 minutes: nothing measured yet.');
    assert.equal(chartSummary('CPU', 12, 40, formatPercent), 'CPU, past 30 minutes: latest 12%, highest 40%.');
  });
});

describe('formatTick', () => {
  it('writes a time axis tick on a 24-hour clock', () => {
    assert.equal(formatTick(Date.UTC(2026, 10, 27, 22, 5) / 1000, 'UTC'), '22:05');
    assert.equal(formatTick(Date.UTC(2026, 10, 27, 0, 0) / 1000, 'UTC'), '00:00');
  });
});

describe('the decision log', () => {
  it('keeps only the checks that changed the size, in their order', () => {
    const d = (action: string, before: number, after: number) => ({ action, size_before: before, size_after: after });
    const log = [d('hold', 2, 2), d('shrink', 2, 1), d('grow', 8, 8), d('grow', 1, 2), d('shrink', 1, 1)];
    assert.deepEqual(resizesOnly(log), [d('shrink', 2, 1), d('grow', 1, 2)]);
    assert.deepEqual(resizesOnly([]), []);
  });

  it('writes a reason as a sentence, a resize in words', () => {
    assert.equal(
      decisionReasonText('average CPU 82.0% over 2 min is above the grow threshold 70%: grow 1 -> 2'),
      'Average CPU 82.0% over 2 min is above the grow threshold 70%, so the pool grows from 1 to 2 workers.',
    );
    assert.equal(
      decisionReasonText('pool of 3 is above the maximum of 2: shrink 3 -> 2'),
      'Pool of 3 is above the maximum of 2, so the pool shrinks from 3 to 2 workers.',
    );
    assert.equal(decisionReasonText('pool of 0 is below the minimum of 1: grow 0 -> 1'), 'Pool of 0 is below the minimum of 1, so the pool grows from 0 to 1 worker.');
    assert.equal(decisionReasonText('paused'), 'Paused.');
    assert.equal(decisionReasonText('waiting: w2 -> w3'), 'Waiting: w2 → w3.');
    assert.equal(decisionReasonText('  '), '—');
  });
});
