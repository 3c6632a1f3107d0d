/**
 * CopyOutStream, the PostgreSQL reader's `COPY … TO STDOUT` stream: byte for byte what
 * pg-copy-streams (the reference it replaces) delivers, for rows of every size (a row longer than
 * a socket read included), with notices interleaved in the copy; an error in the middle of the
 * copy rejects the stream with the server's error; the connection serves the next query after
 * each.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyOutStream } from '../../src/connectors/postgres/copy-out-stream.js';
import { MACHINE_PG, createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('PostgreSQL', 5432);

/** Rows of 1 to ~300 kB, with quotes, commas, newlines, NULLs and non-ASCII text. */
const VARIED = `COPY (
  SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'row "' || g || '", ä€𝄞' || chr(10) || repeat('x', g % 97) END,
         CASE WHEN g % 5000 = 0 THEN repeat('long,"value"' || chr(10), 25000) ELSE '' END
  FROM generate_series(1, 60000) g) TO STDOUT WITH (FORMAT csv)`;

async function drain(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const data of stream) {
    hash.update(data);
    bytes += data.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

describe.skipIf(!up)('CopyOutStream', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('copy_out');
    await db.sql(`CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`);
    client = new pg.Client({ ...MACHINE_PG, database: db.name });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('delivers exactly the bytes pg-copy-streams does, rows longer than a socket read included', async () => {
    const reference = await drain(client.query(copyTo(VARIED)));
    const stream = client.query(new CopyOutStream(VARIED));
    expect(await drain(stream)).toEqual(reference);
    expect(reference.bytes).toBeGreaterThan(3_000_000);
    expect(stream.rowCount).toBe(60000);
    expect((await client.query('SELECT 41 + 1 AS x')).rows).toEqual([{ x: 42 }]);
  });

  it('skips notices sent in the middle of the copy', async () => {
    const sql = 'COPY (SELECT noisy(g), g FROM generate_series(1, 20000) g) TO STDOUT WITH (FORMAT csv)';
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    const { sha256 } = await drain(client.query(new CopyOutStream(sql)));
    const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1},${i + 1}\n`).join('');
    expect(sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect((await client.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    client.removeAllListeners('notice');
  });

  it("rejects with the server's error raised in the middle of the copy, and the connection goes on", async () => {
    const sql = `COPY (SELECT 1 / (g - 150000), repeat('y', 50)
      FROM generate_series(1, 200000) g) TO STDOUT WITH (FORMAT csv)`;
    let bytes = 0;
    await expect(
      (async () => {
        for await (const data of client.query(new CopyOutStream(sql)) as AsyncIterable<Buffer>) {
          bytes += data.length;
        }
      })(),
    ).rejects.toMatchObject({ code: '22012' });
    // Rows before the failing one were delivered as they came.
    expect(bytes).toBeGreaterThan(0);
    expect((await client.query('SELECT 2 AS x')).rows).toEqual([{ x: 2 }]);
  });
});
