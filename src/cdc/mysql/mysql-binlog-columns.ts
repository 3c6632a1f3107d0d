/**
 * Column metadata for the binlog decoder and the capture. MariaDB's binlog carries only each
 * column's type code (binlog_row_metadata=NO_LOG by default), not names, signedness, character
 * set or ENUM labels, so they come from information_schema as the table is now. That is right
 * for every event written since the table's last ALTER; for older events the table map's type
 * codes are checked against what information_schema says (`checkBinlogColumnTypes`), and a
 * table map with fewer columns than the table describes the table before columns were added at
 * its end — the one schema change the capture picks up (a new segment with the added columns).
 */
import type { ColumnSchema } from '@vlasky/zongji';
import type { Connection } from 'mysql2';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { mysqlQuery } from '../../connectors/mysql/mysql-connection.js';
import { discoverMysql } from '../../connectors/mysql/mysql-discover.js';
import { parseMysqlColumnType } from '../../connectors/mysql/mysql-types.js';

const COLUMNS_SQL = `
SELECT COLUMN_NAME, COLLATION_NAME, CHARACTER_SET_NAME, COLUMN_COMMENT, COLUMN_TYPE,
       IS_NULLABLE, COLUMN_DEFAULT, EXTRA
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
 ORDER BY ORDINAL_POSITION`;

/** A table as the decoder needs it and as the capture maps it. */
export interface DescribedTable {
  /** zongji's per-column metadata, with ENUM/SET labels parsed exactly. */
  schemas: ColumnSchema[];
  /** The table's canonical columns now, mapped as discovery maps them. */
  columns: CanonicalColumn[];
  /**
   * Columns that every row got as NULL when they were added (nullable, default NULL, not
   * generated): rows older than the ADD COLUMN hold NULL there without any binlog change, so
   * staging NULL for them keeps the lake equal to the source. Any other added column gave
   * existing rows a value the binlog never carries.
   */
  nullWhenAdded: Set<string>;
}

export async function describeMysqlTable(
  connection: Connection,
  database: string,
  table: string,
): Promise<DescribedTable> {
  const rows = await mysqlQuery<
    ColumnSchema & { COLUMN_TYPE: string; IS_NULLABLE: string; COLUMN_DEFAULT: string | null; EXTRA: string }
  >(connection, COLUMNS_SQL, [database, table]);
  const schemas = rows.map((row) => {
    const type = row.COLUMN_TYPE.toLowerCase();
    if (type.startsWith('enum(')) return { ...row, ENUM_VALUES: quotedLabels(row.COLUMN_TYPE) };
    if (type.startsWith('set(')) return { ...row, SET_VALUES: quotedLabels(row.COLUMN_TYPE) };
    // The raw bytes, printed by mysql-binlog-values.ts as MariaDB prints them.
    if (type === 'inet6') return { ...row, COLUMN_TYPE: 'binary(16)' };
    return row;
  });
  const discovered = (await discoverMysql(connection, database)).find((s) => s.name === table);
  const nullWhenAdded = new Set(
    rows
      .filter(
        (row) =>
          row.IS_NULLABLE === 'YES' &&
          (row.COLUMN_DEFAULT === null || row.COLUMN_DEFAULT === 'NULL') &&
          !/generated/i.test(row.EXTRA),
      )
      .map((row) => row.COLUMN_NAME),
  );
  return { schemas, columns: discovered?.columns ?? [], nullWhenAdded };
}

/** The labels of `enum('a','b,c','it''s')` as MySQL spells them in COLUMN_TYPE. */
export function quotedLabels(columnType: string): string[] {
  const body = columnType.slice(columnType.indexOf('(') + 1, columnType.lastIndexOf(')'));
  return [...body.matchAll(/'((?:[^']|'')*)'/g)].map(([, label]) => (label ?? '').replaceAll("''", "'"));
}

/**
 * Binlog type codes (after ENUM/SET resolution) each MySQL data type is logged with. Types not
 * listed are not checked. Blob and text types are all logged as BLOB (252) with a length size.
 */
const TYPE_CODES: Record<string, readonly number[]> = {
  tinyint: [1],
  smallint: [2],
  mediumint: [9],
  int: [3],
  integer: [3],
  bigint: [8],
  float: [4],
  double: [5],
  real: [5],
  decimal: [246],
  numeric: [246],
  date: [10, 14],
  datetime: [12, 18],
  timestamp: [7, 17],
  time: [11, 19],
  year: [13],
  bit: [16],
  enum: [247],
  set: [248],
  char: [254],
  binary: [254],
  varchar: [15, 140],
  varbinary: [15, 140],
  tinytext: [252, 141],
  text: [252, 141],
  mediumtext: [252, 141],
  longtext: [252, 141, 245],
  tinyblob: [252, 141],
  blob: [252, 141],
  mediumblob: [252, 141],
  longblob: [252, 141],
  json: [245, 252],
};

/**
 * Throws SCHEMA_CHANGE when the columns a table map logged do not match what information_schema
 * says about the same positions: the table was altered in a way this event predates.
 */
export function checkBinlogColumnTypes(
  table: string,
  columns: readonly CanonicalColumn[],
  names: readonly string[],
  types: readonly number[],
): void {
  const codes = expectedCodes(columns);
  for (let i = 0; i < names.length; i++) {
    const column = columns[i];
    const type = types[i] ?? -1;
    const expected = codes[i];
    if (column && column.name === names[i] && (!expected || expected.includes(type))) continue;
    throw new SluiceError(
      'SCHEMA_CHANGE',
      `${table}: the binlog has column ${i + 1} as type code ${type}, but the table now has ${column ? `${column.name} ${column.sourceType}` : 'no such column'}: the table was altered after these changes were logged, in a way change capture cannot replay (it picks up columns added at the end)`,
      { hint: 're-snapshot the table with `sluice sync --mode cdc --resnapshot`' },
    );
  }
}

/** Each column list's expected type codes, parsed once: the check runs for every rows event. */
const codesByColumns = new WeakMap<readonly CanonicalColumn[], readonly (readonly number[] | undefined)[]>();

function expectedCodes(columns: readonly CanonicalColumn[]): readonly (readonly number[] | undefined)[] {
  let codes = codesByColumns.get(columns);
  if (!codes) {
    codes = columns.map((column) => TYPE_CODES[parseMysqlColumnType(column.sourceType, false).dataType]);
    codesByColumns.set(columns, codes);
  }
  return codes;
}
