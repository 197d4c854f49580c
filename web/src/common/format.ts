// Values as text for people, in both apps. Pure functions; the time zone is a
// parameter so that tests are repeatable (the pages use the browser's).

/** "1 face", "3 faces"; `plural` defaults to `singular` + "s". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** "username is missing" -> "Username is missing." (for server messages shown as they are). */
export function asSentence(message: string): string {
  const text = message.trim();
  if (text === '') return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

export interface TimeFormatOptions {
  /** The zone to write the time in; the reader's when not given (tests give one). */
  timeZone?: string;
  /** Whether to write the seconds ("21:05:03") too. */
  seconds?: boolean;
}

// Both apps write every time one way: day, month and year in English words
// ("27 Nov 2026"), a 24-hour clock, and the zone's short name ("UTC", "CET",
// "GMT-5"), whatever the browser's language, so that times read alike on every page.
const LOCALE = 'en-GB';

function formatWith(date: Date, fields: Intl.DateTimeFormatOptions, options: TimeFormatOptions): string {
  const format: Intl.DateTimeFormatOptions = { ...fields, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  if (options.seconds === true) format.second = '2-digit';
  if (options.timeZone !== undefined) format.timeZone = options.timeZone;
  return new Intl.DateTimeFormat(LOCALE, format).format(date);
}

/** "27 Nov 2026, 21:05 UTC" (with `seconds`: "21:05:03 UTC"): an ISO time from the server; the text itself when it is none. */
export function formatDateTime(iso: string, options: TimeFormatOptions = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatWith(date, { year: 'numeric', month: 'short', day: 'numeric' }, options);
}

/** "21:05:03 UTC": a clock time, for "updated at". */
export function formatClock(date: Date, options: Omit<TimeFormatOptions, 'seconds'> = {}): string {
  return formatWith(date, {}, { ...options, seconds: true });
}

/** "UTC", "CET", "GMT-5": the short name of the zone the pages write times in, at `date`. */
export function timeZoneLabel(date: Date, timeZone?: string): string {
  const format: Intl.DateTimeFormatOptions = { timeZoneName: 'short' };
  if (timeZone !== undefined) format.timeZone = timeZone;
  const part = new Intl.DateTimeFormat(LOCALE, format).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}
