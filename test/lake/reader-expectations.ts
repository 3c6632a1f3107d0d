/**
 * What each reader must return for a staged row of ALL_TYPES, derived from the canonical text
 * alone. DuckDB reads every value exactly. icebird (through hyparquet's default conversions)
 * is exact for integers, floats, strings and times, and applies fixed lossy conversions to the
 * rest — decimals to `Number(unscaled) * 10 ** -scale`, timestamps to a millisecond Date
 * (micros / 1000n), dates to a Date, binary decoded as UTF-8 — so the expectation applies the
 * same conversion to the written text: any other difference is a real one.
 */
import { quoteIdent } from '../../src/engine/duckdb.js';
import { ALL_TYPES, textBytes, textDays, textMicros, textTimeMicros, unscaled } from './lake-fixtures.js';

type Row = readonly (string | null)[];

/** The select list that makes DuckDB return exact, comparable values (temporal types as integers). */
export function duckdbComparableSelect(): string {
  return ALL_TYPES.map((column) => {
    const name = quoteIdent(column.name);
    switch (column.type.kind) {
      case 'date':
        return `date_diff('day', DATE '1970-01-01', ${name})`;
      case 'time':
        return `epoch_us(DATE '1970-01-01' + ${name})`;
      case 'timestamp':
      case 'timestamptz':
        return `epoch_us(${name})`;
      case 'decimal':
        return `CAST(${name} AS VARCHAR)`;
      default:
        return name;
    }
  }).join(', ');
}

/** A DuckDB row from `duckdbComparableSelect`, normalised for comparison (decimals → unscaled). */
export function normaliseDuckdbRow(row: readonly unknown[]): unknown[] {
  return row.map((value, i) => {
    const type = ALL_TYPES[i]!.type;
    if (value === null) return null;
    if (type.kind === 'decimal') return unscaled(String(value), type.scale);
    if (value instanceof Uint8Array) return new Uint8Array(value);
    return value;
  });
}

/** The normalised DuckDB values of a staged row. */
export function expectedDuckdbRow(row: Row): unknown[] {
  return row.map((text, i) => {
    if (text === null) return null;
    const type = ALL_TYPES[i]!.type;
    switch (type.kind) {
      case 'boolean':
        return text === 't';
      case 'int32':
        return Number(text);
      case 'int64':
        return BigInt(text);
      case 'float32':
        return Math.fround(Number(text));
      case 'float64':
        return Number(text);
      case 'decimal':
        return unscaled(text, type.scale);
      case 'binary':
        return textBytes(text);
      case 'date':
        return BigInt(textDays(text));
      case 'time':
        return textTimeMicros(text);
      case 'timestamp':
      case 'timestamptz':
        return textMicros(text);
      case 'string':
      case 'uuid':
      case 'json':
        return text;
    }
  });
}

/** The icebird record of a staged row. */
export function expectedIcebirdRecord(row: Row): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  row.forEach((text, i) => {
    const column = ALL_TYPES[i]!;
    const type = column.type;
    let value: unknown;
    if (text === null) value = null;
    else if (type.kind === 'decimal') value = Number(unscaled(text, type.scale)) * 10 ** -type.scale;
    else if (type.kind === 'binary') value = new TextDecoder().decode(textBytes(text));
    else if (type.kind === 'date') value = new Date(textDays(text) * 86_400_000);
    else if (type.kind === 'timestamp' || type.kind === 'timestamptz')
      value = new Date(Number(textMicros(text) / 1000n));
    else value = expectedDuckdbRow(row)[i];
    record[column.name] = value;
  });
  return record;
}
