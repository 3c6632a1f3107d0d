/**
 * The MariaDB edition of Chinook stages the same bytes as the other editions: all 11 tables as
 * the SQLite edition, and as the PostgreSQL edition wherever that edition's data agrees (it
 * differs in customer and invoice, e.g. "Edinburgh " with a trailing space in the other two —
 * see chinook-cross-source.test.ts). Three sources, three reading paths (MySQL text protocol,
 * SQLite values, PostgreSQL COPY), one canonical text.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/connectors/connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { fullPlan, readAll } from '../conformance/source-conformance.js';
import {
  CHINOOK_SQLITE,
  CHINOOK_TABLES,
  chinookSqliteName,
  loadChinook,
  loadChinookMariaDb,
} from '../helpers/chinook.js';
import { createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const mariadbUp = await serviceAvailable('MariaDB', 3306);
const postgresUp = await serviceAvailable('PostgreSQL', 5432);

/** Where the PostgreSQL edition holds different data from the MySQL and SQLite editions. */
const POSTGRES_DIFFERS = new Set(['customer', 'invoice']);

describe.skipIf(!mariadbUp || !postgresUp)('Chinook staged from MariaDB, SQLite and PostgreSQL', () => {
  let mariadb: TestMariaDb;
  let postgres: TestDatabase;
  let root: string;

  beforeAll(async () => {
    [mariadb, postgres] = await Promise.all([
      createTestMariaDb('connectors_chinook_cross3'),
      createTestDatabase('connectors_chinook_cross3'),
    ]);
    await Promise.all([loadChinookMariaDb(mariadb), loadChinook(postgres)]);
    root = await mkdtemp(path.join(os.tmpdir(), 'sluice-cross3-'));
  });

  afterAll(async () => {
    await Promise.all([mariadb?.drop(), postgres?.drop()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** The staged text of a table, rows sorted (the editions store rows in different orders). */
  async function stagedRows(url: string, table: string): Promise<string[]> {
    const connector: Connector = connectorForUrl(url);
    try {
      const schema = (await connector.discover()).find((s) => s.name === table);
      if (!schema) throw new Error(`no table ${table}`);
      const chunks = await readAll(
        connector,
        fullPlan(schema, await mkdtemp(path.join(root, 's-')), 1 << 30),
      );
      const text = (await Promise.all(chunks.map((c) => readFile(c.path, 'utf8')))).join('');
      return text.split('\n').sort();
    } finally {
      await connector.close();
    }
  }

  it.each(Object.keys(CHINOOK_TABLES))(
    '%s is identical to the SQLite edition (and to PostgreSQL where it agrees)',
    async (table) => {
      const fromMariadb = await stagedRows(mariadb.url, chinookSqliteName(table));
      // The staged text ends with a newline, so splitting adds one empty line.
      expect(fromMariadb).toHaveLength((CHINOOK_TABLES[table]?.rows ?? 0) + 1);
      expect(fromMariadb).toEqual(await stagedRows(`sqlite:${CHINOOK_SQLITE}`, chinookSqliteName(table)));
      const fromPostgres = await stagedRows(postgres.url, table);
      if (POSTGRES_DIFFERS.has(table)) expect(fromMariadb).not.toEqual(fromPostgres);
      else expect(fromMariadb).toEqual(fromPostgres);
    },
  );
});
