/**
 * Incremental reads from MariaDB that never miss a row while the source is being written
 * (`incremental-concurrent-scenario.ts`): writers stamp rows with `NOW(6)`, the time their
 * statement started, so a transaction open across a sync commits values below what the sync
 * read. The tickets table has a `datetime(6)` cursor (local time), events a `timestamp(6)` (UTC).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe } from 'vitest';
import { diffMariadbTable } from '../helpers/mariadb-lake-diff.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { MACHINE_MARIADB, createTestMariaDb } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';
import type { ConcurrentSource } from './incremental-concurrent-scenario.js';
import { concurrentIncrementalCases } from './incremental-concurrent-scenario.js';

const mariadbUp = await serviceAvailable('MariaDB', 3306);

describe.skipIf(!mariadbUp)('incremental syncs from MariaDB under concurrent writers', () => {
  let db: TestMariaDb;
  let dir: string;
  const connections: mysql.Connection[] = [];
  beforeAll(async () => {
    db = await createTestMariaDb('incr_concurrent');
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-incr-concurrent-'));
  });
  afterAll(async () => {
    await Promise.allSettled(connections.map((connection) => connection.end()));
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  concurrentIncrementalCases((): ConcurrentSource => ({
    from: db.url,
    namespace: db.name,
    lake: path.join(dir, 'lake'),
    sql: (text) => db.sql(text),
    connect: async () => {
      const connection = await mysql.createConnection({ ...MACHINE_MARIADB, database: db.name });
      connection.on('error', () => undefined);
      connections.push(connection);
      return connection;
    },
    createTable: (table, rows, hoursAgo) =>
      `CREATE TABLE ${table} (id int PRIMARY KEY,
           updated_at ${table === 'tickets' ? 'datetime(6)' : 'timestamp(6)'} NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
           payload text, writer int) ENGINE=InnoDB;
         INSERT INTO ${table} SELECT seq, NOW(6) - INTERVAL ${hoursAgo} HOUR, 'seed', 0 FROM seq_1_to_${rows}`,
    upsert: (table, ids, payload, writer, backdateMs) =>
      `INSERT INTO ${table} (id, updated_at, payload, writer) VALUES ${ids
        .map((id) => `(${id}, NOW(6) - INTERVAL ${backdateMs * 1000} MICROSECOND, '${payload}', ${writer})`)
        .join(', ')}
         ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at), payload = VALUES(payload), writer = VALUES(writer)`,
    positionBelowRow: async (table, position, id) => {
      // tickets.updated_at is a datetime: the position is its own text, compared as is.
      const rows = await db.rows(`SELECT ? < (SELECT updated_at FROM ${table} WHERE id = ?) AS below`, [
        String(position?.cursor),
        id,
      ]);
      return String(rows[0]?.below) === '1';
    },
    diff: (table) => diffMariadbTable(db, path.join(dir, 'lake'), table),
  }));
});
