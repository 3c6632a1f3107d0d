/**
 * MySQL/MariaDB binlog capture against a private MariaDB with the binlog on (the machine's shared
 * server has it off): prerequisites with precise errors, every type staged from the binlog byte
 * for byte as the snapshot stages it, snapshot + stream with writers running during the snapshot
 * (no gap, no overlap), inserts/updates/deletes, rolled-back transactions absent, TRUNCATE,
 * ADD COLUMN picked up, and a purged binlog refused with the re-snapshot hint.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ColumnSchema } from '@vlasky/zongji';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeBatch, ChangeCapture, LogPosition } from '../../src/cdc/change-capture.js';
import { BinlogReader } from '../../src/cdc/mysql/mysql-binlog-reader.js';
import { mysqlChangeCaptureDefinition } from '../../src/cdc/mysql/mysql-change-capture.js';
import { mysqlConnectorDefinition } from '../../src/connectors/mysql/mysql-connector.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { StreamPlan } from '../../src/core/stream.js';
import { fullPlan } from '../conformance/source-conformance.js';
import { createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { mariadbServerInstalled, startPrivateMariaDb } from '../helpers/private-mariadb.js';
import type { PrivateMariaDbServer } from '../helpers/private-mariadb.js';
import { IN_CI, serviceAvailable } from '../helpers/services.js';
import { readStageCsv } from '../helpers/stage-csv-rows.js';

const installed = mariadbServerInstalled();
if (!installed && IN_CI)
  throw new Error('the MariaDB server binaries are not installed (CI=true: a missing service fails the run)');
if (!installed)
  console.warn('\n!!! SKIPPING MySQL CDC tests: the MariaDB server binaries are not installed\n');

/** [column type, SQL literals inserted one row each]: every type the capture maps. */
const TYPE_CASES: [string, string[]][] = [
  ['tinyint(1)', ['0', '1', '-128', '127']],
  ['tinyint unsigned', ['255']],
  ['smallint', ['-32768']],
  ['mediumint unsigned', ['16777215']],
  ['int', ['-2147483648']],
  ['int unsigned', ['4294967295']],
  ['int(6) zerofill', ['42', '0']],
  ['bigint', ['-9223372036854775808', '9223372036854775807', '9007199254740993']],
  ['bigint unsigned', ['18446744073709551615', '0', '9007199254740993']],
  ['decimal(38,10)', ['9999999999999999999999999999.9999999999', '-0.5', '0']],
  ['decimal(8,2) zerofill', ['1.5', '0']],
  ['decimal(65,30)', ['-12345678901234567890123456789012345.123456789012345678901234567890', '0']],
  ['float', ['0.1', '1.0000001', '16777217', '3.4028234e38', '1e-5', '-0']],
  ['float(7,2)', ['12.345']],
  ['double', ['0.1', '1e15', '5e-324', '1.7976931348623157e308', '0.30000000000000004', '-1.5e-5']],
  ['double(10,2)', ['1.5', '1.005']],
  ['bit(1)', ["b'1'", "b'0'"]],
  ['bit(10)', ["b'1010101010'"]],
  ['bit(64)', [`b'${'1'.repeat(64)}'`, "b'0'"]],
  ['year', ['2024', '0', '2155', '1901']],
  ['date', ["'2024-02-29'", "'1000-01-01'", "'0001-01-01'", "'9999-12-31'"]],
  ['datetime(6)', ["'2024-01-02 03:04:05.1234'", "'9999-12-31 23:59:59.999999'", "'1000-01-01 00:00:00'"]],
  ['datetime', ["'2021-01-01 00:00:00'"]],
  ['datetime(3)', ["'2021-01-01 00:00:00.120'"]],
  ['timestamp(3) NULL', ["'2024-06-01 12:00:00.5'", "'1970-01-01 02:00:01'", "'2038-01-19 05:14:07.999'"]],
  ['timestamp NULL', ["'2024-06-01 12:00:00'"]],
  ['time(6)', ["'-838:59:59'", "'12:30:00.5'", "'100:00:00'"]],
  ['time', ["'-01:02:03'", "'838:59:59'"]],
  ["enum('a','b,c','','it''s')", ["'b,c'", "''", "'it''s'", "'a'"]],
  ["set('x','y','z')", ["'x,y'", "''", "'z,x'"]],
  ['json', [`'{"b": 1,  "a": [1, "x,y"]}'`, "'[]'"]],
  ['char(5)', ["'ab'", "'ab  '", "''"]],
  ['varchar(40)', ["''", `'say "hi", then\\ngo'`, "'Grüße 日本 🎉'", "'NULL'", "'\\\\N'", "' padded '"]],
  ['text', ["'cr\\rlf\\r\\n'"]],
  ['mediumtext', ["REPEAT('long text ', 3000)"]],
  ['varchar(10) CHARACTER SET latin1', ["'Grüße'"]],
  ['varchar(10) CHARACTER SET utf16', ["'Grüße'"]],
  ['blob', ["x'00ff10'", "x''"]],
  ['longblob', ["REPEAT(x'00ff', 40000)"]],
  ['binary(3)', ["'ab'", "x'000000'"]],
  ['varbinary(10)', [`'a,"b'`]],
  ['uuid', ["'123E4567-E89B-12D3-A456-426614174000'"]],
  [
    'inet6',
    ["'::1'", "'2001:db8::ff00:42:8329'", "'::3e9'", "'::'", "'::ffff:1.2.3.4'", "'1:0:1:1:1:1:1:1'"]
      .concat([
        "'1:0:0:1:0:0:0:1'",
        "'1:0:0:1:1:0:0:1'",
        "'0:0:1::'",
        "'::ffff:0:0'",
        "'::1:0:0'",
        "'::0.1.0.0'",
      ])
      .concat(["'fe80::'", "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'"]),
  ],
  ['inet4', ["'10.0.0.1'"]],
];

/** The stream plans of the database's tables, as the runner would plan them. */
async function plansOf(url: string, stageRoot: string, names?: string[]): Promise<StreamPlan[]> {
  const connector = mysqlConnectorDefinition.create(
    mysqlConnectorDefinition.configSchema.parse({ url }) as Parameters<
      typeof mysqlConnectorDefinition.create
    >[0],
  );
  try {
    const schemas = (await connector.discover()).filter((s) => !names || names.includes(s.name));
    return await Promise.all(
      schemas.map(async (schema) =>
        fullPlan(schema, await mkdtemp(path.join(stageRoot, `${schema.name}-`)), 1 << 20),
      ),
    );
  } finally {
    await connector.close();
  }
}

/** Collects batches until `done` says stop (or the capture reaches the position current at start). */
async function collect(
  capture: ChangeCapture,
  plans: StreamPlan[],
  from: LogPosition,
  untilCaughtUp = true,
  options: Partial<{ maxRows: number; maxMs: number }> = {},
): Promise<RowsBatch[]> {
  const batches: RowsBatch[] = [];
  const controller = new AbortController();
  for await (const batch of capture.changes(plans, from, {
    maxRows: options.maxRows ?? 50_000,
    maxMs: options.maxMs ?? 200,
    untilCaughtUp,
    signal: controller.signal,
  })) {
    // Copy the chunk files' rows now: the capture reuses its stage directory.
    batches.push(await materialise(batch));
  }
  return batches;
}

/** A batch whose chunk paths are replaced by their rows (so later batches cannot delete them). */
type RowsBatch = ChangeBatch & {
  rows: Map<string, { truncateFirst: boolean; columns: string[]; rows: (string | null)[][] }[]>;
};

async function materialise(batch: ChangeBatch): Promise<RowsBatch> {
  const rows: RowsBatch['rows'] = new Map();
  for (const stream of batch.streams) {
    const segments = [];
    for (const segment of stream.segments) {
      segments.push({
        truncateFirst: segment.truncateFirst,
        columns: segment.columns.map((c) => c.name),
        rows: segment.chunk ? await readStageCsv(segment.chunk.path) : [],
      });
      expect(segment.chunk?.operations ?? true).toBe(true);
    }
    rows.set(stream.stream, segments);
  }
  return { ...batch, rows };
}

/** Applies snapshot rows and then change batches by key, as a merge would: the table's rows after them. */
function applyChanges(
  snapshot: (string | null)[][],
  batches: RowsBatch[],
  stream: string,
  keyIndex = 0,
): Map<string, (string | null)[]> {
  const table = new Map(snapshot.map((row) => [String(row[keyIndex]), row]));
  for (const batch of batches) {
    for (const segment of batch.rows.get(stream) ?? []) {
      if (segment.truncateFirst) table.clear();
      for (const row of segment.rows) {
        const op = row.at(-1);
        const values = row.slice(0, -1);
        if (op === 'd') table.delete(String(values[keyIndex]));
        else table.set(String(values[keyIndex]), values);
      }
    }
  }
  return table;
}

/** The snapshot rows of one stream, as staged text rows. */
async function snapshotRows(capture: ChangeCapture, plans: StreamPlan[]) {
  const snapshot = await capture.snapshot(plans);
  const rows = new Map<string, (string | null)[][]>();
  const texts = new Map<string, string>();
  try {
    for await (const { stream, chunk } of snapshot.chunks) {
      rows.set(stream, [...(rows.get(stream) ?? []), ...(await readStageCsv(chunk.path))]);
      texts.set(stream, (texts.get(stream) ?? '') + (await readFile(chunk.path, 'utf8')));
    }
  } finally {
    await snapshot.close();
  }
  return { position: snapshot.position, rows, texts };
}

describe.skipIf(!installed)('MySQL/MariaDB binlog capture', () => {
  let server: PrivateMariaDbServer;
  let db: TestMariaDb;
  let stageRoot: string;
  let capture: ChangeCapture;

  beforeAll(async () => {
    server = await startPrivateMariaDb();
    db = await server.createDatabase('cdc_capture');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-mysql-cdc-'));
    capture = mysqlChangeCaptureDefinition.fromUrl(db.url, { name: 'test', stageDir: stageRoot });
  });

  afterAll(async () => {
    await capture?.close();
    await server?.stop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  it('checks the server and the tables: primary key required, geometry refused', async () => {
    await db.sql(
      'CREATE TABLE ok_t (id int PRIMARY KEY, v int); CREATE TABLE no_pk (v int); CREATE TABLE geo (id int PRIMARY KEY, g geometry)',
    );
    const [ok, noPk, geo] = await plansOf(db.url, stageRoot).then((plans) =>
      ['ok_t', 'no_pk', 'geo'].map((name) => plans.find((p) => p.schema.name === name) as StreamPlan),
    );
    await expect(capture.check([ok as StreamPlan])).resolves.toBeUndefined();
    const noKey = await capture.check([noPk as StreamPlan]).catch((e: unknown) => e);
    expect(isSluiceError(noKey, 'CDC_PREREQUISITE')).toBe(true);
    expect((noKey as Error).message).toContain('no_pk has no primary key');
    const geometry = await capture.check([geo as StreamPlan]).catch((e: unknown) => e);
    expect(isSluiceError(geometry, 'TYPE_UNSUPPORTED')).toBe(true);
    await db.sql('DROP TABLE ok_t, no_pk, geo');
  });

  it('refuses a server without the binlog, a statement-format binlog and a user without replication grants', async () => {
    if (await serviceAvailable('MariaDB', 3306)) {
      // The machine's shared server runs with the binlog off (the reason for the private one).
      const shared = await createTestMariaDb('cdc_no_binlog');
      try {
        const [log] = await shared.rows('SELECT @@GLOBAL.log_bin AS on_');
        if (String(log?.on_) === '0') {
          await shared.sql('CREATE TABLE t (id int PRIMARY KEY)');
          const off = mysqlChangeCaptureDefinition.fromUrl(shared.url, { name: 'test', stageDir: stageRoot });
          const error = await off.check(await plansOf(shared.url, stageRoot)).catch((e: unknown) => e);
          await off.close();
          expect(isSluiceError(error, 'CDC_PREREQUISITE')).toBe(true);
          expect((error as Error).message).toContain('log_bin = OFF');
          expect((error as { hint?: string }).hint).toContain('--log-bin');
        }
      } finally {
        await shared.drop();
      }
    }
    await db.sql('CREATE TABLE g_t (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['g_t']);
    await server.adminSql("SET GLOBAL binlog_format = 'STATEMENT'");
    try {
      const error = await capture.check(plans).catch((e: unknown) => e);
      expect(isSluiceError(error, 'CDC_PREREQUISITE')).toBe(true);
      expect((error as Error).message).toContain('binlog_format is STATEMENT');
    } finally {
      await server.adminSql("SET GLOBAL binlog_format = 'ROW'");
    }
    await server.adminSql("CREATE USER 'plain'@'127.0.0.1'; GRANT SELECT ON *.* TO 'plain'@'127.0.0.1'");
    const plain = mysqlChangeCaptureDefinition.fromUrl(db.url.replace('root@', 'plain@'), {
      name: 't',
      stageDir: stageRoot,
    });
    try {
      const error = await plain.check(plans).catch((e: unknown) => e);
      expect(isSluiceError(error, 'CDC_PREREQUISITE')).toBe(true);
      expect((error as { hint?: string }).hint).toContain('GRANT REPLICATION SLAVE');
    } finally {
      await plain.close();
      await server.adminSql("DROP USER 'plain'@'127.0.0.1'");
      await db.sql('DROP TABLE g_t');
    }
  });

  it('stages every type from the binlog byte for byte as the snapshot stages it (insert, update, delete)', async () => {
    const columns = TYPE_CASES.map(([type], i) => `c${i} ${type}`);
    await db.sql(`CREATE TABLE types (id int PRIMARY KEY, ${columns.join(', ')})`);
    const plans = await plansOf(db.url, stageRoot, ['types']);
    const start = (await snapshotRows(capture, plans)).position;
    let id = 0;
    const inserts: string[] = [];
    TYPE_CASES.forEach(([, literals], i) => {
      for (const literal of literals)
        inserts.push(`INSERT INTO types (id, c${i}) VALUES (${++id}, ${literal});`);
    });
    inserts.push(`INSERT INTO types (id) VALUES (${++id});`);
    // Timestamps are written in a +02:00 session: stored and staged as UTC on both paths.
    await db.sql(`SET time_zone = '+02:00'; ${inserts.join('\n')}`);
    const after = await snapshotRows(capture, plans);
    const inserted = await collect(capture, plans, start);
    const binlogText = inserted.flatMap((b) => b.rows.get(`${db.name}.types`) ?? []).flatMap((s) => s.rows);
    expect(binlogText).toHaveLength(id);
    expect(binlogText.every((row) => row.at(-1) === 'i')).toBe(true);
    // Row for row, field for field: the binlog's canonical text is the snapshot's.
    expect(binlogText.map((row) => row.slice(0, -1))).toEqual(after.rows.get(`${db.name}.types`));

    // An update of every row (a column changed) and a delete carry full images, rendered the same.
    await db.sql('ALTER TABLE types ADD COLUMN z int');
    const plans2 = await plansOf(db.url, stageRoot, ['types']);
    const beforeUpdate = (await snapshotRows(capture, plans2)).position;
    await db.sql('UPDATE types SET z = 1');
    const updated = (await snapshotRows(capture, plans2)).rows.get(`${db.name}.types`);
    await db.sql('DELETE FROM types');
    const changes = await collect(capture, plans2, beforeUpdate);
    const rows = changes.flatMap((b) => b.rows.get(`${db.name}.types`) ?? []).flatMap((s) => s.rows);
    expect(rows.filter((r) => r.at(-1) === 'u').map((r) => r.slice(0, -1))).toEqual(updated);
    expect(rows.filter((r) => r.at(-1) === 'd').map((r) => r.slice(0, -1))).toEqual(updated);
    await db.sql('DROP TABLE types');
  });

  it('fails a zero date in the binlog with the table, column, value and row key', async () => {
    await db.sql('CREATE TABLE zero (id int PRIMARY KEY, d date)');
    const plans = await plansOf(db.url, stageRoot, ['zero']);
    const start = (await snapshotRows(capture, plans)).position;
    await db.sql("SET SESSION sql_mode = ''; INSERT INTO zero VALUES (7, '0000-00-00')");
    const error = await collect(capture, plans, start).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TYPE_UNSUPPORTED' });
    expect((error as Error).message).toContain(`${db.name}.zero.d: value 0000-00-00 (row key id=7)`);
    await db.sql('DROP TABLE zero');
  });

  it('streams from the snapshot position with writers running during the snapshot: no gap, no overlap', async () => {
    await db.sql(
      `CREATE TABLE acc (id int PRIMARY KEY, n int NOT NULL, note varchar(20));
       CREATE TABLE other (id int PRIMARY KEY, v text)`,
    );
    const values = Array.from({ length: 2000 }, (_, i) => `(${i}, 0, 'start')`).join(',');
    await db.sql(`INSERT INTO acc VALUES ${values}`);
    const plans = await plansOf(db.url, stageRoot, ['acc', 'other']);
    let writing = true;
    const writer = (async () => {
      let round = 0;
      while (writing) {
        round++;
        await db.sql(
          `START TRANSACTION;
           UPDATE acc SET n = n + 1 WHERE id % 7 = ${round % 7};
           INSERT INTO acc VALUES (${10_000 + round}, ${round}, 'new');
           DELETE FROM acc WHERE id = ${round * 3};
           INSERT INTO other VALUES (${round}, 'x');
           COMMIT;
           START TRANSACTION; UPDATE acc SET note = 'rolled back'; INSERT INTO acc VALUES (${-round}, 0, 'rb'); ROLLBACK;`,
        );
      }
      return round;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const snapshot = await snapshotRows(capture, plans);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    const rounds = await writer;
    expect(rounds).toBeGreaterThan(2);
    const batches = await collect(capture, plans, snapshot.position, true, { maxRows: 500 });
    const key = `${db.name}.acc`;
    const applied = applyChanges(snapshot.rows.get(key) ?? [], batches, key);
    const source = (await db.rows('SELECT id, n, note FROM acc ORDER BY id')).map((r) => [
      String(r.id),
      String(r.n),
      r.note === null ? null : String(r.note),
    ]);
    expect([...applied.values()].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(source);
    // Rolled-back transactions never reach the binlog.
    const all = batches.flatMap((b) => b.rows.get(key) ?? []).flatMap((s) => s.rows);
    expect(all.some((row) => row[2] === 'rolled back' || row[2] === 'rb')).toBe(false);
    // Bounded batches, each ending on a transaction boundary with a growing position.
    expect(batches.length).toBeGreaterThan(1);
    for (let i = 1; i < batches.length; i++) {
      expect(
        capture.compare((batches[i] as RowsBatch).position, (batches[i - 1] as RowsBatch).position),
      ).toBeGreaterThan(0);
    }
    expect(batches.at(-1)?.caughtUp).toBe(true);
    const other = applyChanges(snapshot.rows.get(`${db.name}.other`) ?? [], batches, `${db.name}.other`);
    expect(other.size).toBe(rounds);
    await db.sql('DROP TABLE acc, other');
  });

  it('replays a TRUNCATE in place and picks up a column added at the end', async () => {
    await db.sql(
      "CREATE TABLE tr (id int PRIMARY KEY, v varchar(10)); INSERT INTO tr VALUES (1, 'a'), (2, 'b')",
    );
    const plans = await plansOf(db.url, stageRoot, ['tr']);
    const snapshot = await snapshotRows(capture, plans);
    await db.sql(
      `INSERT INTO tr VALUES (3, 'c'); TRUNCATE TABLE tr; INSERT INTO tr VALUES (4, 'd');
       ALTER TABLE tr ADD COLUMN w int; INSERT INTO tr VALUES (5, 'e', 50); UPDATE tr SET w = 40 WHERE id = 4`,
    );
    const batches = await collect(capture, plans, snapshot.position, true, { maxMs: 60_000 });
    const key = `${db.name}.tr`;
    const segments = batches.flatMap((b) => b.rows.get(key) ?? []);
    expect(segments.some((s) => s.truncateFirst)).toBe(true);
    expect(segments.at(-1)?.columns).toEqual(['id', 'v', 'w']);
    const applied = applyChanges(snapshot.rows.get(key) ?? [], batches, key);
    expect([...applied.values()].map((row) => [row[0], row[1], row[2] ?? null])).toEqual([
      ['4', 'd', '40'],
      ['5', 'e', '50'],
    ]);
    await db.sql('DROP TABLE tr');
  });

  it('sends heartbeat batches while only other tables change, so the position advances', async () => {
    await db.sql('CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE busy (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['quiet']);
    const start = (await snapshotRows(capture, plans)).position;
    const controller = new AbortController();
    const heartbeats: ChangeBatch[] = [];
    const stream = (async () => {
      for await (const batch of capture.changes(plans, start, {
        maxRows: 1000,
        maxMs: 100,
        untilCaughtUp: false,
        signal: controller.signal,
      })) {
        heartbeats.push(batch);
        if (heartbeats.length === 2) controller.abort();
      }
    })();
    for (let i = 1; heartbeats.length < 2 && i <= 50; i++) {
      await db.sql(`INSERT INTO busy VALUES (${i})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    controller.abort();
    await stream;
    expect(heartbeats.length).toBe(2);
    for (const batch of heartbeats) {
      expect(batch).toMatchObject({ streams: [], changes: 0, transactions: 0, caughtUp: false });
    }
    expect(capture.compare(heartbeats[0]!.position, start)).toBeGreaterThan(0);
    expect(capture.compare(heartbeats[1]!.position, heartbeats[0]!.position)).toBeGreaterThan(0);
    await db.sql('DROP TABLE quiet, busy');
  });

  it('pauses the binlog connection while decoded rows wait for the consumer (memory stays bounded)', async () => {
    await db.sql('CREATE TABLE wide (id int PRIMARY KEY, pad varchar(2000))');
    const [master] = (await server.adminSql('SHOW MASTER STATUS')) as [{ File: string; Position: string }[]];
    const reader = new BinlogReader({
      connection: { host: server.host, port: server.port, user: 'root' },
      from: { file: master[0]?.File ?? '', pos: Number(master[0]?.Position) },
      tables: new Map([[db.name, new Set(['wide'])]]),
      describe: async (database, table) =>
        await server
          .adminSql(
            'SELECT COLUMN_NAME, CHARACTER_SET_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
            [database, table],
          )
          .then((result) => (result as [ColumnSchema[]])[0]),
    });
    reader.start(999);
    try {
      // About 120 MB of row events, four times the high-water mark, and nobody reading them.
      for (let i = 0; i < 6; i++) {
        await db.sql(
          `INSERT INTO wide SELECT seq, REPEAT('x', 2000) FROM seq_${i * 10_000 + 1}_to_${(i + 1) * 10_000}`,
        );
      }
      // Wait (bounded) until the high-water mark is reached, then give the stream time to overshoot.
      for (let i = 0; i < 300 && reader.waitingBytes < 32 * 1024 * 1024; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(reader.waitingBytes).toBeGreaterThanOrEqual(32 * 1024 * 1024);
      expect(reader.waitingBytes).toBeLessThan(48 * 1024 * 1024);
      // Draining resumes the stream: every row arrives.
      let rows = 0;
      for (let item = await reader.next(2000); item; item = await reader.next(2000)) {
        if (item.kind === 'rows') rows += item.rows.length;
      }
      expect(rows).toBe(60_000);
    } finally {
      reader.stop();
      await db.sql('DROP TABLE wide');
    }
  });

  it('keeps every batch file until the runner deletes it, however far ahead batches are read', async () => {
    await db.sql('CREATE TABLE ahead (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['ahead']);
    const start = (await snapshotRows(capture, plans)).position;
    for (let i = 1; i <= 5; i++) await db.sql(`INSERT INTO ahead VALUES (${i})`);
    const controller = new AbortController();
    const batches = capture.changes(plans, start, {
      maxRows: 1,
      maxMs: 60_000,
      untilCaughtUp: true,
      signal: controller.signal,
    });
    // Read all five batches before "applying" any (the runner reads ahead while it applies).
    const taken: ChangeBatch[] = [];
    for await (const batch of batches) taken.push(batch);
    const files = taken.flatMap((b) => b.streams.flatMap((s) => s.segments.map((g) => g.chunk?.path ?? '')));
    expect(files).toHaveLength(5);
    expect(files.every((file) => existsSync(file))).toBe(true);
    await db.sql('DROP TABLE ahead');
  });

  it('reopens its catalog connection after the server killed it', async () => {
    const before = await capture.status();
    expect(before.health).toBe('ok');
    // Every other connection of the server goes: the capture's long-lived one among them.
    const [others] = (await server.adminSql(
      'SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER = ?',
      ['root'],
    )) as [{ ID: string }[]];
    expect(others.length).toBeGreaterThan(0);
    for (const { ID } of others)
      await server.adminSql(`KILL CONNECTION ${Number(ID)}`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await capture.status();
    expect(after.health).toBe('ok');
    expect(capture.compare(after.current, before.current)).toBeGreaterThanOrEqual(0);
  });

  it('reports a binlog connection cut by the server as a retryable error (the runner resumes from its commit)', async () => {
    await db.sql('CREATE TABLE cut (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['cut']);
    const start = (await snapshotRows(capture, plans)).position;
    const controller = new AbortController();
    const run = (async () => {
      for await (const batch of capture.changes(plans, start, {
        maxRows: 1000,
        maxMs: 100,
        untilCaughtUp: false,
        signal: controller.signal,
      })) {
        void batch;
      }
    })().catch((e: unknown) => e);
    let dumps: { ID: string }[] = [];
    for (let i = 0; i < 100 && dumps.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      [dumps] = (await server.adminSql(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
      )) as [{ ID: string }[]];
    }
    expect(dumps.length).toBe(1);
    await server.adminSql(`KILL CONNECTION ${Number(dumps[0]?.ID)}`);
    const timeout = setTimeout(() => controller.abort(), 20_000);
    const error = await run;
    clearTimeout(timeout);
    expect(error).toMatchObject({ code: 'SOURCE_READ', retryable: true });
    await db.sql('DROP TABLE cut');
  });

  it('follows the binlog across a rotation to the next file', async () => {
    await db.sql('CREATE TABLE rot (id int PRIMARY KEY, v int)');
    const plans = await plansOf(db.url, stageRoot, ['rot']);
    const start = (await snapshotRows(capture, plans)).position;
    await db.sql('INSERT INTO rot VALUES (1, 1), (2, 2)');
    await server.adminSql('FLUSH BINARY LOGS');
    await db.sql('INSERT INTO rot VALUES (3, 3); UPDATE rot SET v = 10 WHERE id = 1');
    const batches = await collect(capture, plans, start);
    const key = `${db.name}.rot`;
    expect([...applyChanges([], batches, key).values()]).toEqual([
      ['1', '10'],
      ['2', '2'],
      ['3', '3'],
    ]);
    const end = batches.at(-1)?.position as LogPosition;
    expect(capture.compare(end, start)).toBeGreaterThan(0);
    expect(end.file).not.toBe(start.file);
    // Resuming in the new file reads exactly what came after.
    await db.sql('DELETE FROM rot WHERE id = 2');
    const more = await collect(capture, plans, end);
    expect(more.flatMap((b) => b.rows.get(key) ?? []).flatMap((s) => s.rows)).toEqual([['2', '2', 'd']]);
    await db.sql('DROP TABLE rot');
  });

  it('stops with SCHEMA_CHANGE when a captured column is retyped or dropped, a column is added with a default, and when the table is dropped', async () => {
    await db.sql('CREATE TABLE sc (id int PRIMARY KEY, v int, w int)');
    const plans = await plansOf(db.url, stageRoot, ['sc']);
    const start = (await snapshotRows(capture, plans)).position;
    await db.sql('ALTER TABLE sc MODIFY v bigint; INSERT INTO sc VALUES (1, 1, 1)');
    const retyped = await collect(capture, plans, start).catch((e: unknown) => e);
    expect(retyped).toMatchObject({ code: 'SCHEMA_CHANGE' });
    expect((retyped as Error).message).toContain('column v changed type from int(11) to bigint(20)');
    expect((retyped as { hint?: string }).hint).toContain('--resnapshot');

    // Rows logged before a DROP COLUMN, read after it: the table now has fewer columns than they.
    const plans2 = await plansOf(db.url, stageRoot, ['sc']);
    const before = (await snapshotRows(capture, plans2)).position;
    await db.sql(
      'INSERT INTO sc VALUES (2, 2, 2); ALTER TABLE sc DROP COLUMN w; INSERT INTO sc VALUES (3, 3)',
    );
    const dropped = await collect(capture, plans2, before).catch((e: unknown) => e);
    expect(dropped).toMatchObject({ code: 'SCHEMA_CHANGE' });
    expect((dropped as { hint?: string }).hint).toContain('--resnapshot');

    // A column added with a value for the existing rows: they hold it without any binlog change.
    const plansDefault = await plansOf(db.url, stageRoot, ['sc']);
    const beforeDefault = (await snapshotRows(capture, plansDefault)).position;
    await db.sql('ALTER TABLE sc ADD COLUMN d int NOT NULL DEFAULT 7; INSERT INTO sc VALUES (4, 4, 4)');
    const valued = await collect(capture, plansDefault, beforeDefault).catch((e: unknown) => e);
    expect(valued).toMatchObject({ code: 'SCHEMA_CHANGE' });
    expect((valued as Error).message).toContain('column d was added with a value for existing rows');

    const plans3 = await plansOf(db.url, stageRoot, ['sc']);
    const beforeDrop = (await snapshotRows(capture, plans3)).position;
    await db.sql('DROP TABLE sc');
    const gone = await collect(capture, plans3, beforeDrop).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 'SCHEMA_CHANGE' });
    expect((gone as Error).message).toContain('was dropped or renamed');
  });

  it('stops when a change of a captured table is not in the binlog as full rows: a statement, a partial image, XA', async () => {
    await db.sql('CREATE TABLE stm (id int PRIMARY KEY, v int); CREATE TABLE other_stm (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['stm']);
    const start = (await snapshotRows(capture, plans)).position;
    // Statements on other tables are none of the capture's business.
    await db.sql("SET SESSION binlog_format = 'STATEMENT'; INSERT INTO other_stm VALUES (1)");
    const fine = await collect(capture, plans, start);
    expect(fine.every((b) => b.changes === 0)).toBe(true);
    await db.sql("SET SESSION binlog_format = 'STATEMENT'; UPDATE stm SET v = 2 WHERE id = 1");
    const error = await collect(capture, plans, start).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CDC_PREREQUISITE' });
    expect((error as Error).message).toContain(
      `a change of ${db.name}.stm is in the binlog as the statement UPDATE stm`,
    );
    expect((error as { hint?: string }).hint).toContain('binlog_format = ROW');

    // A partial row image: an update that carries only the changed columns.
    const afterStatement = (await snapshotRows(capture, plans)).position;
    await db.sql(
      "SET SESSION binlog_row_image = 'MINIMAL'; INSERT INTO stm VALUES (5, 5); UPDATE stm SET v = 6 WHERE id = 5",
    );
    const partial = await collect(capture, plans, afterStatement).catch((e: unknown) => e);
    expect(partial).toMatchObject({ code: 'CDC_PREREQUISITE' });
    expect((partial as Error).message).toContain('partial row image');

    // An XA transaction: prepared in one event group, committed (or not) in another.
    const afterPartial = (await snapshotRows(capture, plans)).position;
    await db.sql(
      "XA START 'x1'; INSERT INTO stm VALUES (7, 7); XA END 'x1'; XA PREPARE 'x1'; XA ROLLBACK 'x1'",
    );
    const xa = await collect(capture, plans, afterPartial).catch((e: unknown) => e);
    expect(xa).toMatchObject({ code: 'CDC_PREREQUISITE' });
    expect((xa as Error).message).toContain('XA PREPARE');
    await db.sql('DROP TABLE stm, other_stm');
  });

  it('stops with CDC_POSITION_LOST and the re-snapshot hint when the binlog was purged', async () => {
    await db.sql('CREATE TABLE pg_t (id int PRIMARY KEY)');
    const plans = await plansOf(db.url, stageRoot, ['pg_t']);
    const old = (await snapshotRows(capture, plans)).position;
    await db.sql('INSERT INTO pg_t VALUES (1)');
    await server.adminSql('FLUSH BINARY LOGS');
    const [current] = (await server.adminSql('SHOW MASTER STATUS')) as [{ File: string }[]];
    // MariaDB keeps a file until its binlog checkpoint passes it (InnoDB flushed): retry, bounded.
    for (let attempt = 0; attempt < 100; attempt++) {
      await server.adminSql(`PURGE BINARY LOGS TO '${current[0]?.File}'`);
      const [logs] = (await server.adminSql('SHOW BINARY LOGS')) as [{ Log_name: string }[]];
      if (!logs.some((log) => log.Log_name === old.file)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const error = await collect(capture, plans, old).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CDC_POSITION_LOST' });
    expect((error as { hint?: string }).hint).toContain('--resnapshot');
    await db.sql('DROP TABLE pg_t');
  });
});
