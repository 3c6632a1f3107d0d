/**
 * The same data staged from two different sources must be the same bytes: Chinook's PostgreSQL
 * edition (read by COPY) and its SQLite edition (encoded in JavaScript from dynamically typed
 * values) agree row for row, which pins down the canonical text of integers, decimals stored as
 * SQLite reals, timestamps stored as text, NULLs and quoting.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/connectors/connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { fullPlan, readAll } from '../conformance/source-conformance.js';
import { CHINOOK_SQLITE, CHINOOK_TABLES, chinookSqliteName, loadChinook } from '../helpers/chinook.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('PostgreSQL', 5432);

/** Where the two editions hold different data (e.g. "Edinburgh " with a trailing space in SQLite). */
const DIFFERENT_DATA = new Set(['customer', 'invoice']);

describe.skipIf(!up)('Chinook staged from PostgreSQL and from SQLite', () => {
  let db: TestDatabase;
  let root: string;

  beforeAll(async () => {
    db = await createTestDatabase('connectors_chinook_cross');
    await loadChinook(db);
    root = await mkdtemp(path.join(os.tmpdir(), 'sluice-cross-'));
  });

  afterAll(async () => {
    await db?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** The staged text of a table, rows sorted (the editions store rows in different orders). */
  async function stagedRows(connector: Connector, table: string): Promise<string[]> {
    const schema = (await connector.discover()).find((s) => s.name === table);
    if (!schema) throw new Error(`no table ${table}`);
    const chunks = await readAll(connector, fullPlan(schema, await mkdtemp(path.join(root, 's-')), 1 << 30));
    const text = (await Promise.all(chunks.map((c) => readFile(c.path, 'utf8')))).join('');
    return text.split('\n').sort();
  }

  it.each(Object.keys(CHINOOK_TABLES).filter((t) => !DIFFERENT_DATA.has(t)))(
    '%s is identical',
    async (table) => {
      const postgres = connectorForUrl(db.url);
      const sqlite = connectorForUrl(`sqlite:${CHINOOK_SQLITE}`);
      try {
        const fromPostgres = await stagedRows(postgres, table);
        const fromSqlite = await stagedRows(sqlite, chinookSqliteName(table));
        // The staged text ends with a newline, so splitting adds one empty line.
        expect(fromPostgres).toHaveLength((CHINOOK_TABLES[table]?.rows ?? 0) + 1);
        expect(fromSqlite).toEqual(fromPostgres);
      } finally {
        await Promise.all([postgres.close(), sqlite.close()]);
      }
    },
  );
});
