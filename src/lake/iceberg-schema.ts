/**
 * Canonical columns ↔ Iceberg schemas: type mapping, field ids, and the Avro-compatible names
 * Parquet columns carry. Every field is written optional: DuckDB writes every Parquet column as
 * optional anyway, and a source's NOT NULL is not a promise the lake can enforce across schema
 * changes.
 */
import type { CanonicalColumn, CanonicalType } from '../core/canonical-types.js';
import { typeToString } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';

/** One top-level field of an Iceberg schema (Appendix C of the spec). */
export interface IcebergField {
  /** Field id, unique within the table's history. */
  id: number;
  /** Column name exactly as in the source. */
  name: string;
  /** Whether nulls are forbidden; always false for Sluice-written fields. */
  required: boolean;
  /** Iceberg primitive type: `long`, `decimal(10,2)`, `timestamptz`, … */
  type: string;
  /** Free text; Sluice leaves it out. */
  doc?: string;
}

/** An Iceberg schema as stored in table metadata. */
export interface IcebergSchema {
  /** Always `struct`. */
  type: 'struct';
  /** Id referenced by `current-schema-id` and snapshots. */
  'schema-id': number;
  /** Top-level fields in column order. */
  fields: IcebergField[];
  /** Row identity fields; unused by Sluice (identifier fields must be required). */
  'identifier-field-ids'?: number[];
}

/** The Iceberg type a canonical type is stored as; uuid and json keep their exact text as string. */
export function icebergType(type: CanonicalType): string {
  switch (type.kind) {
    case 'boolean':
      return 'boolean';
    case 'int32':
      return 'int';
    case 'int64':
      return 'long';
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'decimal':
      if (type.precision < 1 || type.precision > 38 || type.scale < 0 || type.scale > type.precision) {
        throw new SluiceError('TYPE_UNSUPPORTED', `Iceberg cannot store ${typeToString(type)}`, {
          hint: 'Iceberg decimals have precision 1–38 and 0 ≤ scale ≤ precision; map the column to string',
        });
      }
      return `decimal(${type.precision},${type.scale})`;
    case 'string':
    case 'uuid':
    case 'json':
      return 'string';
    case 'binary':
      return 'binary';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'timestamp':
      return 'timestamp';
    case 'timestamptz':
      return 'timestamptz';
  }
}

/** The DuckDB type that reads an Iceberg primitive type back (for query views). */
export function duckdbTypeOfIceberg(type: string): string {
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`;
  const simple: Record<string, string> = {
    boolean: 'BOOLEAN',
    int: 'INTEGER',
    long: 'BIGINT',
    float: 'FLOAT',
    double: 'DOUBLE',
    string: 'VARCHAR',
    uuid: 'UUID',
    binary: 'BLOB',
    date: 'DATE',
    time: 'TIME',
    timestamp: 'TIMESTAMP',
    timestamptz: 'TIMESTAMPTZ',
  };
  const found = simple[type];
  if (found === undefined) {
    throw new SluiceError('NOT_SUPPORTED', `cannot read Iceberg type ${JSON.stringify(type)}`, {
      hint: 'this version reads the primitive types Sluice writes; nested and fixed types come later',
    });
  }
  return found;
}

const LETTER = /^\p{L}$/u;
const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;

/**
 * The Avro-compatible column name Iceberg's Java and Python writers give a field in Parquet
 * (`AvroSchemaUtil.makeCompatibleName`): a leading digit gets `_`, any other character that is
 * not a letter, digit or `_` becomes `_x` + its UTF-16 code in upper-case hex. Names that are
 * already valid stay as they are (Unicode letters included, as in Java).
 */
export function avroCompatibleName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const unit = name.charAt(i);
    const valid = unit === '_' || (i === 0 ? LETTER.test(unit) : LETTER_OR_DIGIT.test(unit));
    if (valid) out += unit;
    else if (/^\p{Nd}$/u.test(unit)) out += `_${unit}`;
    else out += `_x${unit.charCodeAt(0).toString(16).toUpperCase()}`;
  }
  return out;
}

/** A schema for `columns`, reusing `previous` field ids for columns whose name and type are unchanged. */
export function buildSchema(
  columns: readonly CanonicalColumn[],
  schemaId: number,
  previous: { schema: IcebergSchema; lastColumnId: number } | null,
): { schema: IcebergSchema; lastColumnId: number } {
  if (columns.length === 0) {
    throw new SluiceError('USAGE', 'a lake table needs at least one column', {
      hint: 'check the stream selection; the source table has no columns',
    });
  }
  assertDistinctParquetNames(columns);
  let lastColumnId = previous?.lastColumnId ?? 0;
  const fields = columns.map((column): IcebergField => {
    const type = icebergType(column.type);
    const kept = previous?.schema.fields.find((field) => field.name === column.name && field.type === type);
    return { id: kept?.id ?? ++lastColumnId, name: column.name, required: false, type };
  });
  return { schema: { type: 'struct', 'schema-id': schemaId, fields }, lastColumnId };
}

/** Two names that sanitise alike would become one Parquet column; refuse them up front. */
function assertDistinctParquetNames(columns: readonly CanonicalColumn[]): void {
  const seen = new Map<string, string>();
  for (const column of columns) {
    if (column.name === '') {
      throw new SluiceError('TYPE_UNSUPPORTED', 'a column has an empty name', {
        hint: 'give the column a name in the source or with a column mapping',
      });
    }
    const parquetName = avroCompatibleName(column.name);
    const other = seen.get(parquetName);
    if (other !== undefined) {
      throw new SluiceError(
        'TYPE_UNSUPPORTED',
        `columns ${JSON.stringify(other)} and ${JSON.stringify(column.name)} both become Parquet column ${parquetName}`,
        { hint: 'rename one of the columns in the source or with a column mapping' },
      );
    }
    seen.set(parquetName, column.name);
  }
}
