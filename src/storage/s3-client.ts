/**
 * The AWS SDK client for a lake's settings. Custom endpoints are S3-compatible servers (MinIO,
 * Ceph, s3rver, R2): they get path-style addressing and a default region unless told otherwise,
 * and checksums only where an API requires them, because several such servers store the SDK's
 * default aws-chunked checksum trailer as part of the object (s3rver does: a 20 MB upload came
 * back 2,916 bytes longer).
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from './s3-location.js';

/** A client for `settings`; credentials not given there come from the SDK's default chain. */
export function createS3Client(settings: S3Settings): S3Client {
  const custom = settings.endpoint !== undefined;
  const region = settings.region ?? (custom ? 'us-east-1' : undefined);
  const config: S3ClientConfig = {
    forcePathStyle: settings.forcePathStyle ?? custom,
    followRegionRedirects: !custom,
    ...(custom && {
      endpoint: settings.endpoint,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    ...(region !== undefined && { region }),
  };
  if (settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  }
  return new S3Client(config);
}
