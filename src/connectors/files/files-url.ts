/**
 * `--from` URLs of file sources → FilesConfig:
 *
 *   file:<path, directory or glob>[?table=…&format=…&encoding=…&delimiter=…&header=…&sample_size=…]
 *   s3://bucket/prefix/<glob>[?endpoint=…&region=…&path_style=…&<the options above>]
 *
 * A relative `file:` path is resolved against the current directory; `file:///abs` URLs work
 * too. `?` is also a glob wildcard: the text after the last `?` is read as options only when it
 * has the `name=value[&…]` shape. S3 credentials never go in the URL (it is printed and
 * recorded): they come from the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, …).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../../core/errors.js';
import { parseS3Url } from '../../storage/s3-location.js';
import { filesConfigSchema } from './files-config.js';
import type { FilesConfig } from './files-config.js';

const OPTIONS = /^[a-z_]+=[^&]*(&[a-z_]+=[^&]*)*$/;
/** Options of a file source, by URL name → config key. */
const FILE_OPTIONS: Readonly<Record<string, keyof FilesConfig>> = {
  table: 'table',
  format: 'format',
  encoding: 'encoding',
  delimiter: 'delimiter',
  header: 'header',
  sample_size: 'sampleSize',
};

export function filesConfigFromUrl(url: string): FilesConfig {
  const queryAt = url.lastIndexOf('?');
  const hasOptions = queryAt >= 0 && OPTIONS.test(url.slice(queryAt + 1));
  const base = hasOptions ? url.slice(0, queryAt) : url;
  const params = new URLSearchParams(hasOptions ? url.slice(queryAt + 1) : '');
  const options: Record<string, unknown> = {};
  const rest = new URLSearchParams();
  for (const [key, value] of params) {
    const option = FILE_OPTIONS[key];
    if (option === undefined) rest.append(key, value);
    else options[option] = optionValue(option, value, url);
  }
  let config: Record<string, unknown>;
  if (/^s3:\/\//i.test(base)) {
    const query = rest.toString();
    const location = parseS3Url(query ? `${base}?${query}` : base);
    const glob = location.prefix.replace(/\/$/, '');
    if (glob === '') throw usage(url, 'name the objects after the bucket, e.g. s3://bucket/orders/*.csv');
    config = { ...options, location: `s3://${location.bucket}/${glob}`, s3: location.settings };
  } else {
    if ([...rest.keys()].length > 0) {
      throw usage(
        url,
        `unknown option ${[...rest.keys()][0]}; the options are ${Object.keys(FILE_OPTIONS).join(', ')}`,
      );
    }
    config = { ...options, location: localGlob(base, url) };
  }
  const parsed = filesConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usage(url, `${issue?.path.join('.') || 'value'} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

function localGlob(base: string, url: string): string {
  const rest = base.slice('file:'.length);
  if (rest === '') throw usage(url, 'use file:<path or glob>, e.g. file:./data/orders/*.csv');
  const absolute = rest.startsWith('//') ? fileURLToPath(base) : path.resolve(rest);
  // Globs use `/`; keep a trailing slash off so a directory names its files.
  return absolute
    .split(path.sep)
    .join('/')
    .replace(/(.)\/+$/, '$1');
}

function optionValue(option: keyof FilesConfig, value: string, url: string): unknown {
  if (option === 'header') {
    if (value !== 'true' && value !== 'false') throw usage(url, 'header must be true or false');
    return value === 'true';
  }
  if (option === 'sampleSize') {
    if (!/^-?\d+$/.test(value)) throw usage(url, 'sample_size must be an integer (-1 for all rows)');
    return Number(value);
  }
  if (option === 'delimiter' && (value === 'tab' || value === '\\t')) return '\t';
  return value;
}

function usage(url: string, hint: string): SluiceError {
  return new SluiceError(
    'USAGE',
    `not a valid file source: ${url.includes('@') ? '(a URL with credentials)' : url}`,
    {
      hint,
    },
  );
}
