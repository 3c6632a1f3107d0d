import { z } from 'zod';

/** File formats a source can be told to read (`?format=`); otherwise each file's extension decides. */
export const FILE_FORMAT_NAMES = ['csv', 'tsv', 'ndjson', 'json', 'parquet'] as const;

export type FileFormatName = (typeof FILE_FORMAT_NAMES)[number];

/** True when Node can decode `label` (WHATWG encoding names: utf-16le, windows-1252, latin1, …). */
export function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** One schema gives validation, the TypeScript type, docs and the UI form of a file source. */
export const filesConfigSchema = z.object({
  location: z
    .string()
    .min(1)
    .describe(
      'The files: an absolute path, directory or glob on local disk (`/data/orders/*.csv`, `**` for any depth), or `s3://bucket/prefix/*.csv`.',
    ),
  table: z
    .string()
    .regex(/^[^./\\][^/\\]*$/, { message: 'must not start with "." or contain "/" or "\\"' })
    .optional()
    .describe(
      'Lake table name (namespace `files`); default: the file stem for one file, else the last directory before the first wildcard.',
    ),
  format: z
    .enum(FILE_FORMAT_NAMES)
    .optional()
    .describe(
      'Read every file as this format; default: by extension (.csv .tsv .txt .ndjson .jsonl .json .parquet, each optionally .gz).',
    ),
  encoding: z
    .string()
    .refine(isKnownEncoding, {
      message: 'is not an encoding Node can decode (e.g. utf-8, utf-16le, windows-1252, latin1)',
    })
    .optional()
    .describe(
      'Text encoding of CSV and JSON files; default: UTF-8, or UTF-16 when the file starts with its byte order mark.',
    ),
  delimiter: z.string().length(1).optional().describe('CSV field delimiter; default: sniffed per file.'),
  header: z
    .boolean()
    .optional()
    .describe('Whether CSV files start with a header line; default: sniffed per file.'),
  sampleSize: z
    .number()
    .int()
    .min(-1)
    .optional()
    .describe(
      'Rows sampled per file to detect CSV types (-1: all); JSON always reads every record to find every key.',
    ),
  s3: z
    .object({
      endpoint: z.string().optional().describe('S3-compatible endpoint, e.g. http://127.0.0.1:9000.'),
      region: z.string().optional().describe('Signing region.'),
      forcePathStyle: z.boolean().optional().describe('Address buckets as endpoint/bucket/key.'),
      accessKeyId: z.string().optional().describe('Access key id; default: the AWS SDK chain.'),
      secretAccessKey: z.string().optional().describe('Secret access key. Never printed.'),
    })
    .optional()
    .describe('How to reach an s3:// location; unset fields come from the AWS SDK default chain.'),
});

export type FilesConfig = z.output<typeof filesConfigSchema>;
