/** The pure parts of the file source: globs, URLs, table names and the incremental position. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListedFile } from '../../src/connectors/files/file-store.js';
import {
  RECENT_FILES,
  advanceFilesPosition,
  decodeFilesPosition,
  isLoaded,
} from '../../src/connectors/files/file-position.js';
import { defaultTableName } from '../../src/connectors/files/files-discover.js';
import { filesConfigFromUrl } from '../../src/connectors/files/files-url.js';
import { globMatcher, staticPrefix } from '../../src/connectors/files/glob.js';
import { isSluiceError } from '../../src/core/errors.js';

describe('globs', () => {
  it.each([
    ['/d/*.csv', '/d/a.csv', true],
    ['/d/*.csv', '/d/sub/a.csv', false],
    ['/d/*.csv', '/d/.hidden.csv', false],
    ['/d/**/*.csv', '/d/a.csv', true],
    ['/d/**/*.csv', '/d/x/y/a.csv', true],
    ['/d/**/*.csv', '/d/.git/a.csv', false],
    ['/d/part-?.csv', '/d/part-1.csv', true],
    ['/d/part-?.csv', '/d/part-10.csv', false],
    ['/d/part-[0-4].csv', '/d/part-3.csv', true],
    ['/d/part-[!0-4].csv', '/d/part-7.csv', true],
    ['/d/*.{csv,tsv}', '/d/a.tsv', true],
    ['/d/*.{csv,tsv}', '/d/a.json', false],
    ['/d/a+b (1).csv', '/d/a+b (1).csv', true],
  ])('%s matches %s: %s', (glob, file, expected) => {
    expect(globMatcher(glob)(file)).toBe(expected);
  });

  it('the static prefix is where listing starts', () => {
    expect(staticPrefix('/data/orders/*.csv')).toBe('/data/orders');
    expect(staticPrefix('exports/2024-*/**/*.gz')).toBe('exports');
    expect(staticPrefix('*.csv')).toBe('');
  });
});

describe('file source URLs and table names', () => {
  it('parses file: paths (relative to the current directory), globs with ? and options', () => {
    expect(filesConfigFromUrl('file:data/a?.csv')).toEqual({ location: path.resolve('data/a?.csv') });
    expect(
      filesConfigFromUrl(
        'file:/x/*.txt?table=orders&format=tsv&encoding=windows-1252&header=false&sample_size=-1',
      ),
    ).toEqual({
      location: '/x/*.txt',
      table: 'orders',
      format: 'tsv',
      encoding: 'windows-1252',
      header: false,
      sampleSize: -1,
    });
    expect(filesConfigFromUrl('file:///x/y/').location).toBe('/x/y');
    expect(filesConfigFromUrl('file:/x/a.csv?delimiter=tab').delimiter).toBe('\t');
  });

  it('parses s3:// URLs: bucket and key glob, endpoint settings, file options', () => {
    expect(
      filesConfigFromUrl(
        's3://my-bucket/exports/*.csv.gz?endpoint=http://127.0.0.1:4569&path_style=true&region=eu-west-1&table=t',
      ),
    ).toEqual({
      location: 's3://my-bucket/exports/*.csv.gz',
      table: 't',
      s3: { endpoint: 'http://127.0.0.1:4569', forcePathStyle: true, region: 'eu-west-1' },
    });
  });

  it.each([
    ['file:', /file:<path or glob>/],
    ['file:/x/*.csv?colour=red', /unknown option colour/],
    ['file:/x/*.csv?encoding=klingon', /encoding/],
    ['file:/x/*.csv?format=xlsx', /format/],
    ['file:/x/*.csv?table=../up', /table/],
    ['s3://bucket', /name the objects/],
    ['s3://bucket/x?secret=abc', /credentials/],
  ])('%s is a USAGE error with a hint', (url, hint) => {
    let error: unknown;
    try {
      filesConfigFromUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(isSluiceError(error, 'USAGE'), String(error)).toBe(true);
    expect(`${(error as Error).message} ${(error as { hint?: string }).hint}`).toMatch(hint);
  });

  it.each([
    ['/data/orders.csv.gz', 'orders'],
    ['/data/orders/*.csv', 'orders'],
    ['/data/orders/2024-*/**/*.csv', 'orders'],
    ['s3://bucket/events/*.ndjson', 'events'],
    ['s3://bucket/*.ndjson', 'bucket'],
    ['/*.csv', 'files'],
  ])('the table of %s is %s', (location, table) => {
    expect(defaultTableName(location)).toBe(table);
  });
});

describe('incremental position', () => {
  const file = (name: string, modifiedMs: number, version = `1:${modifiedMs}`): ListedFile => ({
    name,
    size: 1,
    version,
    modifiedMs,
  });

  it('remembers loaded files by identity: new and changed files are not loaded, the others are', () => {
    const a = file('/d/a.csv', 100);
    const b = file('/d/b.csv', 200);
    const first = decodeFilesPosition(advanceFilesPosition(decodeFilesPosition(null), [a, b], [a, b]));
    expect([isLoaded(first, a), isLoaded(first, b)]).toEqual([true, true]);
    const changed = file('/d/b.csv', 300, '2:300');
    const added = file('/d/c.csv', 50);
    expect(isLoaded(first, changed)).toBe(false);
    expect(isLoaded(first, added)).toBe(false);
    const second = decodeFilesPosition(advanceFilesPosition(first, [a, changed, added], [changed, added]));
    expect([a, changed, added].map((f) => isLoaded(second, f))).toEqual([true, true, true]);
    expect(second.loaded).toBe(4);
  });

  it('stays compact: beyond RECENT_FILES the oldest are covered by a watermark', () => {
    const files = Array.from({ length: RECENT_FILES + 5 }, (_, i) => file(`/d/${i}.csv`, 1000 + i));
    const position = advanceFilesPosition(decodeFilesPosition(null), files, files);
    expect(JSON.stringify(position).length).toBeLessThan(RECENT_FILES * 18 + 200);
    const decoded = decodeFilesPosition(position);
    expect(decoded.recent.size).toBe(RECENT_FILES);
    expect(decoded.since).toBe(1000 + 5);
    expect(files.every((f) => isLoaded(decoded, f))).toBe(true);
    // The caveat: a file that appears with an mtime below the watermark counts as loaded.
    expect(isLoaded(decoded, file('/d/late.csv', 1001))).toBe(true);
    expect(isLoaded(decoded, file('/d/new.csv', 5000))).toBe(false);
  });

  it('refuses a position another kind of source wrote', () => {
    const error = (() => {
      try {
        return decodeFilesPosition({ cursor: 42 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
  });
});
