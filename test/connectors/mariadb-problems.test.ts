/**
 * What goes wrong with a MySQL/MariaDB source, on the machine's MariaDB: unreachable servers,
 * wrong passwords, missing grants, unknown databases, a table dropped after discovery and a
 * connection killed in the middle of a read. Each is a precise SluiceError with a hint, never
 * a password in the text, and never a read that ends as if it were complete.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { SluiceError } from '../../src/core/errors.js';
import type { StagedChunk, StreamSchema } from '../../src/core/stream.js';
import { fullPlan, readAll } from '../conformance/source-conformance.js';
import { adminSql, createTestMariaDb, createTestMariaDbUser } from '../helpers/mariadb.js';
import type { TestMariaDb, TestMariaDbUser } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

const checkError = async (url: string): Promise<SluiceError> => {
  const connector = connectorForUrl(url);
  try {
    return (await connector.check().then(
      () => undefined,
      (e: unknown) => e,
    )) as SluiceError;
  } finally {
    await connector.close();
  }
};

describe.skipIf(!up)('MySQL/MariaDB source problems', () => {
  let db: TestMariaDb;
  let stageRoot: string;
  const users: TestMariaDbUser[] = [];
  const stageDir = () => mkdtemp(path.join(stageRoot, 's-'));
  const userUrl = (user: TestMariaDbUser, password: string) =>
    `mysql://${user.name}:${encodeURIComponent(password)}@127.0.0.1:3306/${db.name}`;
  const discovered = async (table: string): Promise<StreamSchema> => {
    const connector = connectorForUrl(db.url);
    const schema = (await connector.discover()).find((s) => s.name === table);
    await connector.close();
    if (!schema) throw new Error(`no table ${table}`);
    return schema;
  };

  beforeAll(async () => {
    db = await createTestMariaDb('connectors_mariadb_problems');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-problems-'));
    await db.sql(`CREATE TABLE open_table (id int PRIMARY KEY, v text);
      INSERT INTO open_table VALUES (1, 'a'), (2, 'b');
      CREATE TABLE secret_table (id int PRIMARY KEY, v text);
      INSERT INTO secret_table VALUES (1, 'x');
      CREATE TABLE big (id int PRIMARY KEY, v varchar(200));
      INSERT INTO big SELECT seq, REPEAT('y', 150) FROM seq_1_to_300000;`);
  });

  afterAll(async () => {
    await Promise.all(users.map((user) => user.drop()));
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  it('a closed port is SOURCE_CONNECT "cannot reach host:port", retryable, without the password', async () => {
    const error = await checkError('mysql://root:Secret-Pw-1@127.0.0.1:1/test');
    expect(isSluiceError(error, 'SOURCE_CONNECT'), String(error)).toBe(true);
    expect(error.message).toBe('cannot reach MySQL at 127.0.0.1:1 (ECONNREFUSED)');
    expect(error.retryable).toBe(true);
    expect(error.hint).toMatch(/host and port/);
    expect(`${error.message} ${error.hint}`).not.toContain('Secret-Pw-1');
  });

  it('an unknown host is SOURCE_CONNECT naming the host', async () => {
    const error = await checkError('mariadb://root@sluice-no-such-host.invalid:3306/test');
    expect(isSluiceError(error, 'SOURCE_CONNECT'), String(error)).toBe(true);
    expect(error.message).toContain('sluice-no-such-host.invalid:3306 (host name not found)');
  });

  it('the right password passes; a wrong one is SOURCE_CONNECT with a credentials hint, not retryable, never shown', async () => {
    const user = await createTestMariaDbUser('pw', 'Right-Pw-9', [`SELECT ON \`${db.name}\`.*`]);
    users.push(user);
    await expect(checkError(userUrl(user, 'Right-Pw-9'))).resolves.toBeUndefined();
    const error = await checkError(userUrl(user, 'Wrong-Pw-77'));
    expect(isSluiceError(error, 'SOURCE_CONNECT'), String(error)).toBe(true);
    expect(error.message).toContain(`MySQL at 127.0.0.1:3306 refused user "${user.name}"`);
    expect(error.message).toMatch(/Access denied/);
    expect(error.hint).toBe('check the user name and password in the source URL');
    expect(error.retryable).toBe(false);
    expect(`${error.message} ${error.hint}`).not.toMatch(/Wrong-Pw-77|Right-Pw-9/);
  });

  it('a user without any grant on the database is SOURCE_CONNECT with the GRANT to run', async () => {
    const user = await createTestMariaDbUser('nogrant', 'Pw-Nogrant-1');
    users.push(user);
    const error = await checkError(userUrl(user, 'Pw-Nogrant-1'));
    expect(isSluiceError(error, 'SOURCE_CONNECT'), String(error)).toBe(true);
    expect(error.message).toContain(`user "${user.name}" may not use database "${db.name}"`);
    expect(error.hint).toContain(`GRANT SELECT ON \`${db.name}\`.*`);
  });

  it('a table the user may not SELECT is SOURCE_READ naming it, with a grant hint; discovery hides it', async () => {
    const user = await createTestMariaDbUser('onetable', 'Pw-One-1', [`SELECT ON \`${db.name}\`.open_table`]);
    users.push(user);
    const connector = connectorForUrl(userUrl(user, 'Pw-One-1'));
    try {
      expect((await connector.discover()).map((s) => s.name)).toEqual(['open_table']);
      const plan = fullPlan(await discovered('secret_table'), await stageDir(), 1024);
      const error = (await readAll(connector, plan).catch((e: unknown) => e)) as SluiceError;
      expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
      expect(error.message).toContain(`reading ${db.name}.secret_table failed`);
      expect(error.message).toMatch(/SELECT command denied/);
      expect(error.hint).toContain(`grant the source user SELECT on ${db.name}.secret_table`);
      expect(error.sql).toMatch(/^SELECT `id`, `v` FROM/);
    } finally {
      await connector.close();
    }
  });

  it('an unknown database is SOURCE_NOT_FOUND naming it', async () => {
    const error = await checkError('mysql://root@127.0.0.1:3306/sluice_no_such_db');
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND'), String(error)).toBe(true);
    expect(error.message).toBe('database "sluice_no_such_db" does not exist on 127.0.0.1:3306');
    expect(error.hint).toMatch(/database name/);
  });

  it('a table dropped after discovery is SOURCE_NOT_FOUND naming it', async () => {
    await db.sql('CREATE TABLE going (id int PRIMARY KEY); INSERT INTO going VALUES (1)');
    const schema = await discovered('going');
    await db.sql('DROP TABLE going');
    const connector = connectorForUrl(db.url);
    const dir = await stageDir();
    const error = (await readAll(connector, fullPlan(schema, dir, 1024)).catch(
      (e: unknown) => e,
    )) as SluiceError;
    await connector.close();
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND'), String(error)).toBe(true);
    expect(error.message).toContain(`table ${db.name}.going does not exist`);
    expect(error.hint).toMatch(/discovery again/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a connection killed mid-read fails the read (retryable), leaving only the chunks already handed over', async () => {
    const schema = await discovered('big');
    const connector = connectorForUrl(db.url);
    const dir = await stageDir();
    const yielded: StagedChunk[] = [];
    const error = (await (async () => {
      for await (const chunk of connector.read(fullPlan(schema, dir, 256 * 1024), null)) {
        yielded.push(chunk);
        if (yielded.length === 1) await killReaders(db.name);
      }
    })().catch((e: unknown) => e)) as SluiceError;
    await connector.close();
    expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.hint).toMatch(/connection to MySQL was lost/);
    expect(yielded.reduce((sum, c) => sum + c.rows, 0)).toBeLessThan(300000);
    expect((await readdir(dir)).sort()).toEqual(yielded.map((c) => path.basename(c.path)).sort());
  });

  it('check() honours an abort signal, and a closed connector refuses work with a usage error', async () => {
    const connector = connectorForUrl(db.url);
    const error = (await connector.check(AbortSignal.abort()).catch((e: unknown) => e)) as SluiceError;
    expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
    expect(error.message).toMatch(/cancelled/);
    await connector.close();
    await expect(connector.check()).rejects.toMatchObject({ code: 'USAGE' });
  });
});

/** Kills the connections running a SELECT in the database (the reader's, not ours). */
async function killReaders(database: string): Promise<void> {
  const [rows] = (await adminSql(
    `SELECT ID AS id FROM information_schema.PROCESSLIST
      WHERE DB = ? AND INFO LIKE 'SELECT %' AND ID <> CONNECTION_ID()`,
    [database],
  )) as [{ id: number }[]];
  expect(rows.length).toBeGreaterThan(0);
  for (const { id } of rows) await adminSql(`KILL ${Number(id)}`);
}
