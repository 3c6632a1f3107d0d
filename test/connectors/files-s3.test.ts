/**
 * The file source on S3-compatible storage, against a real server (s3rver on 127.0.0.1): a
 * glob over keys lists only its prefix, every format reads as from disk, a changed object (new
 * ETag) is read again by an incremental read, and a missing bucket is a clear error.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesConnector } from '../../src/connectors/files/files-connector.js';
import { filesConfigFromUrl } from '../../src/connectors/files/files-url.js';
import { isSluiceError } from '../../src/core/errors.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { readFileSource } from '../helpers/file-source.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { startS3rver } from '../helpers/s3rver.js';

let s3: S3rverHandle;
let client: S3Client;

const put = (key: string, body: string | Buffer) =>
  client.send(new PutObjectCommand({ Bucket: 'exports', Key: key, Body: body }));

/** A connector for an s3:// URL on the test server, with its credentials. */
function s3Source(glob: string): FilesConnector {
  const config = filesConfigFromUrl(`s3://${glob}?endpoint=${s3.endpoint}`);
  return new FilesConnector({ ...config, s3: { ...config.s3, ...s3.settings } });
}

beforeAll(async () => {
  s3 = await startS3rver();
  client = createS3Client(s3.settings);
  await s3.createBucket('exports');
  await put('orders/2024-01.csv', 'id,total\n1,9.5\n2,10\n');
  await put('orders/2024-02.csv.gz', gzipSync('id,total\n3,1.25\n'));
  await put('orders/notes.txt.bak', 'not matched\n');
  await put('orders_old/2023-12.csv', 'id,total\n99,0\n');
  await put('events/day.ndjson', '{"id":1,"tags":["a"]}\n{"id":2,oops}\n');
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

describe('file source on S3 (s3rver)', () => {
  it("reads the objects a glob matches, gzip included, listing only the glob's prefix", async () => {
    s3.requests.length = 0;
    const read = await readFileSource(s3Source('exports/orders/*.csv*'));
    expect(read.schema).toMatchObject({ namespace: 'files', name: 'orders' });
    // Decimal literals are typed decimal (csv-numbers.ts), widened across the files to scale 2.
    expect(read.rows).toEqual([
      ['1', '9.50'],
      ['2', '10.00'],
      ['3', '1.25'],
    ]);
    const listings = s3.requests.filter((r) => r.includes('list-type=2'));
    expect(listings.length).toBeGreaterThan(0);
    for (const listing of listings) expect(listing).toContain('prefix=orders%2F');
  });

  it('quarantines bad NDJSON lines naming the s3:// object', async () => {
    const read = await readFileSource(s3Source('exports/events/*.ndjson'));
    expect(read.rows).toEqual([['1', '["a"]']]);
    expect(read.quarantine).toEqual([
      ['s3://exports/events/day.ndjson', '2', expect.stringMatching(/^MALFORMED JSON/), '{"id":2,oops}'],
    ]);
  });

  it('an incremental read loads a changed object (new ETag) and skips the unchanged one', async () => {
    const first = await readFileSource(s3Source('exports/orders/*.csv*'), { mode: 'incremental' });
    const position = first.chunks.at(-1)?.position ?? null;
    expect(position).toMatchObject({ kind: 'files', loaded: 2 });
    await put('orders/2024-01.csv', 'id,total\n1,9.5\n2,10\n4,7\n');
    const second = await readFileSource(s3Source('exports/orders/*.csv*'), {
      mode: 'incremental',
      from: position,
    });
    expect(second.rows).toEqual([
      ['1', '9.50'],
      ['2', '10.00'],
      ['4', '7.00'],
    ]);
    const third = await readFileSource(s3Source('exports/orders/*.csv*'), {
      mode: 'incremental',
      from: second.chunks.at(-1)?.position ?? null,
    });
    expect(third.rows).toEqual([]);
  });

  it('a missing bucket is SOURCE_NOT_FOUND naming it', async () => {
    const error = await s3Source('no-such-bucket/x/*.csv')
      .check()
      .catch((e: unknown) => e);
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND'), String(error)).toBe(true);
    expect((error as { hint: string }).hint).toContain('no-such-bucket');
  });
});
