/**
 * The stage dialect: how every connector writes chunks to local disk and how the engine reads
 * them back. It is PostgreSQL's `COPY … (FORMAT csv)` output, so the fastest source needs no
 * re-encoding, and a contract for everyone else:
 *
 * - comma-delimited, `"` quotes, `""` inside quotes, `\n` row terminator, no header;
 * - NULL is an empty unquoted field; an empty string is `""`;
 * - values are in canonical text: booleans `t`/`f`, integers and decimals as plain digits,
 *   floats in shortest round-trip form (`NaN`, `Infinity`, `-Infinity`), binary as `\x` + hex,
 *   dates `YYYY-MM-DD`, times `HH:MM:SS[.ffffff]`, timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]`,
 *   timestamptz the same followed by a UTC offset (`+00`), uuid and json as their text.
 */
/**
 * The optional trailing field of a change stream's rows (`StagedChunk.operations`): `d` deletes
 * the row with the row's key (only the key columns need values), an empty field, `i` or `u`
 * inserts or replaces the row with that key. Only a `merge` applies deletes.
 */
export const STAGE_OP_COLUMN = '_sluice_op';

export const STAGE_CSV = { delimiter: ',', quote: '"', escape: '"', nullString: '' } as const;

const NEEDS_QUOTES = /[",\n\r]/;

/** Encodes one already-canonical text value as a stage CSV field (null → empty unquoted). */
export function encodeStageField(value: string | null): string {
  if (value === null) return '';
  if (value === '' || NEEDS_QUOTES.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** Encodes one row of canonical text values as a stage CSV line, terminator included. */
export function encodeStageRow(values: readonly (string | null)[]): string {
  return values.map(encodeStageField).join(',') + '\n';
}
