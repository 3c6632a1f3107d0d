/**
 * Where an S3 lake lives and how to reach it: `s3://bucket/prefix?endpoint=…&region=…&path_style=true`.
 * Only non-secret settings may sit in the URL, because URLs are printed and recorded in run
 * history; credentials come from the project file's `s3:` block or the AWS SDK's default chain.
 */
import { SluiceError } from '../core/errors.js';

/** How to reach an S3-compatible store. Every field is optional; the AWS SDK defaults fill the rest. */
export interface S3Settings {
  /** Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:9000`; absent for AWS itself. */
  endpoint?: string;
  /** Signing region; default: the SDK's (AWS_REGION, profile), `us-east-1` with a custom endpoint. */
  region?: string;
  /** Address buckets as `endpoint/bucket/key`; default true with a custom endpoint, false for AWS. */
  forcePathStyle?: boolean;
  /** Access key id; with `secretAccessKey`, replaces the SDK's default credential chain. */
  accessKeyId?: string;
  /** Secret access key. Never printed. */
  secretAccessKey?: string;
}

/** A parsed `s3://` lake root. */
export interface S3Location {
  /** Bucket name. */
  bucket: string;
  /** Key prefix of the lake: empty, or ending in `/`. */
  prefix: string;
  /** Settings from the URL's query, merged over those given alongside the URL. */
  settings: S3Settings;
}

const QUERY_KEYS = ['endpoint', 'region', 'path_style'] as const;
const CREDENTIAL_KEYS = /^(access[_-]?key|secret|session|token|aws_)/i;
// S3 bucket naming rules (lowercase, 3–63 characters, no leading or trailing dot or hyphen).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True for `s3://…` (the one scheme Sluice accepts for a lake root). */
export function isS3Url(url: string): boolean {
  return /^s3:\/\//i.test(url);
}

/** The `s3://bucket/prefix/` part of a lake URL, without the query: safe to print. */
export function s3RootUrl(location: Pick<S3Location, 'bucket' | 'prefix'>): string {
  return `s3://${location.bucket}/${location.prefix}`;
}

/**
 * Parses `s3://bucket[/prefix][?endpoint=…&region=…&path_style=true|false]`. `base` settings (a
 * project file's `s3:` block) apply where the query is silent. Throws USAGE for a malformed URL
 * or for credentials written into it, without echoing them.
 */
export function parseS3Url(url: string, base: S3Settings = {}): S3Location {
  if (!isS3Url(url)) throw usage(`not an s3:// URL: ${printable(url)}`, 'write it as s3://bucket/prefix');
  const rest = url.slice('s3://'.length);
  const queryAt = rest.indexOf('?');
  const pathPart = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const slash = pathPart.indexOf('/');
  const bucket = slash === -1 ? pathPart : pathPart.slice(0, slash);
  if (bucket.includes('@') || bucket.includes(':')) {
    throw usage('an s3:// URL must not carry credentials', CREDENTIALS_HINT);
  }
  if (!BUCKET.test(bucket)) {
    throw usage(
      `"${bucket}" is not a valid S3 bucket name`,
      'bucket names are 3–63 lowercase letters, digits, "." and "-", e.g. s3://my-lake/warehouse',
    );
  }
  const parts = (slash === -1 ? '' : pathPart.slice(slash + 1)).split('/').filter((part) => part !== '');
  if (parts.some((part) => part === '.' || part === '..' || /[#?]/.test(part))) {
    throw usage(
      `invalid prefix in ${printable(url)}`,
      'a lake prefix has no "." or ".." segments and no "#"',
    );
  }
  const prefix = parts.length === 0 ? '' : `${parts.join('/')}/`;
  return {
    bucket,
    prefix,
    settings: { ...base, ...querySettings(queryAt === -1 ? '' : rest.slice(queryAt + 1)) },
  };
}

const CREDENTIALS_HINT =
  'give credentials with the AWS environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an s3: block of the connection in sluice.yml, never in the URL';

function querySettings(query: string): S3Settings {
  const settings: S3Settings = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (CREDENTIAL_KEYS.test(key))
      throw usage(`an s3:// URL must not carry credentials ("${key}")`, CREDENTIALS_HINT);
    switch (key) {
      case 'endpoint':
        settings.endpoint = parseEndpoint(value);
        break;
      case 'region':
        if (!/^[a-z0-9-]+$/.test(value))
          throw usage(`region "${value}" is not a region name`, 'e.g. region=us-east-1');
        settings.region = value;
        break;
      case 'path_style':
        if (value !== 'true' && value !== 'false')
          throw usage(`path_style must be true or false`, 'e.g. path_style=true');
        settings.forcePathStyle = value === 'true';
        break;
      default:
        throw usage(`unknown s3:// URL option "${key}"`, `the options are ${QUERY_KEYS.join(', ')}`);
    }
  }
  return settings;
}

/** Checks an endpoint URL; throws USAGE for one that is not http(s) or that carries credentials. */
export function parseEndpoint(value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw usage(`endpoint "${printable(value)}" is not a URL`, 'e.g. endpoint=http://127.0.0.1:9000');
  }
  if (endpoint.username !== '' || endpoint.password !== '')
    throw usage('an endpoint must not carry credentials', CREDENTIALS_HINT);
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw usage(
      `endpoint ${printable(value)} is not http:// or https://`,
      'e.g. endpoint=https://minio.internal:9000',
    );
  }
  return value.replace(/\/+$/, '');
}

function printable(text: string): string {
  return text.includes('@') ? '(a URL with credentials)' : text;
}

function usage(message: string, hint: string): SluiceError {
  return new SluiceError('USAGE', message, { hint });
}
