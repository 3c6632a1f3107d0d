/**
 * A file source is one stream: namespace `files`, named by `?table=` or after its location, with
 * the union of every file's columns (first-seen order). Where files disagree on a column's type
 * it is widened (`widenFileTypes`) or carried as text, with a note saying so; files without rows
 * (a header-only CSV) add their column names but say nothing about types.
 */
import path from 'node:path';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StreamSchema } from '../../core/stream.js';
import type { DescribedFile } from './described-file.js';
import { canonicalFileType, widenFileTypes } from './files-types.js';
import { hasWildcard, staticPrefix } from './glob.js';

/** The namespace of every file stream. */
export const FILES_NAMESPACE = 'files';

/**
 * The default table name of a location (an absolute glob, or `s3://bucket/glob`): the file's
 * stem when it names one file (`orders.csv.gz` → `orders`), else the last directory before the
 * first wildcard (`/data/orders/*.csv` → `orders`; the bucket for `s3://bucket/*.csv`).
 */
export function defaultTableName(location: string): string {
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  const glob = s3 ? (s3[2] ?? '') : location;
  let name: string;
  if (!hasWildcard(glob)) {
    name = path.posix
      .basename(glob)
      .replace(/\.gz$/i, '')
      .replace(/\.[^.]*$/, '');
  } else {
    const base = staticPrefix(glob);
    name = base === '' || base === '/' ? (s3?.[1] ?? '') : path.posix.basename(base);
  }
  name = name.replace(/^\.+/, '');
  return name === '' ? 'files' : name;
}

export function filesStreamSchema(table: string, files: readonly DescribedFile[]): StreamSchema {
  const union = new Map<string, { type: string | null; notes: string[] }>();
  for (const file of files) {
    for (const column of file.columns) {
      const known = union.get(column.name);
      const type = file.typed ? column.type : null;
      if (!known) {
        union.set(column.name, { type, notes: [] });
      } else if (type !== null) {
        if (known.type === null) {
          known.type = type;
          continue;
        }
        const widened = widenFileTypes(known.type, type);
        known.type = widened.type;
        if (widened.note && !known.notes.includes(widened.note)) known.notes.push(widened.note);
      }
    }
  }
  const columns = [...union].map(([name, { type, notes }]): CanonicalColumn => {
    const sourceType = type ?? 'VARCHAR';
    const mapping = canonicalFileType(sourceType);
    const note = [...notes, ...(mapping.note ? [mapping.note] : [])].join('; ');
    return { name, type: mapping.type, nullable: true, sourceType, ...(note && { note }) };
  });
  return { namespace: FILES_NAMESPACE, name: table, columns, primaryKey: [], rowEstimate: null };
}
