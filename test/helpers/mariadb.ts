/**
 * A fresh MariaDB database per test file on the machine's server (127.0.0.1:3306, user root
 * without a password), named from the test and dropped afterwards; and throwaway users with
 * passwords or without privileges, for the tests of bad credentials and missing grants.
 */
import mysql from 'mysql2/promise';

export const MACHINE_MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' } as const;

export interface TestMariaDb {
  /** Database name. */
  name: string;
  /** Connection URL for Sluice (`mysql://root@127.0.0.1:3306/<name>`). */
  url: string;
  /** Runs SQL in the database (a fresh connection per call; several statements allowed). */
  sql(text: string, params?: unknown[]): Promise<unknown>;
  /** Runs one query and returns its rows, every value as a string, bytes as Buffers. */
  rows(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Drops the database. */
  drop(): Promise<void>;
}

async function withConnection<T>(
  database: string | undefined,
  work: (connection: mysql.Connection) => Promise<T>,
): Promise<T> {
  const connection = await mysql.createConnection({
    ...MACHINE_MARIADB,
    ...(database ? { database } : {}),
    multipleStatements: true,
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
  });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** Runs SQL as root outside any test database (users, grants, KILL). */
export function adminSql(text: string, params: unknown[] = []): Promise<unknown> {
  return withConnection(undefined, (c) => c.query(text, params));
}

export async function createTestMariaDb(label: string): Promise<TestMariaDb> {
  const name = `sluice_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${process.pid}`;
  await adminSql(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\``);
  return {
    name,
    url: `mysql://${MACHINE_MARIADB.user}@${MACHINE_MARIADB.host}:${MACHINE_MARIADB.port}/${name}`,
    sql: (text, params = []) => withConnection(name, (c) => c.query(text, params)),
    rows: (text, params = []) =>
      withConnection(name, async (c) => (await c.query(text, params))[0] as Record<string, unknown>[]),
    drop: () => adminSql(`DROP DATABASE IF EXISTS \`${name}\``).then(() => undefined),
  };
}

/** A user that exists for one test: `CREATE USER` on both host forms a TCP login from 127.0.0.1 may match. */
export interface TestMariaDbUser {
  /** User name. */
  name: string;
  /** Drops the user. */
  drop(): Promise<void>;
}

export async function createTestMariaDbUser(
  label: string,
  password: string,
  grants: readonly string[] = [],
): Promise<TestMariaDbUser> {
  const name = `sluice_u_${label}_${process.pid}`.slice(0, 80);
  const hosts = ['127.0.0.1', 'localhost', '%'];
  const drop = () =>
    adminSql(hosts.map((host) => `DROP USER IF EXISTS '${name}'@'${host}'`).join('; ')).then(() => undefined);
  await drop();
  for (const host of hosts) {
    await adminSql(`CREATE USER '${name}'@'${host}' IDENTIFIED BY ?`, [password]);
    for (const grant of grants) await adminSql(`GRANT ${grant} TO '${name}'@'${host}'`);
  }
  return { name, drop };
}
