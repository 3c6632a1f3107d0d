/**
 * Filters per table for queries over a lake (`sluice query --where`): `<namespace>.<table>:
 * <predicates>` names the table a filter narrows, and a name that matches no table is an error
 * rather than a filter silently ignored.
 */
import { SluiceError } from '../core/errors.js';
import type { ScanFilter } from './partitioning/scan-filter.js';
import { parseScanFilter } from './partitioning/scan-filter.js';
import type { TableIdent } from './table-location.js';

/** A filter on one table's view. */
export interface TableFilter {
  /** `namespace.table`. */
  table: string;
  /** Predicates every row of the view meets. */
  filter: ScanFilter;
}

/** Parses `ns.table: predicates`. */
export function parseTableFilter(text: string): TableFilter {
  const colon = text.indexOf(':');
  const table = colon < 0 ? '' : text.slice(0, colon).trim();
  if (!/^[^.\s]+\.[^\s]+$/.test(table)) {
    throw new SluiceError(
      'USAGE',
      `cannot read the filter ${JSON.stringify(text.slice(0, 60))}: it names no table`,
      {
        hint: `write it as <namespace>.<table>: <predicates>, e.g. "public.orders: placed_at >= '2024-03-01'"`,
      },
    );
  }
  return { table, filter: parseScanFilter(text.slice(colon + 1)) };
}

/** Throws USAGE when a filter names a table that is not among `tables`. */
export function checkTableFilters(
  filters: readonly TableFilter[],
  tables: readonly { ident: TableIdent }[],
): void {
  const names = tables.map((table) => `${table.ident.namespace}.${table.ident.name}`);
  for (const filter of filters) {
    if (names.includes(filter.table)) continue;
    throw new SluiceError('USAGE', `--where names ${filter.table}, which is not a table of this lake`, {
      hint: names.length > 0 ? `tables: ${names.join(', ')}` : 'the lake has no tables yet',
    });
  }
}
