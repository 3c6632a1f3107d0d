/**
 * Printing for people and for scripts. Data goes to stdout; progress, warnings and errors go
 * to stderr so `--json` output stays parseable.
 */

/** Writes a value as pretty JSON on stdout (BigInt as a number string would lose nothing). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint'
    ? Number.isSafeInteger(Number(value))
      ? Number(value)
      : value.toString()
    : value;
}

/** Renders any cell value as display text. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return '\\x' + Buffer.from(value).toString('hex');
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}

/** Prints rows as an aligned text table with a header line; numbers are right-aligned. */
export function printTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const text = rows.map((row) => row.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => isNumberLike(r[i])));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)];
  process.stdout.write(out.join('\n') + '\n');
}

function isNumberLike(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || value === null || value === undefined;
}

/** Prints rows as RFC 4180 CSV with a header. */
export function printCsv(headers: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const field = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    const text = cellText(value);
    return /[",\n\r]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const out = [headers.map(field).join(','), ...rows.map((r) => r.map(field).join(','))];
  process.stdout.write(out.join('\n') + '\n');
}

/** A progress or status line for people, on stderr. */
export function info(message: string): void {
  process.stderr.write(message + '\n');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
