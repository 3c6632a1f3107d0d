/**
 * Partition values computed by DuckDB while a file is written: per partition field a *key*, a
 * text-safe encoding DuckDB's `PARTITION_BY` can put in a directory name without two values
 * colliding, and the decoding of those keys back into values.
 *
 * Keys: integers (int, long, days of a date, microseconds of a time or timestamp, unscaled
 * decimals, 0/1 for booleans) as their digits; strings and binary as `x` + hex of their bytes
 * (so no value can be mistaken for DuckDB's NULL directory `__HIVE_DEFAULT_PARTITION__`, and no
 * byte needs escaping). The bucket hash is Murmur3 x86_32 written in SQL over 32-bit unsigned
 * arithmetic, checked against the spec's published hashes and the JS implementation.
 *
 * SQL has no variables, and an expression that uses a value twice repeats it; nested, the
 * repeats multiply (a decimal's bucket would be thousands of copies). So a key is a short list of
 * `lets`, each a column computed in its own projection over the previous one, then the key
 * expression over those columns (`withPartitionKeys`).
 */
import { SluiceError } from '../../core/errors.js';
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';
import type { Comparable } from './comparable-value.js';
import { decimalScale } from './comparable-value.js';
import type { Transform } from './partition-transform.js';

/** Longest string or binary partition value in bytes: its hex key must fit one directory name (255 bytes). */
export const MAX_PARTITION_VALUE_BYTES = 100;

const M32 = '4294967295';

/** One partition key to compute. */
export interface PartitionKeyRequest {
  /** The transform. */
  transform: Transform;
  /** Iceberg type of the source column. */
  sourceType: string;
  /** SQL expression of the source column over the query's output (or a typed NULL). */
  column: string;
  /** The column's name, for the error an over-long value raises. */
  label: string;
  /** Name of the output column holding the key. */
  as: string;
}

/** A key as a series of bindings (each may use the earlier ones) and the final expression. */
interface KeyPlan {
  lets: { name: string; sql: string }[];
  key: string;
}

/**
 * `query` with one more column per request holding its partition key (the other columns as
 * they were). Bindings are computed in projections stacked over `query`, then dropped.
 */
export function withPartitionKeys(query: string, requests: readonly PartitionKeyRequest[]): string {
  const plans = requests.map((request) => keyPlan(request));
  const depth = Math.max(0, ...plans.map((plan) => plan.lets.length));
  let sql = query;
  for (let level = 0; level < depth; level++) {
    const lets = plans.flatMap((plan) => (plan.lets[level] ? [plan.lets[level]!] : []));
    sql = `SELECT *, ${lets.map((let_) => `${let_.sql} AS ${quoteIdent(let_.name)}`).join(', ')} FROM (${sql})`;
  }
  const bound = plans.flatMap((plan) => plan.lets.map((let_) => quoteIdent(let_.name)));
  const exclude = bound.length > 0 ? ` EXCLUDE (${bound.join(', ')})` : '';
  const keys = plans.map((plan, i) => `${plan.key} AS ${quoteIdent(requests[i]!.as)}`);
  return `SELECT *${exclude}, ${keys.join(', ')} FROM (${sql})`;
}

function keyPlan({ transform, sourceType, column, label, as }: PartitionKeyRequest): KeyPlan {
  const scale = decimalScale(sourceType);
  const isText = sourceType === 'string' || sourceType === 'uuid';
  switch (transform.kind) {
    case 'identity':
      if (isText || sourceType === 'binary')
        return { lets: [], key: hexKey(`hex(${column})`, column, label) };
      if (scale !== null) return { lets: [], key: unscaledSql(column) };
      if (sourceType === 'boolean') return { lets: [], key: `CAST(${column} AS INTEGER)` };
      return { lets: [], key: integralSql(sourceType, column) };
    case 'year':
      return { lets: [], key: `(year(${column}) - 1970)` };
    case 'month':
      return { lets: [], key: `((year(${column}) - 1970) * 12 + month(${column}) - 1)` };
    case 'day':
      return {
        lets: [],
        key:
          sourceType === 'date'
            ? `(${column} - DATE '1970-01-01')`
            : `(CAST(${column} AS DATE) - DATE '1970-01-01')`,
      };
    case 'hour':
      return { lets: [], key: floorDivSql(`epoch_us(${column})`, '3600000000') };
    case 'truncate': {
      const width = String(transform.width);
      if (isText) return { lets: [], key: hexKey(`hex(left(${column}, ${width}))`, column, label) };
      if (sourceType === 'binary')
        return { lets: [], key: hexKey(`left(hex(${column}), ${2 * transform.width})`, column, label) };
      const value = scale !== null ? unscaledSql(column) : `CAST(${column} AS HUGEINT)`;
      const rounded = `(${value} - (((${value} % ${width}) + ${width}) % ${width}))`;
      if (scale !== null) return { lets: [], key: rounded };
      // Rounding an int or long near its minimum down wraps around, as Java computes it.
      const bits = sourceType === 'int' ? 32n : 64n;
      const [half, full] = [1n << (bits - 1n), 1n << bits];
      return { lets: [], key: `((((${rounded} + ${half}) % ${full}) + ${full}) % ${full} - ${half})` };
    }
    case 'bucket': {
      const hash = bucketHash(sourceType, column, `__sluice_${as}`);
      const key = `CASE WHEN ${column} IS NULL THEN NULL ELSE (${hash.key} & 2147483647) % ${transform.buckets} END`;
      return { lets: hash.lets, key };
    }
  }
}

/** The comparable value of a key DuckDB reported for a field whose values are of Iceberg type `type`. */
export function valueOfKey(type: string, key: string | null): Comparable | null {
  if (key === null) return null;
  if (type === 'string' || type === 'uuid' || type === 'binary') {
    if (!/^x(?:[0-9A-F]{2})*$/.test(key)) throw badKey(key);
    return Buffer.from(key.slice(1), 'hex');
  }
  if (!/^-?\d+$/.test(key)) throw badKey(key);
  return BigInt(key);
}

function badKey(key: string): SluiceError {
  return new SluiceError(
    'DESTINATION_WRITE',
    `DuckDB reported an unexpected partition key ${JSON.stringify(key.slice(0, 50))}`,
    { hint: 'this is a bug in Sluice' },
  );
}

/** `x` + hex, failing the statement (with the column's name) for values too long for a directory name. */
function hexKey(hex: string, column: string, label: string): string {
  const limit = 2 * MAX_PARTITION_VALUE_BYTES;
  const message = `column ${JSON.stringify(label)}: a partition value is longer than ${MAX_PARTITION_VALUE_BYTES} bytes; partition it with truncate(W, col) or bucket(N, col)`;
  return `CASE WHEN ${column} IS NULL THEN NULL WHEN length(${hex}) > ${limit} THEN error(${quoteLiteral(message)}) ELSE 'x' || ${hex} END`;
}

/** Days of a date, microseconds of a time or timestamp, or the integer itself. */
function integralSql(sourceType: string, column: string): string {
  switch (sourceType) {
    case 'date':
      return `(${column} - DATE '1970-01-01')`;
    case 'time':
      return `epoch_us(DATE '1970-01-01' + ${column})`;
    case 'timestamp':
    case 'timestamptz':
      return `epoch_us(${column})`;
    default:
      return `CAST(${column} AS BIGINT)`;
  }
}

/** The unscaled integer of a DECIMAL: DuckDB prints every decimal with its full scale. */
function unscaledSql(column: string): string {
  return `CAST(replace(CAST(${column} AS VARCHAR), '.', '') AS HUGEINT)`;
}

/** ⌊a / b⌋ for integers (DuckDB's `//` truncates toward zero). */
function floorDivSql(a: string, b: string): string {
  return `((${a} - (((${a} % ${b}) + ${b}) % ${b})) // ${b})`;
}

/** (a · c) mod 2^32 for a < 2^32 (UBIGINT holds the product). */
function mul32(a: string, c: number): string {
  return `((CAST(${a} AS UBIGINT) * ${c}) & ${M32})`;
}

function rotl32(a: string, r: number): string {
  return `(((${a} << ${r}) | (${a} >> ${32 - r})) & ${M32})`;
}

function mixK(k: string): string {
  return mul32(rotl32(mul32(k, 0xcc9e2d51), 15), 0x1b873593);
}

function mixH(h: string, k: string): string {
  return `((${mul32(rotl32(`xor(${h}, ${mixK(k)})`, 13), 5)} + ${0xe6546b64}) & ${M32})`;
}

/** The final avalanche (its repeats of `h` stay few: DuckDB shares common subexpressions). */
function fmix(h: string, length: string): string {
  let x = `xor(${h}, ${length})`;
  x = `xor(${x}, ${x} >> 16)`;
  x = mul32(x, 0x85ebca6b);
  x = `xor(${x}, ${x} >> 13)`;
  x = mul32(x, 0xc2b2ae35);
  return `CAST(xor(${x}, ${x} >> 16) AS BIGINT)`;
}

/** The unsigned 32-bit Murmur3 of a value's hash bytes (spec Appendix B), as bindings and a BIGINT expression. */
function bucketHash(sourceType: string, column: string, prefix: string): KeyPlan {
  const name = (suffix: string) => `${prefix}_${suffix}`;
  const ref = (suffix: string) => quoteIdent(name(suffix));
  if (decimalScale(sourceType) === null && !['string', 'uuid', 'binary'].includes(sourceType)) {
    // An 8-byte little-endian long: two blocks, low 32 bits first.
    const v = ref('v');
    return {
      lets: [{ name: name('v'), sql: integralSql(sourceType, column) }],
      key: fmix(mixH(mixH('CAST(0 AS UBIGINT)', `(${v} & ${M32})`), `((${v} >> 32) & ${M32})`), '8'),
    };
  }
  const lets: { name: string; sql: string }[] = [];
  if (decimalScale(sourceType) !== null) {
    lets.push({ name: name('u'), sql: unscaledSql(column) });
    lets.push({ name: name('x'), sql: minimalHexSql(ref('u')) });
  } else {
    lets.push({ name: name('x'), sql: `hex(${column})` });
  }
  const hex = ref('x');
  const le32 = (offset: string, bytes: number) => {
    const parts = Array.from(
      { length: bytes },
      (_, i) => `substr(${hex}, ${offset} + ${2 * (bytes - 1 - i) + 1}, 2)`,
    );
    return `CAST('0x' || ${parts.join(' || ')} AS UBIGINT)`;
  };
  const length = `length(${hex})`;
  const blocks = `list_transform(range(0, ${length} // 8), __sluice_i -> ${le32('__sluice_i * 8', 4)})`;
  lets.push({
    name: name('b'),
    sql: `list_reduce(${blocks}, (__sluice_h, __sluice_k) -> ${mixH('__sluice_h', '__sluice_k')}, CAST(0 AS UBIGINT))`,
  });
  const body = ref('b');
  const tail = (bytes: number) => `xor(${body}, ${mixK(le32(`(${length} // 8) * 8`, bytes))})`;
  lets.push({
    name: name('t'),
    sql: `CASE (${length} // 2) % 4 WHEN 1 THEN ${tail(1)} WHEN 2 THEN ${tail(2)} WHEN 3 THEN ${tail(3)} ELSE ${body} END`,
  });
  return { lets, key: fmix(ref('t'), `CAST(${length} // 2 AS UBIGINT)`) };
}

/** Hex of a HUGEINT's big-endian two's complement in the fewest bytes (DuckDB's hex of a negative HUGEINT is 16 bytes). */
function minimalHexSql(unscaled: string): string {
  const cases = Array.from({ length: 15 }, (_, i) => {
    const bits = 8n * BigInt(i + 1) - 1n;
    return `WHEN ${unscaled} >= ${-(1n << bits)} AND ${unscaled} < ${1n << bits} THEN ${i + 1}`;
  }).join(' ');
  const length = `(CASE ${cases} ELSE 16 END)`;
  return `CASE WHEN ${unscaled} < 0 THEN right(hex(${unscaled}), 2 * ${length}) ELSE lpad(hex(${unscaled}), 2 * ${length}, '0') END`;
}
