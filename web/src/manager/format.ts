// The manager's values as text for people. Pure functions; the time zone is a
// parameter so that tests are repeatable (the pages use the browser's).
// (Plurals, messages and times: ../common/format.ts.)

import { asSentence, plural } from '../common/format';
import type { DecisionAction, Pool, WorkerState } from './types';

const STATE_LABELS: Readonly<Record<WorkerState, string>> = {
  starting: 'Starting',
  in_service: 'In service',
  draining: 'Draining',
  stopped: 'Stopped',
  failed: 'Failed',
};

/** "In service"; a state this page does not know is shown as the server wrote it. */
export function stateLabel(state: string): string {
  return (STATE_LABELS as Readonly<Record<string, string>>)[state] ?? state.replace(/_/g, ' ');
}

/** The badge's colour class: a CSS suffix, always with the label beside it. */
export function stateTone(state: string): 'ok' | 'busy' | 'idle' | 'bad' {
  switch (state) {
    case 'in_service':
      return 'ok';
    case 'starting':
    case 'draining':
      return 'busy';
    case 'failed':
      return 'bad';
    default:
      return 'idle';
  }
}

/** Whether a worker still runs (its charts keep growing) rather than finished. */
export function isLive(state: string): boolean {
  return state === 'starting' || state === 'in_service' || state === 'draining';
}

export function actionLabel(action: DecisionAction | string): string {
  switch (action) {
    case 'grow':
      return 'Grow';
    case 'shrink':
      return 'Shrink';
    case 'hold':
      return 'Hold';
    default:
      return action;
  }
}

/** 12.345 -> "12.3%", null -> "—". */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${Math.round(value * 10) / 10}%`;
}

/** Requests per minute: 12 -> "12/min". */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${Math.round(value * 10) / 10}/min`;
}

/** "0.25" -> "0.25 CPU", "2" -> "2 CPUs"; other text as it is. */
export function formatAllotment(cpus: number | string | undefined): string {
  if (cpus === undefined || cpus === '') return '—';
  const value = typeof cpus === 'number' ? cpus : Number(cpus);
  if (!Number.isFinite(value)) return String(cpus);
  return `${Math.round(value * 1000) / 1000} ${value > 1 ? 'CPUs' : 'CPU'}`;
}

/** "2 in service, 1 starting, 0 draining". */
export function countsText(counts: Pool['counts']): string {
  return `${counts.in_service} in service, ${counts.starting} starting, ${counts.draining} draining`;
}

/** "3 workers" for the desired size. */
export function workersText(count: number): string {
  return plural(count, 'worker');
}

/** Whether the grow and shrink buttons can act at this desired size. */
export function sizeButtons(desired: number, bounds: Pool['bounds']): { canGrow: boolean; canShrink: boolean } {
  return { canGrow: desired < bounds.max, canShrink: desired > bounds.min };
}

/**
 * A time axis tick, epoch seconds as "21:05" (24-hour clock, the browser's zone
 * unless `timeZone` is given): the charts span 30 minutes, so the day is not needed.
 */
export function formatTick(seconds: number, timeZone?: string): string {
  const format: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (timeZone !== undefined) format.timeZone = timeZone;
  return new Intl.DateTimeFormat('en-GB', format).format(new Date(seconds * 1000));
}

/** "for 3 min" / "for 2 h 5 min" / "for 40 s": how long since `iso`, at `now`. */
export function formatSince(iso: string, now: Date): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '';
  const seconds = Math.max(0, Math.floor((now.getTime() - then) / 1000));
  if (seconds < 60) return `for ${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `for ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `for ${hours} h ${minutes % 60} min`;
}

/** The text of a chart for screen readers: what it shows and its latest and highest values. */
export function chartSummary(
  what: string,
  latest: number | null,
  max: number | null,
  format: (value: number | null) => string,
): string {
  if (latest === null) return `${what}, past 30 minutes: nothing measured yet.`;
  return `${what}, past 30 minutes: latest ${format(latest)}, highest ${format(max)}.`;
}

/** The checks that changed the pool's size (a grow or shrink that moved it), in their order. */
export function resizesOnly<D extends { action: string; size_before: number; size_after: number }>(decisions: ReadonlyArray<D>): D[] {
  return decisions.filter((d) => (d.action === 'grow' || d.action === 'shrink') && d.size_before !== d.size_after);
}

/**
 * The auto-scaler's reason as a sentence: "average CPU 82.0% over 2 min is above the
 * grow threshold 70%: grow 1 -> 2" becomes "Average CPU 82.0% over 2 min is above
 * the grow threshold 70%, so the pool grows from 1 to 2 workers."
 */
export function decisionReasonText(reason: string): string {
  const text = reason.trim();
  if (text === '') return '—';
  const resize = /^(.*): (grow|shrink) (\d+) -> (\d+)$/.exec(text);
  const sentence = (s: string) => asSentence(s.replace(/ -> /g, ' → '));
  if (resize === null) return sentence(text);
  const [, why, action, from, to] = resize;
  const verb = action === 'grow' ? 'grows' : 'shrinks';
  return sentence(`${why}, so the pool ${verb} from ${from} to ${plural(Number(to), 'worker')}`);
}
