/**
 * The CSV output of a DuckDB query as a stream of bytes, so a caller can cut it into staged
 * chunks while DuckDB is still producing it: DuckDB's own multi-threaded CSV writer does the
 * rendering, and nothing waits for (or stores) one file of the whole result.
 *
 * DuckDB writes `COPY … TO` into a named pipe (FIFO) that this process reads. We hold a write
 * end of the pipe ourselves until the COPY has finished, so the reader sees end-of-file only
 * when DuckDB is done (or failed before it opened the pipe) and never blocks forever. A reader
 * that stops early closes its end; DuckDB's next write fails (EPIPE; Node ignores SIGPIPE) and
 * the COPY ends. Where no FIFO can be made (Windows, no `mkfifo`), DuckDB writes a temporary
 * file that is then read back.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, createReadStream, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDB } from './duckdb.js';
import { quoteLiteral } from './duckdb.js';

const READ_BYTES = 1 << 20;

/** Options for `copyCsvOutput`. */
export interface CopyOutputOptions {
  /** A private directory for the pipe or temporary file. */
  tempDir: string;
}

/**
 * Runs `COPY (<select>) TO … (FORMAT csv, HEADER false)` and yields its output. DuckDB's CSV
 * writer quotes with `"` and doubles embedded quotes, writes NULL as an empty field and an
 * empty string as `""`, ending rows with `\n`: the stage dialect. The COPY's error, if any, is
 * thrown after the bytes it wrote.
 */
export async function* copyCsvOutput(
  db: DuckDB,
  select: string,
  options: CopyOutputOptions,
): AsyncGenerator<Buffer> {
  const target = path.join(options.tempDir, `copy-${randomUUID()}.csv`);
  const copy = `COPY (${select}) TO ${quoteLiteral(target)} (FORMAT csv, HEADER false)`;
  try {
    if (!(await makeFifo(target))) {
      await db.run(copy);
      yield* createReadStream(target, { highWaterMark: READ_BYTES }) as AsyncIterable<Buffer>;
      return;
    }
    yield* readFifo(db, copy, target);
  } finally {
    await rm(target, { force: true });
  }
}

async function* readFifo(db: DuckDB, copy: string, fifo: string): AsyncGenerator<Buffer> {
  // Opening a FIFO blocks until the other side opens it. A non-blocking read end lets the write
  // end open at once; with a writer present, the blocking read end opens at once too.
  const probe = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const holder = openSync(fifo, constants.O_WRONLY);
  const reader = openSync(fifo, constants.O_RDONLY);
  closeSync(probe);
  const stream = createReadStream('', { fd: reader, highWaterMark: READ_BYTES });
  let failure: { error: unknown } | undefined;
  const done = db
    .run(copy)
    .catch((error: unknown) => {
      failure = { error };
    })
    .finally(() => closeSync(holder));
  try {
    yield* stream as AsyncIterable<Buffer>;
    await done;
    if (failure) throw failure.error;
  } finally {
    stream.destroy();
    // Never leave a COPY running on the connection.
    await done;
  }
}

/** Creates a FIFO at `file`; false where that is not possible. */
function makeFifo(file: string): Promise<boolean> {
  if (process.platform === 'win32') return Promise.resolve(false);
  return new Promise((resolve) =>
    execFile('mkfifo', ['-m', '600', file], (error) => resolve(error === null)),
  );
}
