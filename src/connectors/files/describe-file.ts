/**
 * Discovery of one file: fetch it (S3), choose its reader, bring its text to UTF-8 when it is
 * in another encoding, and ask DuckDB for its columns (and, for CSV, its dialect).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import { sniffCsv } from './csv-file.js';
import type { DescribedFile } from './described-file.js';
import { fileFormatOf } from './file-format.js';
import type { FileStore, ListedFile } from './file-store.js';
import { textEncodingOf, transcodeToUtf8 } from './file-text.js';
import type { FilesConfig } from './files-config.js';
import { fileReadError } from './files-errors.js';
import { describeJsonFile } from './describe-json.js';
import { isJsonArray } from './json-file.js';

export async function describeFile(
  db: DuckDB,
  store: FileStore,
  file: ListedFile,
  config: FilesConfig,
  workDir: string,
): Promise<DescribedFile> {
  try {
    return await describe(db, store, file, config, workDir);
  } catch (error) {
    throw fileReadError(file.name, error);
  }
}

async function describe(
  db: DuckDB,
  store: FileStore,
  file: ListedFile,
  config: FilesConfig,
  workDir: string,
): Promise<DescribedFile> {
  const format = fileFormatOf(file.name, config.format);
  let local = await store.localPath(file);
  let gzip = format.gzip;
  const described = { file, format, path: local, gzip, columns: [], typed: false };
  if (file.size === 0) return described;
  if (format.kind === 'parquet') {
    const rows = await db.queryObjects(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(local)})`);
    const columns = rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
    return { ...described, columns, typed: true };
  }
  const encoding = await textEncodingOf(local, gzip, config.encoding);
  if (encoding !== 'utf-8') {
    const utf8 = path.join(workDir, `${randomUUID()}.utf8.${format.kind}`);
    await transcodeToUtf8(local, gzip, encoding, utf8, file.name);
    local = utf8;
    gzip = false;
  }
  if (format.kind === 'json') {
    const jsonLines = format.jsonLines ?? !(await isJsonArray(local, gzip));
    const json = await describeJsonFile(db, local, gzip, jsonLines, config.sampleSize, workDir, file.name);
    return { ...described, ...json, typed: true, jsonLines };
  }
  const sniffed = await sniffCsv(db, local, gzip, {
    delimiter: config.delimiter ?? format.delimiter,
    header: config.header,
    sampleSize: config.sampleSize,
  });
  return {
    ...described,
    path: local,
    gzip,
    columns: sniffed.columns,
    typed: sniffed.typed,
    csv: sniffed.dialect,
  };
}
