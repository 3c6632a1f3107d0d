/**
 * What a MySQL/MariaDB server and the captured tables must offer before binlog capture can be
 * exact, checked up front with one precise CDC_PREREQUISITE error per problem: the binlog on, in
 * ROW format with FULL row images (rule 2: every change a full row), the replication privileges,
 * and per table a primary key (the merge applies changes by key) and no column whose binlog
 * value cannot be rendered like the snapshot's (geometry arrives decoded without its SRID).
 */
import type { Connection } from 'mysql2';
import { SluiceError } from '../../core/errors.js';
import type { StreamPlan } from '../../core/stream.js';
import { mysqlQuery } from '../../connectors/mysql/mysql-connection.js';
import { GEOMETRY_TYPES, parseMysqlColumnType } from '../../connectors/mysql/mysql-types.js';
import { captureStreamKey } from '../change-capture.js';

/** Column types whose binlog values cannot be staged exactly like the snapshot's. */
const UNSUPPORTED_TYPES = new Set([...GEOMETRY_TYPES, 'vector']);

const SERVER_SQL =
  'SELECT @@GLOBAL.log_bin AS log_bin, @@GLOBAL.binlog_format AS binlog_format, @@GLOBAL.binlog_row_image AS binlog_row_image';

function prerequisite(message: string, hint: string, sql?: string): SluiceError {
  return new SluiceError('CDC_PREREQUISITE', message, { hint, ...(sql ? { sql } : {}) });
}

/** Throws CDC_PREREQUISITE for the first thing the server or a table lacks. */
export async function checkMysqlCapturePrerequisites(
  connection: Connection,
  streams: StreamPlan[],
): Promise<void> {
  for (const plan of streams) {
    const key = captureStreamKey(plan);
    if (plan.primaryKey.length === 0) {
      throw prerequisite(
        `table ${key} has no primary key: binlog changes cannot be applied by key`,
        `add a primary key (ALTER TABLE ${key} ADD PRIMARY KEY (…)), or declare the key columns for this stream in sluice.yml, or sync it with --mode full`,
      );
    }
    const bad = plan.schema.columns.find((c) =>
      UNSUPPORTED_TYPES.has(parseMysqlColumnType(c.sourceType, false).dataType),
    );
    if (bad) {
      throw new SluiceError(
        'TYPE_UNSUPPORTED',
        `${key}.${bad.name} is ${bad.sourceType}: its binlog value arrives decoded without the SRID, so change capture cannot stage it exactly like the snapshot`,
        { hint: `exclude the table from --mode cdc and sync it with --mode full` },
      );
    }
  }
  const [server] = await mysqlQuery<{ log_bin: string; binlog_format: string; binlog_row_image: string }>(
    connection,
    SERVER_SQL,
  );
  if (server?.log_bin !== '1') {
    throw prerequisite(
      'the binary log is off on this server (log_bin = OFF): there is no change stream to read',
      'start the server with --log-bin --binlog-format=ROW --server-id=<n> (my.cnf [mysqld]: log_bin, binlog_format = ROW, server_id = 1) and restart it',
      SERVER_SQL,
    );
  }
  if (server.binlog_format.toUpperCase() !== 'ROW') {
    throw prerequisite(
      `binlog_format is ${server.binlog_format}: statement-based entries carry no row values`,
      "SET GLOBAL binlog_format = 'ROW' and put binlog_format = ROW in my.cnf; sessions opened before keep the old format until they reconnect",
      SERVER_SQL,
    );
  }
  if (server.binlog_row_image.toUpperCase() !== 'FULL') {
    throw prerequisite(
      `binlog_row_image is ${server.binlog_row_image}: updates and deletes would not carry every column`,
      "SET GLOBAL binlog_row_image = 'FULL' and put binlog_row_image = FULL in my.cnf",
      SERVER_SQL,
    );
  }
  await checkReplicationGrants(connection);
}

/**
 * Reading the binlog needs REPLICATION SLAVE (the dump) and REPLICATION CLIENT / BINLOG MONITOR
 * (SHOW MASTER STATUS, SHOW BINARY LOGS). Both are global privileges, shown in SHOW GRANTS.
 */
async function checkReplicationGrants(connection: Connection): Promise<void> {
  const rows = await mysqlQuery<Record<string, string>>(connection, 'SHOW GRANTS');
  const grants = rows.flatMap((row) => Object.values(row)).filter((g) => / ON \*\.\* /i.test(g));
  const has = (privilege: RegExp) => grants.some((g) => /ALL PRIVILEGES/i.test(g) || privilege.test(g));
  const missing = [
    ...(has(/REPLICATION (SLAVE|REPLICA)\b/i) ? [] : ['REPLICATION SLAVE']),
    ...(has(/REPLICATION CLIENT|BINLOG MONITOR|SUPER/i) ? [] : ['REPLICATION CLIENT']),
  ];
  if (missing.length > 0) {
    throw prerequisite(
      `the source user lacks ${missing.join(' and ')}: it cannot read the binary log`,
      `GRANT ${missing.join(', ')} ON *.* TO the source user (MariaDB 10.5+: REPLICATION SLAVE, BINLOG MONITOR), plus SELECT on the captured tables`,
      'SHOW GRANTS',
    );
  }
}
