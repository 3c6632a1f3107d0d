/**
 * The demo's source database: generated at full size on an embedded PostgreSQL, deterministic
 * (the same content, fingerprinted, on every run and machine), internally consistent, with keys
 * on every table, and one day of changes that inserts, updates and deletes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamSchema } from '../../src/core/stream.js';
import { discoverPostgresSchema } from '../../src/connectors/postgres/postgres-discover.js';
import { pgRows, tableFingerprint } from '../../src/verify/fingerprint-queries.js';
import type { TableFingerprint } from '../../src/verify/row-hash.js';
import {
  MARKETPLACE_TABLES,
  applyDayOfChanges,
  createMarketplace,
} from '../../examples/marketplace/load-marketplace.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';

type Table = (typeof MARKETPLACE_TABLES)[number];

/** Fingerprints of the generated data; a change here means generate.sql or changes.sql changed. */
const GENERATED: Record<Table, TableFingerprint> = {
  sellers: { rows: 5000, hashSum: '2910497520846674260875' },
  listings: { rows: 50000, hashSum: '28900542687551988059047' },
  buyers: { rows: 200000, hashSum: '115166223423141291503504' },
  orders: { rows: 1000000, hashSum: '576647981829025936486787' },
  order_items: { rows: 2799631, hashSum: '1613491355292234839018960' },
  inventory_events: { rows: 1000000, hashSum: '575791630677122765479060' },
};
const AFTER_CHANGES: Record<Table, TableFingerprint> = {
  sellers: { rows: 5000, hashSum: '2910497520846674260875' },
  listings: { rows: 49700, hashSum: '28729060516721521089774' },
  buyers: { rows: 200800, hashSum: '115601115965800480738742' },
  orders: { rows: 1020000, hashSum: '588236256930558455966471' },
  order_items: { rows: 2852029, hashSum: '1643783207606015173428959' },
  inventory_events: { rows: 1051335, hashSum: '605233063979145034759713' },
};

describe('the marketplace example database', () => {
  let server: EmbeddedPostgresServer;
  let client: pg.Client;
  let schemas: StreamSchema[];

  const fingerprints = async (): Promise<Record<string, TableFingerprint>> => {
    const result: Record<string, TableFingerprint> = {};
    for (const table of MARKETPLACE_TABLES) {
      const schema = schemas.find((candidate) => candidate.name === table);
      if (!schema) throw new Error(`discovery did not find ${table}`);
      result[table] = await tableFingerprint('postgres', pgRows(client), schema, schema.columns);
    }
    return result;
  };
  const count = async (sql: string) => Number((await client.query(sql)).rows[0]?.count);

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ databases: ['marketplace'] });
    client = new pg.Client({ connectionString: server.url('marketplace') });
    await client.connect();
    await createMarketplace(client);
    schemas = await discoverPostgresSchema(client, 'public');
  }, 180_000);

  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  it('has a primary key on every table', () => {
    expect(Object.fromEntries(schemas.map((schema) => [schema.name, schema.primaryKey]))).toEqual({
      sellers: ['seller_id'],
      listings: ['listing_id'],
      buyers: ['buyer_id'],
      orders: ['order_id'],
      order_items: ['order_id', 'line_no'],
      inventory_events: ['event_id'],
    });
  });

  it('uses every kind of column the demo should show', () => {
    const kinds = new Set(schemas.flatMap((schema) => schema.columns.map((column) => column.type.kind)));
    expect([...kinds].sort()).toEqual(
      ['boolean', 'date', 'decimal', 'int32', 'int64', 'json', 'string', 'timestamptz', 'uuid'].sort(),
    );
  });

  it('generates the same content on every run', async () => {
    expect(await fingerprints()).toEqual(GENERATED);
  });

  it('keeps order totals consistent with their lines', async () => {
    expect(
      await count(`SELECT count(*) FROM orders o
        LEFT JOIN (SELECT order_id, sum(quantity * unit_price - discount) AS lines FROM order_items GROUP BY 1) i
        USING (order_id)
        WHERE o.subtotal <> coalesce(i.lines, 0) OR o.total <> o.subtotal + o.shipping_fee`),
    ).toBe(0);
  });

  it('holds NULLs, empty strings, quotes and unicode', async () => {
    expect(await count(`SELECT count(*) FROM listings WHERE description IS NULL`)).toBeGreaterThan(1000);
    expect(await count(`SELECT count(*) FROM listings WHERE description = ''`)).toBeGreaterThan(1000);
    expect(await count(`SELECT count(*) FROM buyers WHERE display_name LIKE '%''%'`)).toBeGreaterThan(1000);
    expect(await count(`SELECT count(*) FROM sellers WHERE display_name LIKE '%"%'`)).toBeGreaterThan(100);
    expect(await count(`SELECT count(*) FROM buyers WHERE display_name ~ '[^\\x01-\\x7e]'`)).toBeGreaterThan(
      1000,
    );
  });

  it('applies a day of changes: inserts, updates and deletes in every busy table', async () => {
    const before = await count(`SELECT count(*) FROM order_items WHERE order_id <= 1000000`);
    await applyDayOfChanges(client);
    const after = await fingerprints();
    expect(after).toEqual(AFTER_CHANGES);
    expect(await count(`SELECT count(*) FROM order_items WHERE order_id <= 1000000`)).toBeLessThan(
      before - 1000,
    );
    expect(
      await count(`SELECT count(*) FROM orders WHERE updated_at >= '2025-07-01' AND order_id <= 1000000`),
    ).toBeGreaterThan(4000);
    expect(await count(`SELECT count(*) FROM listings WHERE updated_at >= '2025-07-01'`)).toBeGreaterThan(
      1000,
    );
  });
});
