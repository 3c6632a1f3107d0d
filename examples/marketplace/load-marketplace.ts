/**
 * Builds the marketplace database from the SQL files next to this one, for the demo and the
 * tests: `createMarketplace` runs schema.sql and generate.sql, `applyDayOfChanges` runs
 * changes.sql. Each script runs as one transaction (one multi-statement query): with the
 * embedded server's `wal_level=minimal`, tables created and filled in the same transaction skip
 * the write-ahead log, and a failed run leaves nothing half-built.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** The tables the marketplace holds, in dependency order (schema `public`). */
export const MARKETPLACE_TABLES = [
  'sellers',
  'listings',
  'buyers',
  'orders',
  'order_items',
  'inventory_events',
] as const;

function script(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8');
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return (performance.now() - started) / 1000;
}

/** Wall times of the generation, in seconds. */
export interface GenerationTimings {
  /** Creating the tables, filling them and adding keys (one transaction). */
  generate: number;
  /** VACUUM ANALYZE afterwards. */
  vacuum: number;
}

/** Creates and fills the marketplace in the connected database (which must be empty). */
export async function createMarketplace(client: pg.ClientBase): Promise<GenerationTimings> {
  const generate = await timed(() => client.query(script('schema.sql') + '\n' + script('generate.sql')));
  // VACUUM cannot run inside the script's transaction; it sets hint bits and the visibility map
  // now, so the first sync reads rather than writes, and gives discovery its row estimates.
  const vacuum = await timed(() => client.query('VACUUM ANALYZE'));
  return { generate, vacuum };
}

/** Applies one day of inserts, updates and deletes; returns the seconds it took. */
export function applyDayOfChanges(client: pg.ClientBase): Promise<number> {
  return timed(() => client.query(script('changes.sql')));
}
