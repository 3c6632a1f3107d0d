/**
 * The whole-file typing of CSV date and time columns (csv-column-scan.ts says why). DuckDB's cast
 * of an ISO text to DATE, TIME or TIMESTAMP keeps what fits the type and drops the rest without a
 * word: the time of day in a DATE column, a ` BC`, an offset in a TIME or TIMESTAMP column,
 * fraction digits beyond microseconds. So a column sniffed as one of these and read in ISO form
 * is scanned, and when a value the cast takes is not in the type's exact form, the column is
 * text, spelled as in the file. The exact forms (spaces around allowed; fraction digits beyond
 * the sixth only zeros):
 *
 * - DATE: `YYYY-MM-DD` (a year of 4 digits or more; months and days of 1 or 2 digits);
 * - TIME: `HH:MM[:SS[.ffffff]]`, hours 0–23;
 * - TIMESTAMP: a date, then optionally a space or `T` and a time. A column whose every value
 *   also carries an offset names instants, and is TIMESTAMP WITH TIME ZONE instead (JSON's
 *   `2020-01-01T10:00:00Z`, which DuckDB types TIMESTAMP); one that mixes both is text;
 * - TIMESTAMP WITH TIME ZONE: the same, then optionally an offset (`+02`, `-05:30`, `+0530`, `Z`,
 *   `UTC`, `GMT`); a value without one is UTC, as DuckDB reads it.
 *
 * A column read with a strptime format (the sniffer's `DateFormat`/`TimestampFormat`) is not
 * scanned: that parse refuses text beyond the format, and the read quarantines the row.
 */
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';
import type { ColumnScan, ReadFormats } from './csv-column-scan.js';
import type { FileColumn } from './described-file.js';

const DATE = '[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}';
const TIME = '([01]?[0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}(\\.[0-9]{0,6}0*)?)?';
const TIMESTAMP = `${DATE}([ T]${TIME})?`;
const OFFSET = '([+-][0-9]{1,2}(:?[0-9]{2}){0,2}|Z|UTC|GMT)';

/** Exact form of each type, and the sniffer's format that replaces the ISO parse. */
const FORMS: Readonly<Record<string, { pattern: string; format: keyof ReadFormats | null }>> = {
  DATE: { pattern: DATE, format: 'dateFormat' },
  TIME: { pattern: TIME, format: null },
  TIMESTAMP: { pattern: TIMESTAMP, format: 'timestampFormat' },
  'TIMESTAMP WITH TIME ZONE': { pattern: `${TIMESTAMP} ?${OFFSET}?`, format: 'timestampFormat' },
};

/** The scan of date or time column `column`, the `i`-th: values the cast would change. */
export function temporalScan(column: FileColumn, i: number, formats: ReadFormats): ColumnScan | null {
  const form = FORMS[column.type];
  if (!form || (form.format !== null && formats[form.format])) return null;
  const t = `t${i}`;
  const name = quoteIdent(column.name);
  const matches = (text: string, pattern: string) =>
    `regexp_full_match(${text}, ${quoteLiteral(`\\s*${pattern}\\s*`)})`;
  // The cast runs only for the texts not in the exact form (the rare ones).
  const changed = (inExactForm: string, also = '') =>
    `count(*) FILTER (WHERE NOT ${inExactForm}${also} AND TRY_CAST(${t} AS ${column.type}) IS NOT NULL) AS changed${i}`;
  if (column.type !== 'TIMESTAMP') {
    return {
      values: [`${name} AS ${t}`],
      derived: [t],
      measures: [changed(matches(t, form.pattern))],
      typeOf: (row) => (Number(row[`changed${i}`] ?? 0) > 0 ? 'VARCHAR' : column.type),
    };
  }
  // A naive column whose every value carries an offset (JSON's `2020-01-01T10:00:00Z`, which
  // DuckDB types TIMESTAMP) names instants: TIMESTAMP WITH TIME ZONE holds each exactly. Each
  // value is matched once against the naive form, and only the others against the offset form.
  return {
    values: [`${name} AS ${t}`, `${matches(name, form.pattern)} AS exact${i}`],
    derived: [
      t,
      `exact${i}`,
      `CASE WHEN exact${i} THEN false ELSE ${matches(t, `${TIMESTAMP} ?${OFFSET}`)} END AS offset${i}`,
    ],
    measures: [
      changed(`exact${i}`, ` AND NOT offset${i}`),
      `count(*) FILTER (WHERE exact${i}) AS naive${i}`,
      `count(*) FILTER (WHERE offset${i}) AS zoned${i}`,
    ],
    typeOf: (row) => {
      if (Number(row[`changed${i}`] ?? 0) > 0) return 'VARCHAR';
      if (Number(row[`zoned${i}`] ?? 0) === 0) return column.type;
      return Number(row[`naive${i}`] ?? 0) > 0 ? 'VARCHAR' : 'TIMESTAMP WITH TIME ZONE';
    },
  };
}
