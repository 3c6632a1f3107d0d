/**
 * AWS SDK failures as SluiceErrors. The code follows what was being done (reading the lake or
 * writing it), the hint follows the cause (no bucket, no permission, no server, no credentials),
 * and `retryable` is true only for causes that go away by themselves: timeouts, resets,
 * throttling and server errors. The SDK has already retried those a few times by then.
 */
import { SluiceError, messageOf } from '../core/errors.js';

/** The facts an S3 error report needs; secrets listed here are scrubbed from every message. */
export interface S3ErrorContext {
  /** `read` for lookups and downloads, `write` for uploads and deletes. */
  operation: 'read' | 'write';
  /** The object or prefix involved, as an `s3://` URL. */
  url: string;
  /** The bucket, for hints. */
  bucket: string;
  /** The endpoint, for hints (absent for AWS). */
  endpoint: string | undefined;
  /** Strings that must never appear in a message (credentials). */
  secrets: readonly string[];
}

/** The shape of SDK and Node network errors that the mapping reads. */
interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  $fault?: string;
}

const ACCESS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
const TRANSIENT = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'ConditionalRequestConflict',
]);

/** The SDK's name for an error (`NoSuchKey`, `NotFound`, `ECONNREFUSED`, …). */
export function s3ErrorName(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  return e.Code ?? (e.name !== undefined && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'Error';
}

/** The HTTP status of an SDK error, when the server answered. */
export function s3Status(error: unknown): number | undefined {
  return ((error ?? {}) as SdkError).$metadata?.httpStatusCode;
}

/** True when the server says the object (or, for HEAD, possibly the bucket) does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || (s3Status(error) === 404 && name !== 'NoSuchBucket');
}

/** The SluiceError for a failed S3 call. */
export function s3Error(error: unknown, context: S3ErrorContext): SluiceError {
  const name = s3ErrorName(error);
  const status = s3Status(error);
  const reading = context.operation === 'read';
  const detail = scrub(`${name}: ${messageOf(error)}`, context.secrets);
  const message = `cannot ${context.operation} ${context.url}: ${detail}`;
  const where = context.endpoint ?? 'AWS S3';
  const code = reading ? 'SOURCE_READ' : 'DESTINATION_WRITE';

  if (name === 'NoSuchBucket') {
    return new SluiceError(reading ? 'SOURCE_NOT_FOUND' : code, message, {
      cause: error,
      hint: `bucket "${context.bucket}" does not exist at ${where}: create it, or fix the bucket in the lake URL`,
    });
  }
  if (name === 'NoSuchKey' || (reading && status === 404)) {
    return new SluiceError('SOURCE_NOT_FOUND', `no object at ${context.url}`, {
      cause: error,
      hint: 'check the lake URL; objects under it may have been removed by hand or by an expiry',
    });
  }
  if (ACCESS.has(name) || status === 403) {
    return new SluiceError(reading ? 'SOURCE_CONNECT' : code, message, {
      cause: error,
      hint: `${where} refused the credentials: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the connection's s3: block) and that they may list, get, put and delete objects in bucket "${context.bucket}"`,
    });
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(detail)) {
    return new SluiceError('CONFIG', message, {
      cause: error,
      hint: "no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or give accessKeyId/secretAccessKey in the connection's s3: block",
    });
  }
  if (/region is missing/i.test(detail)) {
    return new SluiceError('CONFIG', message, {
      cause: error,
      hint: "no S3 region: add ?region=… to the s3:// URL, set AWS_REGION, or give region in the connection's s3: block",
    });
  }
  const sdk = (error ?? {}) as SdkError;
  if (UNREACHABLE.has(name) || (sdk.code !== undefined && UNREACHABLE.has(sdk.code))) {
    return new SluiceError(reading ? 'SOURCE_CONNECT' : code, message, {
      cause: error,
      hint: `cannot reach ${where}: check the endpoint= option (scheme, host and port) and that the server is running`,
    });
  }
  const retryable =
    TRANSIENT.has(name) ||
    (sdk.code !== undefined && TRANSIENT.has(sdk.code)) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    sdk.$retryable !== undefined;
  return new SluiceError(code, message, {
    cause: error,
    retryable,
    hint: retryable
      ? `${where} failed for a moment; run again`
      : `check the lake URL, the endpoint and the bucket "${context.bucket}"`,
  });
}

/** Replaces every occurrence of each secret by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  return secrets
    .filter((secret) => secret.length > 0)
    .reduce((out, secret) => out.replaceAll(secret, '***'), text);
}
