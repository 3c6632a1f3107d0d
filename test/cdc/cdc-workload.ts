/**
 * The concurrent workload and the crash sequence of the CDC done-when tests, shared by the
 * PostgreSQL and MariaDB ones: only the SQL dialect and how the server cuts the replication
 * connection differ, so the operation mix, the kills and the final comparison are the same code.
 */
import { expect } from 'vitest';
import { startSluice } from './pg-cdc-helpers.js';

/** Accounts the clients pick from, so that they update the same rows and deadlock at times. */
export const HOT_ACCOUNTS = 40;

/** One open connection of a workload client, whatever the driver. */
export interface WorkloadConnection {
  /** Runs one statement with positional parameters (in the dialect's placeholder style). */
  query(sql: string, params?: unknown[]): Promise<unknown>;
  /** Closes the connection. */
  end(): Promise<void>;
}

/** The workload's statements in one SQL dialect; parameters are listed in the order given. */
export interface WorkloadStatements {
  /** Opens a transaction. */
  begin: string;
  /** Inserts an event: (account, payload JSON text). */
  insertEvent: string;
  /** Moves an account's balance and note: (delta, note, id). */
  updateBalance: string;
  /** Deletes an account's three oldest events: (account). */
  deleteEvents: string;
  /** Inserts an event that is rolled back: (account). */
  insertRolledBackEvent: string;
  /** Sets a balance that is rolled back: (id). */
  poisonBalance: string;
  /** Sleeps 0.2 s inside a long transaction. */
  sleep: string;
  /** Sets an account's note: (note, id). */
  updateNote: string;
  /** Inserts an account or zeroes its balance: (id, note). */
  upsertAccount: string;
  /** Deletes an account: (id). */
  deleteAccount: string;
}

/**
 * One client's loop of random work until `stop` is set; returns the operations it committed.
 * Deterministic per seed (a linear congruential generator), so runs mix the same operations.
 */
export async function workloadClient(
  connection: WorkloadConnection,
  statements: WorkloadStatements,
  seed: number,
  stop: { done: boolean },
): Promise<number> {
  let random = seed;
  const next = (n: number) => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random % n;
  };
  let committed = 0;
  try {
    while (!stop.done) {
      const op = next(100);
      const id = 1 + next(HOT_ACCOUNTS);
      try {
        if (op < 35) {
          await connection.query(statements.insertEvent, [
            id,
            JSON.stringify({ n: next(1e6), s: 'x'.repeat(next(50)) }),
          ]);
        } else if (op < 65) {
          await connection.query(statements.updateBalance, [next(100) - 50, `c${seed}-${committed}`, id]);
        } else if (op < 75) {
          await connection.query(statements.deleteEvents, [id]);
        } else if (op < 85) {
          await connection.query(statements.begin);
          await connection.query(statements.insertRolledBackEvent, [id]);
          await connection.query(statements.poisonBalance, [id]);
          await connection.query('ROLLBACK');
        } else if (op < 90) {
          // A long transaction: changes spread over a second, committed together.
          await connection.query(statements.begin);
          for (let i = 0; i < 5; i++) {
            await connection.query(statements.insertEvent, [id, JSON.stringify({ long: i })]);
            await connection.query(statements.sleep);
          }
          await connection.query(statements.updateNote, [`long ${seed}`, id]);
          await connection.query('COMMIT');
        } else if (op < 95) {
          await connection.query(statements.upsertAccount, [1000 + next(500), 'upsert']);
        } else {
          await connection.query(statements.deleteAccount, [1000 + next(500)]);
        }
        committed += 1;
      } catch {
        // Deadlocks between clients updating the same rows are part of the workload.
        await connection.query('ROLLBACK').catch(() => undefined);
      }
    }
  } finally {
    await connection.end();
  }
  return committed;
}

/** What the crash sequence needs from one source engine. */
export interface CrashScenario {
  /** The source URL Sluice syncs from. */
  url: string;
  /** The scratch lake and control database; `to`: another destination URL instead of the lake. */
  target: { lake: string; control: string; to?: string };
  /** Opens one workload client's connection. */
  connect: () => Promise<WorkloadConnection>;
  /** The workload's statements in the source's dialect. */
  statements: WorkloadStatements;
  /** Has the server cut the running capture's replication connection (and checks it did). */
  cutReplication: () => Promise<void>;
}

/**
 * Runs eight workload clients while Sluice streams: SIGKILL after 3 commits, SIGKILL after 5,
 * then a server-side cut of the replication connection that the third run must resume from by
 * itself, then SIGTERM (exit 0) once the clients stopped. The caller runs the final catch-up
 * and compares the lake with the source.
 */
export async function runCrashScenario(scenario: CrashScenario): Promise<void> {
  const { url, target } = scenario;
  const stop = { done: false };
  const clients = Array.from({ length: 8 }, async (_, i) =>
    workloadClient(await scenario.connect(), scenario.statements, i + 1, stop),
  );
  const args = ['--all', '--batch-rows', '300', '--batch-ms', '200'];
  try {
    // The initial snapshot runs while the clients write.
    const first = startSluice(url, target, args);
    await first.commits(3);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startSluice(url, target, args);
    await second.commits(5);
    second.child.kill('SIGKILL');
    await second.exited;

    const third = startSluice(url, target, args);
    await third.commits(5);
    // A lost replication connection is retried from the last commit.
    await scenario.cutReplication();
    // Batches read ahead may still land first; the retry follows within its backoff.
    for (let i = 0; i < 300 && !/retrying: .*resuming from the last commit/.test(third.stderr()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(third.stderr(), third.stderr().slice(-3000)).toMatch(/retrying: .*resuming from the last commit/);
    await third.commits(5);
    stop.done = true;
    const committed = await Promise.all(clients);
    expect(committed.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    await third.commits(1);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  } finally {
    stop.done = true;
    await Promise.allSettled(clients);
  }
}
