/**
 * Large MySQL/MariaDB tables read as key ranges on several connections: the same rows as one
 * read, all from one consistent state of the table (writes after the read began are never seen,
 * in any range), an early stop that leaves nothing behind, and the fall back to one connection
 * when the short table lock that lines up the snapshots cannot be taken.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import type { StagedChunk, StreamSchema } from '../../src/core/stream.js';
import { fullPlan } from '../conformance/source-conformance.js';
import { MACHINE_MARIADB, adminSql, createTestMariaDb, createTestMariaDbUser } from '../helpers/mariadb.js';
import type { TestMariaDb, TestMariaDbUser } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

const ROWS = 20_000;
const CHUNK_BYTES = 16 * 1024;

describe.skipIf(!up)('MySQL/MariaDB key-range reads', () => {
  let db: TestMariaDb;
  let stageRoot: string;
  let schema: StreamSchema;
  let expected: string[];
  const users: TestMariaDbUser[] = [];
  const parallelUrl = () => `${db.url}?parallelism=3&splitMinRows=1`;

  /** Reads the table; `during` runs once the first chunk has arrived. Returns chunks and sorted lines. */
  async function read(url: string, during?: () => Promise<void>) {
    const connector = connectorForUrl(url);
    const dir = await mkdtemp(path.join(stageRoot, 's-'));
    const chunks: StagedChunk[] = [];
    try {
      for await (const chunk of connector.read(fullPlan(schema, dir, CHUNK_BYTES), null)) {
        chunks.push(chunk);
        if (chunks.length === 1) await during?.();
      }
    } finally {
      await connector.close();
    }
    const text = (await Promise.all(chunks.map((c) => readFile(c.path, 'utf8')))).join('');
    return {
      dir,
      chunks,
      lines: text
        .split('\n')
        .filter((l) => l !== '')
        .sort(),
    };
  }

  beforeAll(async () => {
    db = await createTestMariaDb('connectors_mariadb_parallel');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-parallel-'));
    // Keys with gaps and an unsigned type; ANALYZE gives discovery a row estimate.
    await db.sql(`CREATE TABLE wide (id bigint unsigned PRIMARY KEY, grp int, v varchar(100));
      INSERT INTO wide SELECT seq * 3, seq % 7, CONCAT('row "', seq, '", with text') FROM seq_1_to_${ROWS};
      ANALYZE TABLE wide;`);
    const connector = connectorForUrl(db.url);
    schema = (await connector.discover()).find((s) => s.name === 'wide') as StreamSchema;
    await connector.close();
    expected = (await read(db.url)).lines;
  });

  afterAll(async () => {
    await Promise.all(users.map((user) => user.drop()));
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  it('reads every row once, in chunks numbered 0…n-1 from all ranges, and leaves no connection open', async () => {
    expect(expected).toHaveLength(ROWS);
    const { chunks, lines } = await read(parallelUrl());
    expect(lines).toEqual(expected);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    const prefixes = new Set(chunks.map((c) => path.basename(c.path).slice(0, 3)));
    expect(prefixes).toEqual(new Set(['r0-', 'r1-', 'r2-']));
    expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(ROWS);
    await expectNoConnections(db.name);
  });

  it('sees one state of the table in every range: writes committed after the read began are not read', async () => {
    const change = async () => {
      const writer = await mysql.createConnection({ ...MACHINE_MARIADB, database: db.name });
      try {
        // One change per range: the low end, the middle, and past the high end.
        await writer.query('DELETE FROM wide WHERE id <= 300');
        await writer.query("UPDATE wide SET v = 'changed' WHERE id BETWEEN 30000 AND 30300");
        await writer.query(`INSERT INTO wide SELECT seq * 3 + 100000, 0, 'new' FROM seq_1_to_500`);
      } finally {
        await writer.end();
      }
    };
    const { lines } = await read(parallelUrl(), change);
    expect(lines).toEqual(expected);
    const after = await read(db.url);
    expect(after.lines).not.toEqual(expected);
    // Put the table back for the other cases.
    await db.sql(
      `DELETE FROM wide; INSERT INTO wide SELECT seq * 3, seq % 7, CONCAT('row "', seq, '", with text') FROM seq_1_to_${ROWS};`,
    );
    expect((await read(db.url)).lines).toEqual(expected);
  });

  it('stopping early leaves only the yielded chunk and no open connection', async () => {
    const connector = connectorForUrl(parallelUrl());
    const dir = await mkdtemp(path.join(stageRoot, 's-'));
    let first: StagedChunk | undefined;
    for await (const chunk of connector.read(fullPlan(schema, dir, CHUNK_BYTES), null)) {
      first = chunk;
      break;
    }
    expect(await readdir(dir)).toEqual([path.basename(first?.path ?? '')]);
    await expect(connector.check()).resolves.toBeUndefined();
    await connector.close();
    await expectNoConnections(db.name);
  });

  it('falls back to one connection and one snapshot without the LOCK TABLES privilege', async () => {
    const user = await createTestMariaDbUser('selectonly', 'Pw-Select-1', [`SELECT ON \`${db.name}\`.*`]);
    users.push(user);
    const url = `mysql://${user.name}:Pw-Select-1@127.0.0.1:3306/${db.name}?parallelism=3&splitMinRows=1`;
    const { chunks, lines } = await read(url);
    expect(lines).toEqual(expected);
    expect(chunks.every((c) => path.basename(c.path).startsWith('chunk-'))).toBe(true);
  });

  it('falls back to one snapshot, without waiting long, while a transaction holds writes to the table', async () => {
    const writer = await mysql.createConnection({ ...MACHINE_MARIADB, database: db.name });
    try {
      await writer.query('START TRANSACTION');
      await writer.query("UPDATE wide SET v = 'uncommitted' WHERE id = 3");
      const started = Date.now();
      const { chunks, lines } = await read(parallelUrl());
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(lines).toEqual(expected);
      expect(chunks.every((c) => path.basename(c.path).startsWith('chunk-'))).toBe(true);
    } finally {
      await writer.query('ROLLBACK');
      await writer.end();
    }
  });
});

/** No session is left in the test database (closing is asynchronous on the server: poll briefly). */
async function expectNoConnections(database: string): Promise<void> {
  let count = -1;
  for (let attempt = 0; attempt < 40 && count !== 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const [rows] = (await adminSql('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [
      database,
    ])) as [{ n: string | number }[]];
    count = Number(rows[0]?.n);
  }
  expect(count).toBe(0);
}
