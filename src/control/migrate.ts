/**
 * Numbered SQL migrations (`migrations/NNNN_name.sql`), applied in order, each in its own
 * transaction together with its `schema_migrations` row, so a failure leaves the database at the
 * last whole migration. Safe when processes start at once: every migration transaction first
 * takes the migration lock (PostgreSQL: a transaction advisory lock; SQLite: BEGIN IMMEDIATE is
 * already the database's one write lock) and re-checks whether someone else applied it meanwhile.
 */
import { readdir, readFile } from 'node:fs/promises';
import { SluiceError, isSluiceError, messageOf } from '../core/errors.js';
import type { ControlDb, ControlQueries } from './control-db.js';
import { splitStatements } from './sql-text.js';

/** One migration file. */
export interface Migration {
  /** The file's number, e.g. 1 for `0001_runs.sql`. */
  version: number;
  /** The rest of the file name, e.g. `runs`. */
  name: string;
  /** The file's statements in order. */
  statements: string[];
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads the migrations shipped with this version of Sluice, in order. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named NNNN_lower_snake.sql`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`two migrations numbered ${version}`);
    const sql = await readFile(new URL(file, dir), 'utf8');
    migrations.push({ version, name: match[2]!, statements: splitStatements(sql) });
  }
  return migrations;
}

async function takeMigrationLock(tx: ControlQueries): Promise<void> {
  if (tx.dialect === 'postgres')
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sluice.control.migrate'))`);
}

async function appliedVersions(tx: ControlQueries): Promise<Set<number>> {
  const rows = await tx.query<{ version: number | string }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((row) => Number(row.version)));
}

/**
 * Brings the control database up to date and returns the versions this call applied (empty when
 * it was current). Refuses a database that a newer Sluice has migrated further.
 */
export async function migrate(db: ControlDb, migrations?: readonly Migration[]): Promise<number[]> {
  const known = migrations ?? (await loadMigrations());
  const applied = await db.transaction(async (tx) => {
    await takeMigrationLock(tx);
    await tx.execute(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    return appliedVersions(tx);
  });
  const unknown = [...applied].filter((version) => !known.some((m) => m.version === version));
  if (unknown.length > 0) {
    const newest = Math.max(...known.map((m) => m.version), 0);
    throw new SluiceError(
      'CONTROL_DB',
      `the control database was migrated by a newer Sluice: migration ${unknown.sort((a, b) => a - b).join(', ')} is unknown to this version (it knows up to ${newest})`,
      {
        hint: 'upgrade Sluice to the version that last used this control database, or point `control:` at another one',
      },
    );
  }
  const done: number[] = [];
  for (const migration of known) {
    if (applied.has(migration.version)) continue;
    if (await applyOne(db, migration)) done.push(migration.version);
  }
  return done;
}

/** Applies one migration unless another process did meanwhile; false when it was already there. */
async function applyOne(db: ControlDb, migration: Migration): Promise<boolean> {
  try {
    return await db.transaction(async (tx) => {
      await takeMigrationLock(tx);
      if ((await appliedVersions(tx)).has(migration.version)) return false;
      for (const statement of migration.statements) await tx.execute(statement);
      await tx.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      return true;
    });
  } catch (error) {
    const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
    throw new SluiceError('CONTROL_DB', `control database migration ${label} failed: ${messageOf(error)}`, {
      cause: error,
      sql: isSluiceError(error) ? error.sql : undefined,
      retryable: isSluiceError(error) && error.retryable,
      hint: 'the migration was rolled back; fix the cause (see the SQL) and run again',
    });
  }
}
