/**
 * The project file's table settings for lake tables: `partitionBy` (a string or a list),
 * `schemaPolicy` and `softDelete`, inherited from the sync by its tables and overridden per
 * table, and the errors a misspelt or mis-quoted setting gives.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProject } from '../../src/config/load-project.js';
import { streamSettings } from '../../src/config/resolve-project.js';
import type { SluiceError } from '../../src/core/errors.js';

const project = (sync: string) => `version: 1
connections:
  shop: { url: "sqlite:shop.db" }
  lake: { url: "lake:./lake" }
syncs:
  - from: shop
    to: lake
${sync}`;

const parse = (text: string) => parseProject(text, join('/tmp', 'sluice.yml'), {});

function problem(text: string): SluiceError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG' });
    return error as SluiceError;
  }
  throw new Error('expected a CONFIG error');
}

describe('table settings in sluice.yml', () => {
  it('inherits partitioning, schema policy and soft delete from the sync, and overrides them per table', () => {
    const loaded = parse(
      project(`    tables: [orders, customers]
    disposition: merge
    partitionBy: "day(placed_at), bucket(16, buyer_id)"
    schemaPolicy: freeze
    softDelete: true
    streams:
      customers:
        partitionBy: ["truncate(2, country)", region]
        schemaPolicy: discard_columns
        softDelete: false
`),
    );
    const sync = loaded.syncs[0]!;
    expect(streamSettings(sync, 'main', 'orders')).toEqual({
      mode: 'full',
      disposition: 'merge',
      partitionBy: [
        { transform: 'day', column: 'placed_at' },
        { transform: 'bucket', column: 'buyer_id', param: 16 },
      ],
      schemaPolicy: 'freeze',
      softDelete: true,
    });
    expect(streamSettings(sync, 'main', 'customers')).toMatchObject({
      partitionBy: [
        { transform: 'truncate', column: 'country', param: 2 },
        { transform: 'identity', column: 'region' },
      ],
      schemaPolicy: 'discard_columns',
      softDelete: false,
    });
  });

  it('inherits reconcileDeletes from the sync and overrides it per table', () => {
    const sync = parse(
      project(`    mode: incremental
    cursor: updated_at
    reconcileDeletes: true
    streams:
      audit: { reconcileDeletes: false }
`),
    ).syncs[0]!;
    expect(streamSettings(sync, 'main', 'orders')).toMatchObject({
      mode: 'incremental',
      reconcileDeletes: true,
    });
    expect(streamSettings(sync, 'main', 'audit')).toMatchObject({ reconcileDeletes: false });
  });

  it('explains an unquoted YAML list item that a comma split', () => {
    const error = problem(project('    partitionBy: [day(placed_at), bucket(16, buyer_id)]\n'));
    expect(error.message).toContain('syncs[0].partitionBy');
    expect(error.message).toContain('quote items with commas');
  });

  it('names an unknown transform and a misspelt policy', () => {
    expect(problem(project('    partitionBy: week(placed_at)\n')).message).toContain(
      'unknown transform "week"',
    );
    expect(problem(project('    schemaPolicy: evolv\n')).message).toContain('did you mean "evolve"');
  });
});
