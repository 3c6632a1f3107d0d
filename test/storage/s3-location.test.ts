/** `s3://` lake URLs: bucket, prefix and settings, and no credentials in URLs (never echoed). */
import { describe, expect, it } from 'vitest';
import { lakeRootOf } from '../../src/destinations/registry.js';
import { parseS3Url } from '../../src/storage/s3-location.js';

describe('parseS3Url', () => {
  it('reads bucket, prefix and the query settings over the given ones', () => {
    expect(
      parseS3Url(
        's3://my-lake/ware house/?endpoint=http://127.0.0.1:4569/&region=eu-west-1&path_style=false',
        {
          region: 'us-east-1',
          accessKeyId: 'id',
          secretAccessKey: 'secret',
        },
      ),
    ).toEqual({
      bucket: 'my-lake',
      prefix: 'ware house/',
      settings: {
        endpoint: 'http://127.0.0.1:4569',
        region: 'eu-west-1',
        forcePathStyle: false,
        accessKeyId: 'id',
        secretAccessKey: 'secret',
      },
    });
    expect(parseS3Url('s3://my-lake')).toEqual({ bucket: 'my-lake', prefix: '', settings: {} });
  });

  it('refuses bad buckets, prefixes and options with a hint', () => {
    expect(() => parseS3Url('s3://My_Bucket/x')).toThrow(/not a valid S3 bucket name/);
    expect(() => parseS3Url('s3://bucket/../x')).toThrow(/invalid prefix/);
    expect(() => parseS3Url('s3://bucket/x?sse=aws:kms')).toThrow(/unknown s3:\/\/ URL option "sse"/);
    expect(() => parseS3Url('s3://bucket/x?path_style=yes')).toThrow(/path_style must be true or false/);
    expect(() => parseS3Url('s3://bucket/x?endpoint=ftp://host')).toThrow(/not http:\/\/ or https:\/\//);
  });

  it('refuses credentials in the URL without repeating them', () => {
    for (const url of [
      's3://AKIAKEY:topsecret@bucket/x',
      's3://bucket/x?secret_access_key=topsecret',
      's3://bucket/x?endpoint=http://user:topsecret@host:9000',
    ]) {
      const error = (() => {
        try {
          parseS3Url(url);
        } catch (e) {
          return e as Error & { hint?: string };
        }
        throw new Error(`accepted ${url}`);
      })();
      expect(error.message).toMatch(/credentials/);
      expect(`${error.message} ${error.hint}`).not.toContain('topsecret');
    }
  });

  it('is accepted as a lake: destination root', () => {
    expect(lakeRootOf('lake:s3://bucket/prefix?region=us-east-1')).toBe(
      's3://bucket/prefix?region=us-east-1',
    );
    expect(() => lakeRootOf('lake:s3://B/x')).toThrow(/bucket name/);
  });
});
