/**
 * The AWS SDK, loaded on first use. Loading it costs ~34 MB of resident memory and ~0.1 s, which
 * a run that never touches S3 (a local lake fed from a database) should not pay at every start;
 * S3 stores and file sources ask for it when they first send a request.
 */
import type * as ClientS3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type { S3Settings } from './s3-location.js';

/** The SDK modules Sluice uses. */
export interface S3Sdk {
  /** `@aws-sdk/client-s3`: the commands and paginators. */
  commands: typeof ClientS3;
  /** `@aws-sdk/lib-storage`: multipart uploads. */
  storage: typeof LibStorage;
}

/** A client and the SDK to build its requests with. */
export interface S3Connection {
  /** The client for the store's settings (`s3-client.ts`). */
  client: S3Client;
  /** The loaded SDK. */
  sdk: S3Sdk;
}

let loading: Promise<S3Sdk> | undefined;

/** The SDK, imported once per process. */
export function loadS3Sdk(): Promise<S3Sdk> {
  loading ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(
    ([commands, storage]) => ({ commands, storage }),
  );
  return loading;
}

/** A client for `settings` with the SDK, both loaded on first use. */
export async function connectS3(settings: S3Settings): Promise<S3Connection> {
  const [sdk, { createS3Client }] = await Promise.all([loadS3Sdk(), import('./s3-client.js')]);
  return { client: createS3Client(settings), sdk };
}
