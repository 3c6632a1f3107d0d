/**
 * What the PostgreSQL capture needs from the server, checked and created with ordinary SQL:
 * wal_level=logical, a role with REPLICATION, tables whose updates and deletes name their row
 * (replica identity), a publication over the streamed tables and a logical slot (pgoutput).
 */
import type pg from 'pg';
import { SluiceError, messageOf } from '../../core/errors.js';
import type { StreamPlan } from '../../core/stream.js';
import { quoteIdent } from '../../connectors/postgres/postgres-types.js';
import type { CaptureStatus } from '../change-capture.js';
import { lsnPosition, parseLsn } from './lsn.js';

/** Names of what the capture keeps on the server. */
export interface CaptureNames {
  /** Logical replication slot (cluster-wide name). */
  slot: string;
  /** Publication (per database). */
  publication: string;
}

const PREREQUISITE = 'CDC_PREREQUISITE';

function tableName(plan: StreamPlan): string {
  return `${quoteIdent(plan.schema.namespace)}.${quoteIdent(plan.schema.name)}`;
}

/** Checks wal_level, the role's REPLICATION attribute and every table's replica identity and key. */
export async function checkCapturePrerequisites(client: pg.Client, streams: StreamPlan[]): Promise<void> {
  const { rows } = await client.query<{ wal_level: string; replication: boolean; who: string }>(
    `SELECT current_setting('wal_level') AS wal_level, current_user AS who,
            (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS replication`,
  );
  const setting = rows[0];
  if (setting?.wal_level !== 'logical') {
    throw new SluiceError(
      PREREQUISITE,
      `PostgreSQL has wal_level = ${setting?.wal_level ?? '?'}; change data capture needs logical`,
      {
        hint: 'run ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and restart PostgreSQL',
      },
    );
  }
  if (!setting.replication) {
    throw new SluiceError(PREREQUISITE, `role "${setting.who}" may not use replication`, {
      hint: `run ALTER ROLE "${setting.who}" REPLICATION as a superuser (or connect as a role that has it)`,
    });
  }
  for (const plan of streams) {
    const { rows: tables } = await client.query<{ ident: string; has_pk: boolean }>(
      `SELECT c.relreplident AS ident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2`,
      [plan.schema.namespace, plan.schema.name],
    );
    const table = tables[0];
    const name = tableName(plan);
    if (!table) throw new SluiceError('SOURCE_NOT_FOUND', `table ${name} does not exist`);
    const noIdentity = table.ident === 'n' || (table.ident === 'd' && !table.has_pk);
    if (noIdentity) {
      throw new SluiceError(
        PREREQUISITE,
        `table ${name} has no replica identity: its updates and deletes would not say which row changed`,
        { hint: `add a primary key, or run ALTER TABLE ${name} REPLICA IDENTITY FULL` },
      );
    }
    if (plan.primaryKey.length === 0) {
      throw new SluiceError(PREREQUISITE, `table ${name} has no primary key to merge changes by`, {
        hint: 'name the key columns with --primary-key (or primaryKey in sluice.yml)',
      });
    }
  }
}

/** Creates the publication, or adds the streams' tables it lacks. */
export async function preparePublication(
  client: pg.Client,
  publication: string,
  streams: StreamPlan[],
): Promise<void> {
  const pub = quoteIdent(publication);
  try {
    const { rows } = await client.query<{ namespace: string; name: string }>(
      `SELECT schemaname AS namespace, tablename AS name FROM pg_publication_tables WHERE pubname = $1`,
      [publication],
    );
    const { rows: existing } = await client.query<{ current: boolean }>(
      `SELECT pubviaroot AND (current_setting('server_version_num')::int < 180000 OR to_jsonb(p) ->> 'pubgencols' = 's') AS current
         FROM pg_publication p WHERE pubname = $1`,
      [publication],
    );
    const { rows: version } = await client.query<{ gen: boolean }>(
      `SELECT current_setting('server_version_num')::int >= 180000 AS gen`,
    );
    // Changes of a partitioned table must arrive under its own name (discovery lists the
    // parent, not its partitions), or they would match no stream; generated columns are in the
    // log only when published (PostgreSQL 18+).
    const options = version[0]?.gen
      ? 'publish_via_partition_root = true, publish_generated_columns = stored'
      : 'publish_via_partition_root = true';
    const missing = streams.filter(
      (p) => !rows.some((r) => r.namespace === p.schema.namespace && r.name === p.schema.name),
    );
    if (!existing[0]) {
      const tables = streams.map(tableName).join(', ');
      await client.query(
        `CREATE PUBLICATION ${pub}${streams.length > 0 ? ` FOR TABLE ${tables}` : ''} WITH (${options})`,
      );
      return;
    }
    if (!existing[0].current) await client.query(`ALTER PUBLICATION ${pub} SET (${options})`);
    if (missing.length > 0) {
      await client.query(`ALTER PUBLICATION ${pub} ADD TABLE ${missing.map(tableName).join(', ')}`);
    }
  } catch (error) {
    throw new SluiceError(
      PREREQUISITE,
      `cannot create or extend publication ${publication}: ${messageOf(error)}`,
      {
        hint: `connect as the tables' owner (or a superuser), or have one run CREATE PUBLICATION ${pub} FOR TABLE ${streams.map(tableName).join(', ')}`,
        cause: error,
      },
    );
  }
}

interface SlotRow {
  plugin: string | null;
  database: string | null;
  wal_status: string | null;
  active: boolean;
  confirmed_flush_lsn: string | null;
  current_lsn: string;
  lag_bytes: string | null;
  this_database: string;
}

async function readSlot(client: pg.Client, slot: string): Promise<SlotRow | null> {
  const { rows } = await client.query<SlotRow>(
    `SELECT s.plugin, s.database, s.wal_status, s.active, s.confirmed_flush_lsn::text,
            pg_current_wal_lsn()::text AS current_lsn,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::text AS lag_bytes,
            current_database() AS this_database
       FROM pg_replication_slots s WHERE s.slot_name = $1`,
    [slot],
  );
  return rows[0] ?? null;
}

/** Creates the slot when absent; refuses one that is lost or belongs to another database or plugin. */
export async function prepareSlot(client: pg.Client, slot: string): Promise<void> {
  const row = await readSlot(client, slot);
  if (!row) {
    try {
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    } catch (error) {
      throw new SluiceError(PREREQUISITE, `cannot create replication slot ${slot}: ${messageOf(error)}`, {
        hint: 'check max_replication_slots (raise it and restart) and that the role has REPLICATION',
        cause: error,
      });
    }
    return;
  }
  if (row.plugin !== 'pgoutput' || row.database !== row.this_database) {
    throw new SluiceError(
      PREREQUISITE,
      `replication slot ${slot} exists but is not a pgoutput slot of database ${row.this_database}`,
      {
        hint: `drop it (SELECT pg_drop_replication_slot('${slot}')) if nothing else uses it`,
      },
    );
  }
  if (row.wal_status === 'lost') throw slotLost(slot, 'it was invalidated (its WAL was removed)');
}

/** The capture's status from the slot (does not create anything). */
export async function slotStatus(client: pg.Client, names: CaptureNames): Promise<CaptureStatus> {
  const row = await readSlot(client, names.slot);
  const { rows } = await client.query<{ lsn: string; pub: boolean }>(
    `SELECT pg_current_wal_lsn()::text AS lsn, EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1) AS pub`,
    [names.publication],
  );
  const current = lsnPosition(parseLsn(rows[0]?.lsn ?? '0/0'));
  return {
    source: 'postgres',
    name: names.slot,
    health: !row ? 'missing' : row.wal_status === 'lost' ? 'lost' : 'ok',
    confirmed: row?.confirmed_flush_lsn ? lsnPosition(parseLsn(row.confirmed_flush_lsn)) : null,
    current,
    lagBytes: row?.lag_bytes ? Number(row.lag_bytes) : null,
    active: row ? row.active : null,
    details: {
      publication: names.publication,
      publicationExists: rows[0]?.pub ?? false,
      walStatus: row?.wal_status ?? null,
    },
  };
}

/** The slot's confirmed position, or null when the slot does not exist. */
export async function slotConfirmed(client: pg.Client, slot: string): Promise<bigint | null> {
  const row = await readSlot(client, slot);
  if (!row) throw slotLost(slot, 'it does not exist (dropped?)');
  if (row.wal_status === 'lost') throw slotLost(slot, 'it was invalidated (its WAL was removed)');
  return row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : null;
}

/** Drops the slot and the publication; absent ones are fine, an attached consumer is not. */
export async function dropCapture(client: pg.Client, names: CaptureNames): Promise<void> {
  const row = await readSlot(client, names.slot);
  if (row?.active) {
    throw new SluiceError('SOURCE_READ', `replication slot ${names.slot} is in use by a running consumer`, {
      hint: 'stop the running `sluice sync --mode cdc` first',
    });
  }
  if (row) await client.query('SELECT pg_drop_replication_slot($1)', [names.slot]);
  await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication)}`);
}

export function slotLost(slot: string, why: string): SluiceError {
  return new SluiceError(
    'CDC_POSITION_LOST',
    `replication slot ${slot} cannot give the changes since the last commit: ${why}`,
    {
      hint: 're-snapshot with `sluice sync --mode cdc --resnapshot` (it recreates the slot and reloads the tables)',
    },
  );
}
