/**
 * A real S3-compatible server for tests: s3rver on 127.0.0.1, a free port, its own temporary
 * folder (removed by `close`). s3rver accepts the AWS SDK with path-style addressing and the
 * credentials S3RVER/S3RVER, serves multipart uploads and ranged GETs, and also answers plain
 * anonymous HTTP GETs at `<endpoint>/<bucket>/<key>`, which is how icebird reads through it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../src/storage/s3-client.js';
import type { S3Settings } from '../../src/storage/s3-location.js';

/** A running s3rver. */
export interface S3rverHandle {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Settings that reach it, credentials included. */
  settings: S3Settings;
  /** Environment variables that give the AWS SDK's default chain the same credentials. */
  env: Record<string, string>;
  /** `METHOD /path?query` of every request served so far, to check which S3 calls were made. */
  requests: string[];
  /** Creates a bucket. */
  createBucket(name: string): Promise<void>;
  /** The plain HTTP URL of an object (s3rver serves anonymous GETs). */
  httpUrl(bucket: string, key: string): string;
  /**
   * Teaches the global fetch (which icebird reads every location with) to send `s3://bucket/key`
   * and icebird's `https://<bucket>.s3.amazonaws.com/<key>` to this server. Returns the undo.
   */
  installFetch(): () => void;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

export async function startS3rver(): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'sluice-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const requests: string[] = [];
  server.httpServer?.on('request', (request: { method?: string; url?: string }) => {
    requests.push(`${request.method} ${request.url}`);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const settings: S3Settings = { endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = createS3Client(settings);
  const httpUrl = (bucket: string, key: string) =>
    `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    endpoint,
    settings,
    requests,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    httpUrl,
    installFetch() {
      const original = globalThis.fetch;
      globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
        // icebird passes locations as strings, keys exactly as written in the metadata (S3 keys are
        // literal: a `%20` in a partition folder is three characters), so they are encoded here and
        // never decoded; only a URL object (which percent-encodes its path) is decoded first.
        const literal = typeof input === 'string';
        const url = literal ? input : input instanceof URL ? input.href : input.url;
        const object =
          /^s3a?:\/\/([^/]+)\/(.*)$/.exec(url) ?? /^https:\/\/([^./]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url);
        if (!object) return original(input, init);
        return original(httpUrl(object[1]!, literal ? object[2]! : decodeURI(object[2]!)), init);
      };
      return () => {
        globalThis.fetch = original;
      };
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
