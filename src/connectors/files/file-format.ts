/** Which reader a file goes to: by `?format=`, else by its extension (optionally followed by `.gz`). */
import { SluiceError } from '../../core/errors.js';
import type { FileFormatName } from './files-config.js';

/** How to read one file. */
export interface FileFormat {
  /** The reader. */
  kind: 'csv' | 'json' | 'parquet';
  /** True when the file is gzip-compressed (`.gz`). */
  gzip: boolean;
  /** CSV: a delimiter the extension implies (`\t` for .tsv); else sniffed. */
  delimiter?: string;
  /** JSON: one document per line (.ndjson, .jsonl), or decided by the first byte (.json). */
  jsonLines?: boolean;
}

const BY_EXTENSION: Readonly<Record<string, FileFormatName>> = {
  csv: 'csv',
  txt: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'json',
  parquet: 'parquet',
  pq: 'parquet',
};

export function fileFormatOf(name: string, forced: FileFormatName | undefined): FileFormat {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const extension = /\.([a-z0-9]+)$/.exec(gzip ? lower.slice(0, -3) : lower)?.[1] ?? '';
  const format = forced ?? BY_EXTENSION[extension];
  if (format === undefined) {
    throw new SluiceError('USAGE', `cannot tell the format of ${name} from its name`, {
      hint: 'add ?format=csv|tsv|ndjson|json|parquet to the source, or narrow the glob (e.g. *.csv)',
    });
  }
  switch (format) {
    case 'csv':
      return { kind: 'csv', gzip };
    case 'tsv':
      return { kind: 'csv', gzip, delimiter: '\t' };
    case 'ndjson':
      return { kind: 'json', gzip, jsonLines: true };
    case 'json':
      return { kind: 'json', gzip };
    case 'parquet':
      if (gzip) {
        throw new SluiceError('USAGE', `${name}: gzip-compressed Parquet is not supported`, {
          hint: 'Parquet compresses its own pages; store the file as plain .parquet',
        });
      }
      return { kind: 'parquet', gzip: false };
  }
}
