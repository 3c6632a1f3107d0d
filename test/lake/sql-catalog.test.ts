/**
 * The SQL catalog in both control-database homes (embedded SQLite, PostgreSQL): the JDBC
 * catalog's table shape, compare-and-swap semantics, tables found by path, tables managed by
 * another control database, and bad input — a commit behind a version hint written elsewhere,
 * a corrupt or missing metadata file — each refused with a hint, the table left at its last good
 * snapshot.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebergTablesRepository } from '../../src/control/iceberg-tables-repository.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { batchRows, commitRows, countBatches } from './lake-writes.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);
let database: TestDatabase | undefined;
let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-catalog-'));
  if (pgUp) database = await createTestDatabase('sql_catalog');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await database?.drop();
});

const TABLE = { namespace: 'shop', name: 'orders' };

/** A fresh lake root and a fresh control database of the given home. */
function freshLake(home: 'sqlite' | 'postgres'): { root: string; control: string } {
  const n = ++count;
  const root = path.join(dir, `lake-${n}`);
  const control =
    home === 'sqlite'
      ? `sqlite:${path.join(dir, `control-${n}.db`)}`
      : `${database!.url}?schema=catalog_${n}`;
  return { root, control };
}

async function withDestination<T>(
  root: string,
  control: string,
  fn: (d: LakeDestination) => Promise<T>,
): Promise<T> {
  const destination = new LakeDestination(root, { control });
  try {
    return await fn(destination);
  } finally {
    await destination.close();
  }
}

async function catalogRows(root: string, control: string) {
  const db = await openControlDb(control);
  try {
    return await db.query(
      'SELECT catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type FROM iceberg_tables',
    );
  } finally {
    await db.close();
  }
}

async function batches(root: string, control: string) {
  return countBatches((await queryLake(root, 'SELECT batch, n FROM shop.orders', { control })).rows);
}

for (const home of ['sqlite', 'postgres'] as const) {
  describe.skipIf(home === 'postgres' && !pgUp)(`SQL catalog in ${home}`, () => {
    it("keeps each table's current metadata in the JDBC catalog's table shape", async () => {
      const { root, control } = freshLake(home);
      await withDestination(root, control, async (destination) => {
        await commitRows(destination, TABLE, batchRows('a', 2));
        await commitRows(destination, TABLE, batchRows('b', 3));
      });
      const catalog = LakeCatalog.open(root, { control });
      try {
        const table = await catalog.loadTable(TABLE);
        expect(table.registered).toBe(true);
        expect(table.version).toBe(2);
        const rows = await catalogRows(root, control);
        expect(rows).toEqual([
          {
            catalog_name: new LocalStorage(root).rootUrl,
            table_namespace: 'shop',
            table_name: 'orders',
            metadata_location: table.metadataUrl,
            previous_metadata_location: table.metadata['metadata-log'][0]?.['metadata-file'],
            iceberg_type: 'TABLE',
          },
        ]);
        expect(table.metadataUrl).toMatch(/\/shop\/orders\/metadata\/00002-[0-9a-f-]{36}\.metadata\.json$/);
        // Path-based readers get a copy of the committed version and the hint.
        const metadataDir = path.join(root, 'shop', 'orders', 'metadata');
        expect(await fs.readFile(path.join(metadataDir, 'version-hint.text'), 'utf8')).toBe('2');
        expect(JSON.parse(await fs.readFile(path.join(metadataDir, 'v2.metadata.json'), 'utf8'))).toEqual(
          table.metadata,
        );
      } finally {
        await catalog.close();
      }
      expect(await batches(root, control)).toEqual(
        new Map([
          ['a', 2],
          ['b', 3],
        ]),
      );
    });

    it('swaps a pointer only from the location it was based on', async () => {
      const { control } = freshLake(home);
      const db = await openControlDb(control);
      try {
        const tables = new IcebergTablesRepository(db, 'file:///lake/');
        const other = new IcebergTablesRepository(db, 'file:///other-lake/');
        expect(await tables.create('ns', 't', 'file:///lake/ns/t/metadata/00001-a.metadata.json', null)).toBe(
          true,
        );
        expect(await tables.create('ns', 't', 'file:///lake/ns/t/metadata/00001-b.metadata.json', null)).toBe(
          false,
        );
        expect(
          await other.create('ns', 't', 'file:///other-lake/ns/t/metadata/00001-c.metadata.json', null),
        ).toBe(true);
        expect(await tables.swap('ns', 't', 'file:///lake/ns/t/metadata/00001-b.metadata.json', 'x')).toBe(
          false,
        );
        const [a, b] = await Promise.all([
          tables.swap('ns', 't', 'file:///lake/ns/t/metadata/00001-a.metadata.json', 'file:///lake/v2-a'),
          tables.swap('ns', 't', 'file:///lake/ns/t/metadata/00001-a.metadata.json', 'file:///lake/v2-b'),
        ]);
        expect([a, b].filter(Boolean)).toHaveLength(1);
        expect(await tables.get('ns', 't')).toEqual({
          namespace: 'ns',
          name: 't',
          metadataLocation: a ? 'file:///lake/v2-a' : 'file:///lake/v2-b',
          previousMetadataLocation: 'file:///lake/ns/t/metadata/00001-a.metadata.json',
        });
        expect((await other.list()).map((row) => row.metadataLocation)).toEqual([
          'file:///other-lake/ns/t/metadata/00001-c.metadata.json',
        ]);
      } finally {
        await db.close();
      }
    });

    it('reads a table written before the catalog by path, and registers it on the next commit', async () => {
      const { root, control } = freshLake(home);
      const { control: elsewhere } = freshLake('sqlite');
      await withDestination(root, elsewhere, (d) => commitRows(d, TABLE, batchRows('old', 2)));
      // What a lake written before the SQL catalog looks like: only v<N> files and the hint.
      const metadataDir = path.join(root, 'shop', 'orders', 'metadata');
      for (const file of await fs.readdir(metadataDir)) {
        if (/^\d{5}-/.test(file)) await fs.rm(path.join(metadataDir, file));
      }
      const before = LakeCatalog.open(root, { control });
      try {
        expect((await before.listTables()).map((t) => [t.name, t.registered, t.totalRecords])).toEqual([
          ['orders', false, 2],
        ]);
      } finally {
        await before.close();
      }
      await withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('new', 1)));
      const after = LakeCatalog.open(root, { control });
      try {
        const table = await after.loadTable(TABLE);
        expect([table.registered, table.version]).toEqual([true, 2]);
        expect(table.metadata['metadata-log'].map((entry) => path.basename(entry['metadata-file']))).toEqual([
          'v1.metadata.json',
        ]);
      } finally {
        await after.close();
      }
      expect(await batches(root, control)).toEqual(
        new Map([
          ['old', 2],
          ['new', 1],
        ]),
      );
    });

    it('refuses to commit to a table another control database manages, and reads it by path', async () => {
      const { root, control } = freshLake(home);
      const { control: owner } = freshLake('sqlite');
      await withDestination(root, owner, (d) => commitRows(d, TABLE, batchRows('owner', 2)));
      await expect(
        withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('intruder', 1))),
      ).rejects.toMatchObject({ code: 'COMMIT_CONFLICT', hint: expect.stringMatching(/--control/) });
      expect(await batches(root, control)).toEqual(new Map([['owner', 2]]));
      expect(await batches(root, owner)).toEqual(new Map([['owner', 2]]));
      const catalog = LakeCatalog.open(root, { control });
      try {
        expect((await catalog.listTables()).map((t) => t.registered)).toEqual([false]);
      } finally {
        await catalog.close();
      }
    });

    it('refuses a table whose version hint shows a commit made outside this catalog', async () => {
      const { root, control } = freshLake(home);
      await withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('a', 1)));
      await fs.writeFile(path.join(root, 'shop', 'orders', 'metadata', 'version-hint.text'), '7');
      const error = { code: 'LAKE_CORRUPT', message: expect.stringMatching(/outside this catalog.*v7/) };
      await expect(batches(root, control)).rejects.toMatchObject(error);
      await expect(
        withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('b', 1))),
      ).rejects.toMatchObject(error);
      await fs.writeFile(path.join(root, 'shop', 'orders', 'metadata', 'version-hint.text'), '1');
      expect(await batches(root, control)).toEqual(new Map([['a', 1]]));
    });

    it('treats a table whose folder was deleted as dropped, and lets the next write create it again', async () => {
      const { root, control } = freshLake(home);
      await withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('gone', 2)));
      await fs.rm(path.join(root, 'shop'), { recursive: true });
      const catalog = LakeCatalog.open(root, { control });
      try {
        expect(await catalog.listTables()).toEqual([]);
        await expect(catalog.loadTable(TABLE)).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
      } finally {
        await catalog.close();
      }
      await withDestination(root, control, (d) =>
        Promise.all([commitRows(d, TABLE, batchRows('new', 1)), commitRows(d, TABLE, batchRows('other', 1))]),
      );
      expect(await batches(root, control)).toEqual(
        new Map([
          ['new', 1],
          ['other', 1],
        ]),
      );
    });

    for (const damage of ['corrupt', 'missing'] as const) {
      it(`refuses a ${damage} current metadata file with a hint and keeps the table at its last good snapshot`, async () => {
        const { root, control } = freshLake(home);
        await withDestination(root, control, async (d) => {
          await commitRows(d, TABLE, batchRows('a', 2));
          await commitRows(d, TABLE, batchRows('b', 1));
        });
        const [row] = await catalogRows(root, control);
        const current = new LocalStorage(root).localPath(
          new LocalStorage(root).keyOf(String(row?.metadata_location)),
        );
        const saved = await fs.readFile(current);
        if (damage === 'corrupt') await fs.writeFile(current, '{"format-version": 2, "schemas": [');
        else await fs.rm(current);
        const expected = {
          code: 'LAKE_CORRUPT',
          message: expect.stringMatching(damage === 'corrupt' ? /not usable Iceberg metadata/ : /is missing/),
          hint: expect.stringMatching(/restore/),
        };
        await expect(batches(root, control)).rejects.toMatchObject(expected);
        await expect(
          withDestination(root, control, (d) => commitRows(d, TABLE, batchRows('c', 1))),
        ).rejects.toMatchObject(expected);
        expect(await catalogRows(root, control)).toEqual([row]);
        await fs.writeFile(current, saved);
        expect(await batches(root, control)).toEqual(
          new Map([
            ['a', 2],
            ['b', 1],
          ]),
        );
      });
    }
  });
}
