/**
 * Stages a stream of stage-dialect CSV bytes (e.g. PostgreSQL's COPY output) as chunk files,
 * cutting only at row ends: a chunk closes at the first row end once it holds `chunkBytes`.
 * Bytes are written as they arrive and each chunk is yielded after its file is closed; the
 * source is pulled only as fast as the disk (and the consumer of the chunks) takes it.
 */
import { SluiceError } from '../core/errors.js';
import type { StagedChunk } from '../core/stream.js';
import { CsvRowScanner } from './csv-row-scanner.js';
import { StageChunkWriter } from './stage-chunk-writer.js';

const NEWLINE = 0x0a;

export async function* splitCsvIntoChunks(
  source: AsyncIterable<Buffer>,
  stageDir: string,
  chunkBytes: number,
): AsyncGenerator<StagedChunk> {
  const scanner = new CsvRowScanner();
  const writer = new StageChunkWriter(stageDir);
  let lastByte = NEWLINE;
  let complete = false;
  try {
    for await (const buf of source) {
      if (buf.length === 0) continue;
      lastByte = buf[buf.length - 1] ?? NEWLINE;
      let pos = 0;
      while (pos < buf.length) {
        // The chunk is full once the row end lands at or past this index.
        const stopAt = pos + Math.max(0, chunkBytes - writer.bytes - 1);
        const { end, rows } = scanner.scan(buf, pos, stopAt);
        if (end < 0) {
          await writer.write(buf.subarray(pos), rows, scanner.takeLongestRow());
          break;
        }
        await writer.write(buf.subarray(pos, end), rows, scanner.takeLongestRow());
        const chunk = await writer.finish();
        if (chunk) yield chunk;
        pos = end;
      }
    }
    if (scanner.insideQuotes || lastByte !== NEWLINE) {
      throw new SluiceError('SOURCE_READ', 'the CSV stream ended in the middle of a row', {
        hint: 'the source connection was probably cut; run the sync again',
        retryable: true,
      });
    }
    const tail = await writer.finish();
    if (tail) yield tail;
    complete = true;
  } finally {
    if (!complete) await writer.abort();
  }
}
