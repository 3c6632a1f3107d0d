/** What discovery learns about one file, so that reading it later needs no second look. */
import type { QuarantinedRow } from '../../core/quarantine.js';
import type { ListedFile } from './file-store.js';
import type { FileFormat } from './file-format.js';

/** A column of one file, with the DuckDB type DuckDB reads it as. */
export interface FileColumn {
  /** Column (CSV header, JSON key, Parquet field) name. */
  name: string;
  /** DuckDB type, e.g. `BIGINT`, `VARCHAR`, `STRUCT(a BIGINT)`. */
  type: string;
}

/** How DuckDB's sniffer found one CSV file to be written. */
export interface CsvDialect {
  /** Field delimiter. */
  delimiter: string;
  /** Quote character. */
  quote: string;
  /** Escape character inside quotes (the quote itself for `""`). */
  escape: string;
  /** Lines skipped before the header or first row. */
  skip: number;
  /** True when the first (unskipped) line is a header. */
  header: boolean;
  /** Comment character, or empty. */
  comment: string;
  /** strptime format of DATE columns, when not ISO. */
  dateFormat: string | null;
  /** strptime format of TIMESTAMP columns, when not ISO. */
  timestampFormat: string | null;
}

/** One file as discovery described it. */
export interface DescribedFile {
  /** The file as listed. */
  file: ListedFile;
  /** Its format. */
  format: FileFormat;
  /** The local path DuckDB reads: the file, its download, or its UTF-8 transcoding. */
  path: string;
  /** True when `path` is gzip-compressed (a transcoding is plain text). */
  gzip: boolean;
  /** Its columns in file order. */
  columns: FileColumn[];
  /** False when the file has no rows to type by (an empty or header-only CSV): its types are not evidence. */
  typed: boolean;
  /** CSV: the dialect to read it with. */
  csv?: CsvDialect;
  /** JSON: one document per line (else one array of documents). */
  jsonLines?: boolean;
  /** JSON: the lines discovery set aside (then `path` is a copy without them). */
  quarantined?: QuarantinedRow[];
}
