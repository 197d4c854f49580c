// Values as text for people, in both apps. Pure functions; the time zone and
// locale are parameters so that tests are repeatable (the pages use the browser's).

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

export interface DateFormatOptions {
  locale?: string;
  timeZone?: string;
}

const DAY: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric' };

/** `date` with these fields, in `options`' locale and zone (else the reader's). */
function formatWith(date: Date, fields: Intl.DateTimeFormatOptions, options: DateFormatOptions): string {
  const format: Intl.DateTimeFormatOptions = { ...fields };
  if (options.timeZone !== undefined) format.timeZone = options.timeZone;
  return new Intl.DateTimeFormat(options.locale, format).format(date);
}

/** An ISO 8601 time from the server with these fields; the input itself when it is no date. */
function formatIso(iso: string, fields: Intl.DateTimeFormatOptions, options: DateFormatOptions): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatWith(date, fields, options);
}

/** "27 Nov 2026, 21:05": an ISO time from the server, in the reader's locale and zone. */
export function formatDateTime(iso: string, options: DateFormatOptions = {}): string {
  return formatIso(iso, { ...DAY, hour: '2-digit', minute: '2-digit' }, options);
}

/** "27 Nov 2026, 21:05:03": an ISO time from the server, to the second, 24-hour. */
export function formatTimestamp(iso: string, options: DateFormatOptions = {}): string {
  return formatIso(iso, { ...DAY, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }, options);
}

/** "21:05:03": a clock time, for "updated at". */
export function formatClock(date: Date, options: DateFormatOptions = {}): string {
  return formatWith(date, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }, options);
}
