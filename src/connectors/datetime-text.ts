/**
 * Validates dates and times that a source stores as text (SQLite, later CSV files) and returns
 * them in canonical text, exactly as PostgreSQL prints the same value: `YYYY-MM-DD`,
 * `HH:MM:SS[.ffffff]` (fraction without trailing zeros), `YYYY-MM-DD HH:MM:SS[.ffffff]`.
 * Only a spelling of the same value is accepted (`T` separator, missing seconds); anything that
 * would need rounding, a zone conversion or a guess returns null, and the caller rejects it.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

/** Canonical `YYYY-MM-DD` for a real calendar date in years 0001–9999, else null. */
export function canonicalDate(text: string): string | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [, y = '', m = '', d = ''] = match;
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return text;
}

/** Canonical `HH:MM:SS[.ffffff]` for a time of day 00:00:00–23:59:59.999999, else null. */
export function canonicalTime(text: string): string | null {
  const match = TIME.exec(text);
  if (!match) return null;
  const [, h = '', m = '', s = '00', fraction = ''] = match;
  if (Number(h) > 23 || Number(m) > 59 || Number(s) > 59) return null;
  const trimmed = fraction.replace(/0+$/, '');
  return `${h}:${m}:${s}${trimmed ? '.' + trimmed : ''}`;
}

/**
 * Canonical `YYYY-MM-DD HH:MM:SS[.ffffff]` for a timestamp without zone, written with a space
 * or `T` between date and time; a bare date means midnight (as SQLite's own date functions
 * read it). A zone suffix returns null: the column promises local time, so it is not guessed.
 */
export function canonicalTimestamp(text: string): string | null {
  const separator = text.length > 10 ? text[10] : undefined;
  if (separator === undefined) {
    const date = canonicalDate(text);
    return date === null ? null : `${date} 00:00:00`;
  }
  if (separator !== ' ' && separator !== 'T') return null;
  const date = canonicalDate(text.slice(0, 10));
  const time = canonicalTime(text.slice(11));
  return date === null || time === null ? null : `${date} ${time}`;
}

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
