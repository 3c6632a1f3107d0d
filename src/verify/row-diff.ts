/**
 * Names the rows behind a fingerprint difference: compares the `(key, hash)` lists both sides
 * produce with `rowHashesSql` (or the SQLite equivalent) and returns the keys that differ.
 */

/** One row's identity and content hash. */
export interface RowHash {
  /** Canonical text of the row's key columns (TAB-joined). */
  key: string;
  /** 15-hex-digit hash of the row's canonical text. */
  hash: string;
}

/** Keys that differ between a source and a destination, each list sorted. */
export interface RowDiff {
  /** Keys present in the source only. */
  missing: string[];
  /** Keys present in the destination only. */
  extra: string[];
  /** Keys present on both sides whose rows differ (or occur a different number of times). */
  changed: string[];
}

/** Hashes per key; a key repeated (a table without a real key) keeps every hash, sorted. */
function byKey(rows: Iterable<RowHash>): Map<string, string> {
  const grouped = new Map<string, string[]>();
  for (const row of rows) {
    const hashes = grouped.get(row.key);
    if (hashes) hashes.push(row.hash);
    else grouped.set(row.key, [row.hash]);
  }
  return new Map([...grouped].map(([key, hashes]) => [key, hashes.sort().join(',')]));
}

export function diffRowHashes(source: Iterable<RowHash>, destination: Iterable<RowHash>): RowDiff {
  const left = byKey(source);
  const right = byKey(destination);
  const diff: RowDiff = { missing: [], extra: [], changed: [] };
  for (const [key, hashes] of left) {
    const other = right.get(key);
    if (other === undefined) diff.missing.push(key);
    else if (other !== hashes) diff.changed.push(key);
  }
  for (const key of right.keys()) if (!left.has(key)) diff.extra.push(key);
  diff.missing.sort();
  diff.extra.sort();
  diff.changed.sort();
  return diff;
}

/** True when the two sides hold the same rows. */
export function isEmptyDiff(diff: RowDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.changed.length === 0;
}
