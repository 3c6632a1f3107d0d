/**
 * The row hashes a table must have after loading rows given as canonical stage text, computed in
 * JavaScript alone (src/verify's canonical rules, no database involved), so a destination's
 * `tableRowHashes` can be compared with what was staged, row by row.
 */
import type { CanonicalColumn, CanonicalType } from '../../src/core/canonical-types.js';
import type { JsValue } from '../../src/verify/canonical-value.js';
import { canonicalRowText } from '../../src/verify/canonical-value.js';
import type { RowHash } from '../../src/verify/row-diff.js';
import { rowHashHex } from '../../src/verify/sqlite-row-hash.js';

/** A canonical text value in one of the JavaScript forms `canonical-value.ts` understands. */
export function jsValueOfCanonicalText(type: CanonicalType, text: string | null): JsValue {
  if (text === null) return null;
  switch (type.kind) {
    case 'boolean':
      return text === 't' ? 1n : 0n;
    case 'int32':
    case 'int64':
      return BigInt(text);
    case 'float32':
    case 'float64':
      return Number(text);
    case 'binary':
      return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
    default:
      return text;
  }
}

/** `(key, hash)` of each row of canonical text, as `tableRowHashes` returns them for the loaded table. */
export function expectedRowHashes(
  columns: readonly CanonicalColumn[],
  rows: readonly (readonly (string | null)[])[],
  key: readonly string[],
): RowHash[] {
  const keyIndexes = key.map((name) => columns.findIndex((column) => column.name === name));
  const keyColumns = keyIndexes.map((index) => columns[index]!);
  return rows.map((row) => {
    const values = row.map((text, i) => jsValueOfCanonicalText(columns[i]!.type, text));
    return {
      key: canonicalRowText(
        keyColumns,
        keyIndexes.map((index) => values[index] ?? null),
      ),
      hash: rowHashHex(canonicalRowText(columns, values)),
    };
  });
}
