/**
 * `sluice verify` as a library call: opens both endpoints, pairs their tables and columns,
 * picks each table's key and bisects the tables one after another. Any endpoint failure ends
 * the whole verification with its error: a partial result is never reported as identical.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import { DEFAULT_BISECT, bisectTable, type BisectOptions } from './bisect.js';
import type { VerifyEndpoint, VerifyTable } from './endpoints/endpoint.js';
import { openEndpoint } from './endpoints/open-endpoint.js';
import { findColumn, matchColumns } from './schema-match.js';
import { keyValue, type TableVerification, type VerifyReport } from './verify-report.js';

/** What to verify. */
export interface VerifyRequest {
  /** Source endpoint URL (postgres://…, sqlite:…, lake:…). */
  from: string;
  /** Destination endpoint URL. */
  to: string;
  /** Tables (`name` or `namespace.name` on the source side); default every source table. */
  tables?: readonly string[];
  /** Key columns to use for every table instead of the declared primary key. */
  primaryKey?: readonly string[];
  /** Bisection tuning (tests use small leaves). */
  bisect?: Partial<Omit<BisectOptions, 'expectedRows'>>;
  /** Called with each table's result as soon as it is known. */
  onTable?: (table: TableVerification) => void;
}

function qualified(table: VerifyTable): string {
  return `${table.namespace}.${table.name}`;
}

function unique<T>(items: readonly T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

/** The destination table holding `table`: same namespace and name, else the one table of that name. */
function counterpart(table: VerifyTable, candidates: readonly VerifyTable[]): VerifyTable | undefined {
  return (
    candidates.find((c) => c.namespace === table.namespace && c.name === table.name) ??
    unique(candidates.filter((c) => c.name === table.name)) ??
    unique(candidates.filter((c) => c.name.toLowerCase() === table.name.toLowerCase()))
  );
}

function selectTables(tables: readonly VerifyTable[], wanted: readonly string[] | undefined): VerifyTable[] {
  if (!wanted) return [...tables];
  return wanted.map((name) => {
    const found =
      tables.find((t) => qualified(t) === name || t.name === name) ??
      unique(tables.filter((t) => t.name.toLowerCase() === name.toLowerCase()));
    if (!found) {
      throw new SluiceError('USAGE', `table ${name} is not in the source`, {
        hint: `the source has: ${tables.map(qualified).join(', ') || '(no tables)'}`,
      });
    }
    return found;
  });
}

/** The key to compare by, and how it was chosen (a note for the report). */
function chooseKey(
  table: VerifyTable,
  other: VerifyTable,
  declared: readonly string[] | undefined,
  compared: readonly CanonicalColumn[],
): { key: string[]; note: string } {
  const usable = (names: readonly string[]) =>
    names.length > 0 && names.every((name) => findColumn(compared, name) !== undefined);
  if (declared && declared.length > 0) {
    if (!declared.every((name) => findColumn(table.columns, name))) {
      throw new SluiceError(
        'USAGE',
        `--primary-key ${declared.join(',')} is not a set of columns of ${qualified(table)}`,
        {
          hint: `its columns are: ${table.columns.map((c) => c.name).join(', ')}`,
        },
      );
    }
    if (usable(declared))
      return { key: [...declared], note: `compared by the declared key (${declared.join(', ')})` };
  } else if (usable(table.primaryKey)) {
    return {
      key: [...table.primaryKey],
      note: `compared by the primary key (${table.primaryKey.join(', ')})`,
    };
  } else if (usable(other.primaryKey)) {
    const key = other.primaryKey.map((name) => findColumn(compared, name)?.name ?? name);
    return { key, note: `compared by the destination's primary key (${key.join(', ')})` };
  }
  return {
    key: [],
    note: 'no usable key (no primary key on either side and no --primary-key): compared by whole-row hashes; missing and extra list whole rows',
  };
}

async function verifyTable(
  source: VerifyEndpoint,
  destination: VerifyEndpoint,
  table: VerifyTable,
  destinationTables: readonly VerifyTable[],
  request: VerifyRequest,
): Promise<TableVerification> {
  const result: TableVerification = {
    table: qualified(table),
    status: 'different',
    sourceRows: 0,
    destinationRows: 0,
    missing: [],
    extra: [],
    changed: [],
    notes: [],
    stats: null,
  };
  const other = counterpart(table, destinationTables);
  if (!other) {
    result.notes.push(`the destination has no table ${table.name}`);
    return result;
  }
  const columns = matchColumns(table.columns, other.columns);
  result.notes.push(...columns.differences);
  const { key, note } = chooseKey(table, other, request.primaryKey, columns.source);
  result.notes.push(note);
  const sourceKey = key.map((name) => findColumn(columns.source, name) as CanonicalColumn);
  const destinationKey = sourceKey.map(
    (column) => columns.destination[columns.source.indexOf(column)] as CanonicalColumn,
  );
  const bisected = await bisectTable(
    { endpoint: source, table, columns: columns.source, key: sourceKey },
    { endpoint: destination, table: other, columns: columns.destination, key: destinationKey },
    {
      ...DEFAULT_BISECT,
      ...request.bisect,
      expectedRows: Math.max(table.rowEstimate ?? 0, other.rowEstimate ?? 0),
    },
  );
  const show = (text: string) => (key.length === 0 ? text : keyValue(text, key.length));
  Object.assign(result, {
    status: bisected.identical && columns.differences.length === 0 ? 'identical' : 'different',
    sourceRows: bisected.sourceRows,
    destinationRows: bisected.destinationRows,
    missing: bisected.missing.map(show),
    extra: bisected.extra.map(show),
    changed: bisected.changed.map((row) => ({ key: show(row.key), columns: row.columns })),
    stats: bisected.stats,
  });
  const located = bisected.missing.length + bisected.extra.length + bisected.changed.length;
  if (!bisected.identical && located === 0) {
    result.notes.push(
      'the content differs, but no single row could be named (the engines order the key differently)',
    );
  }
  return result;
}

export async function verifyEndpoints(request: VerifyRequest): Promise<VerifyReport> {
  const source = await openEndpoint(request.from);
  let destination: VerifyEndpoint | undefined;
  try {
    destination = await openEndpoint(request.to);
    const [sourceTables, destinationTables] = await Promise.all([
      source.listTables(),
      destination.listTables(),
    ]);
    const report: VerifyReport = { identical: true, tables: [] };
    for (const table of selectTables(sourceTables, request.tables)) {
      const result = await verifyTable(source, destination, table, destinationTables, request);
      report.tables.push(result);
      report.identical &&= result.status === 'identical';
      request.onTable?.(result);
    }
    return report;
  } finally {
    await Promise.all([source.close(), destination?.close()]);
  }
}
