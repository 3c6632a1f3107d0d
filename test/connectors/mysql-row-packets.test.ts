/**
 * RowPacketReader (src/connectors/mysql/mysql-row-packets.ts) reads a result set's row packets
 * off the socket of a real mysql2 connection to the machine's MariaDB: every payload must be the
 * bytes mysql2 itself would have parsed, in order, across socket reads, pauses and a row longer
 * than one protocol packet; the end of the rows, an error in the middle of them and a response
 * without rows must leave mysql2 in charge of a connection that keeps working.
 */
import mysql from 'mysql2';
import type { Connection } from 'mysql2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RowPacketReader } from '../../src/connectors/mysql/mysql-row-packets.js';
import { MACHINE_MARIADB, createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

/** Just over one protocol packet (0xffffff bytes) with its length prefix and the id. */
const LONG = 16_777_210;

describe.skipIf(!up)('MySQL row packets off the socket', () => {
  let db: TestMariaDb;
  let connection: Connection;

  beforeAll(async () => {
    db = await createTestMariaDb('row_packets');
    await db.sql(`CREATE TABLE r (id int PRIMARY KEY, body longtext NULL);
      INSERT INTO r SELECT seq, IF(seq % 7 = 0, NULL, REPEAT(CHAR(97 + seq % 26), seq % 3000)) FROM seq_1_to_20000;
      INSERT INTO r SELECT 20001, REPEAT('x', ${LONG});`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => connection?.end(() => resolve()));
    vi.restoreAllMocks();
  });

  const connect = async () => {
    connection = mysql.createConnection({ ...MACHINE_MARIADB, database: db.name });
    await connection.promise().query('SELECT 1');
    return connection;
  };

  /** What mysql2 itself reads: each row as its values' bytes. */
  const mysql2Rows = async (sql: string) => {
    const [rows] = await connection.promise().query({ sql, rowsAsArray: true, typeCast: false });
    return (rows as (Buffer | null)[][]).map((row) => row.map((value) => value?.toString('latin1') ?? null));
  };

  /** Runs `sql` with the reader installed; `pauseEvery` rows, it pauses and resumes on the next turn. */
  const readRows = (sql: string, pauseEvery = 0) =>
    new Promise<{ rows: Buffer[]; error?: Error }>((resolve) => {
      const rows: Buffer[] = [];
      const reader = RowPacketReader.install(connection, (buffer, start, end) => {
        rows.push(Buffer.from(buffer.subarray(start, end)));
        if (pauseEvery > 0 && rows.length % pauseEvery === 0) {
          setImmediate(() => reader!.resume());
          return false;
        }
        return true;
      });
      expect(reader).not.toBeNull();
      connection
        .query({ sql, rowsAsArray: true, typeCast: false })
        .on('error', (error) => resolve({ rows, error }))
        .on('end', () => resolve({ rows }));
    });

  /** The values of a text-protocol row payload. */
  const values = (payload: Buffer) => {
    const out: (string | null)[] = [];
    for (let pos = 0; pos < payload.length;) {
      const first = payload[pos]!;
      if (first === 0xfb) {
        out.push(null);
        pos += 1;
        continue;
      }
      let length = first;
      let skip = 1;
      if (first === 0xfc) [length, skip] = [payload.readUInt16LE(pos + 1), 3];
      else if (first === 0xfd) [length, skip] = [payload.readUIntLE(pos + 1, 3), 4];
      else if (first === 0xfe) [length, skip] = [Number(payload.readBigUInt64LE(pos + 1)), 9];
      out.push(payload.toString('latin1', pos + skip, pos + skip + length));
      pos += skip + length;
    }
    return out;
  };

  it.each([0, 1, 997])(
    'hands over every row as mysql2 reads it, a 16 MiB row included (pausing every %i rows)',
    async (pauseEvery) => {
      await connect();
      const warn = vi.spyOn(console, 'error');
      const sql = 'SELECT id, body FROM r ORDER BY id';
      const expected = await mysql2Rows(sql);
      expect(expected).toHaveLength(20_001);
      const { rows, error } = await readRows(sql, pauseEvery);
      expect(error).toBeUndefined();
      expect(rows.length).toBe(expected.length);
      const got = rows.map(values);
      expect(got.at(-1)![1]!.length).toBe(LONG);
      expect(got).toEqual(expected);
      // mysql2 has the connection back, its packet counter in step (no out-of-order warning).
      expect(await mysql2Rows('SELECT 41 + 1')).toEqual([['42']]);
      expect(warn).not.toHaveBeenCalled();
    },
  );

  it('passes an error in the middle of the rows to the query, and the connection keeps working', async () => {
    await connect();
    // The subquery fails at id 5000, after rows were sent.
    const { rows, error } = await readRows(
      'SELECT id, (SELECT 1 FROM seq_1_to_2 WHERE id >= 5000) AS x FROM r ORDER BY id',
    );
    expect(error?.message).toMatch(/more than 1 row/);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(5000);
    expect(await mysql2Rows('SELECT 7')).toEqual([['7']]);
  });

  it('leaves a response without rows to mysql2', async () => {
    await connect();
    const { rows, error } = await readRows('SELECT * FROM no_such_table');
    expect(error?.message).toMatch(/doesn't exist/);
    expect(rows).toEqual([]);
    const update = await readRows('UPDATE r SET body = body WHERE id = 1');
    expect(update).toEqual({ rows: [] });
    expect(await mysql2Rows('SELECT 8')).toEqual([['8']]);
  });

  it('declines a connection that is busy with another command', async () => {
    await connect();
    const busy = connection.promise().query('SELECT SLEEP(0.2)');
    expect(RowPacketReader.install(connection, () => true)).toBeNull();
    await busy;
  });

  it('declines a connection that uses the compressed protocol', async () => {
    connection = mysql.createConnection({ ...MACHINE_MARIADB, database: db.name, compress: true });
    await connection.promise().query('SELECT 1');
    expect(RowPacketReader.install(connection, () => true)).toBeNull();
    expect(await mysql2Rows('SELECT 9')).toEqual([['9']]);
  });
});
