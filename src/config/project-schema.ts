/**
 * The project file `sluice.yml` as one zod schema: validation, TypeScript types, error messages
 * and the JSON Schema (`schema/sluice.schema.json`, for editors and docs) all come from here, so
 * every field carries a `.describe()`. Objects are strict: an unknown key is an error that
 * suggests the closest known key. Cross-field rules live in `project-rules.ts`.
 */
import { z } from 'zod';
import { messageOf } from '../core/errors.js';
import type { PartitionFieldDecl } from '../core/partition-fields.js';
import { parsePartitionBy, parsePartitionField } from '../core/partition-fields.js';
import { didYouMean } from './did-you-mean.js';
import { checkProjectRules } from './project-rules.js';

export const SYNC_MODES = ['full', 'incremental', 'cdc'] as const;
export const DISPOSITIONS = ['append', 'replace', 'merge'] as const;
export const SCHEMA_POLICIES = ['evolve', 'freeze', 'discard_columns'] as const;

/** A strict object whose unknown-key error names the closest known key. */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `unknown key "${key}"${didYouMean(key, known)}`).join('; ')
        : undefined,
  });
}

/** One of a fixed set of words, with a suggestion for a misspelling. */
function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, {
    error: (issue) => `expected one of ${values.join(', ')}${didYouMean(issue.input, values)}`,
  });
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const nameSchema = (what: string) =>
  z.string().regex(NAME, `${what} names start with a letter and use letters, digits, "_" and "-"`);

const columnList = z.array(z.string().min(1)).min(1, 'list at least one column');

const ModeSchema = oneOf(SYNC_MODES).describe(
  'How rows are selected: `full` reads every row each run; `incremental` reads rows whose cursor column grew since the last run; `cdc` follows the database log (inserts, updates, deletes).',
);

const DispositionSchema = oneOf(DISPOSITIONS).describe(
  'How rows are applied to the destination table: `append` adds them, `replace` swaps the table for this run’s rows, `merge` upserts by primary key. Default: `replace` for full mode, `merge` for incremental mode with a cursor (cursor reads overlap; append is refused for them), `append` for incremental file sources.',
);

const CursorSchema = z
  .string()
  .min(1)
  .describe('Cursor column for incremental mode: a column that only grows (e.g. `updated_at`, an id).');

const PrimaryKeySchema = columnList.describe(
  'Key columns for merge and CDC. Default: the source table’s primary key, read at run time (a run refuses a keyless table that needs one).',
);

const PartitionBySchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'expected partition fields such as "day(placed_at), bucket(16, buyer_id)", or a list of them',
  })
  .superRefine((value, ctx) => {
    try {
      partitionFieldsOf(value);
    } catch (error) {
      const quoting = Array.isArray(value)
        ? ' (in a YAML list, quote items with commas: "bucket(16, buyer_id)")'
        : '';
      ctx.addIssue({ code: 'custom', message: `${messageOf(error)}${quoting}` });
    }
  })
  .describe(
    'Partitioning of the destination table: `identity(col)` or `col`, `year(col)`, `month(col)`, `day(col)`, `hour(col)`, `bucket(N, col)`, `truncate(W, col)`, as one comma-separated string or a list. A change adds a new partition spec; files written before keep theirs. Default: the table’s current partitioning (none for a new table).',
  );

const SchemaPolicySchema = oneOf(SCHEMA_POLICIES).describe(
  'When the source’s columns differ from the table’s: `evolve` adds new columns and widens int→long, float→double and decimal precision; `freeze` fails the table on any difference; `discard_columns` drops new columns and writes NULL for missing ones. A narrowing or incompatible type change always fails. Default: `evolve`.',
);

const SoftDeleteSchema = z
  .boolean()
  .describe(
    'For merge: keep deleted rows, setting their `_sluice_deleted_at` column to the time of the merge, instead of removing them. Default: false.',
  );

const ReconcileDeletesSchema = z
  .boolean()
  .describe(
    'For cursor-based incremental syncs: also read every primary key of the source table in the read’s snapshot, and delete from the destination the rows whose key the source no longer has (costs one read of all keys on both sides per run). Default: false.',
  );

const QuarantineSchema = strictObject({
  policy: z
    .enum(['warn', 'fail'])
    .describe(
      '`warn` (default): load the other rows and count the quarantined ones; `fail`: when more rows than `threshold` are quarantined, the table fails and nothing of it is committed.',
    ),
  threshold: z
    .union([
      z.number().int().nonnegative(),
      z.string().regex(/^\d+(\.\d+)?%$/, 'expected a count or a percentage such as 0.5%'),
    ])
    .optional()
    .describe(
      'Rows that may be quarantined: a count (e.g. `100`) or a percentage of the rows read (e.g. `"0.5%"`). Default: 0.',
    ),
}).describe('What rows that cannot be loaded (sent to `<table>__quarantine`) do to the table’s run.');

export const StreamOverrideSchema = strictObject({
  mode: ModeSchema.optional(),
  disposition: DispositionSchema.optional(),
  cursor: CursorSchema.optional(),
  primaryKey: PrimaryKeySchema.optional(),
  partitionBy: PartitionBySchema.optional(),
  schemaPolicy: SchemaPolicySchema.optional(),
  softDelete: SoftDeleteSchema.optional(),
  reconcileDeletes: ReconcileDeletesSchema.optional(),
  quarantine: QuarantineSchema.optional(),
}).describe('Settings for one table that differ from its sync’s.');

export const S3ConnectionSchema = strictObject({
  endpoint: z
    .string()
    .regex(/^https?:\/\/[^/@]+/, 'expected an http:// or https:// URL without credentials')
    .optional()
    .describe(
      'Endpoint of an S3-compatible server (MinIO, Ceph, R2…), e.g. `http://127.0.0.1:9000`. Absent for AWS S3.',
    ),
  region: z
    .string()
    .min(1)
    .optional()
    .describe('Signing region. Default: AWS_REGION or the AWS profile; `us-east-1` with a custom endpoint.'),
  forcePathStyle: z
    .boolean()
    .optional()
    .describe(
      'Address buckets as `<endpoint>/<bucket>/…`. Default: true with a custom endpoint, false for AWS.',
    ),
  accessKeyId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Access key id, e.g. `${S3_ACCESS_KEY_ID}`. Default: the AWS SDK credential chain (env, profile).',
    ),
  secretAccessKey: z
    .string()
    .min(1)
    .optional()
    .describe('Secret access key; write `${S3_SECRET_ACCESS_KEY}`, never the key itself. Never printed.'),
})
  .refine((s3) => (s3.accessKeyId === undefined) === (s3.secretAccessKey === undefined), {
    message: 'give both accessKeyId and secretAccessKey, or neither (then the AWS credential chain is used)',
  })
  .describe(
    'S3 settings of an `s3://` connection; the URL query (endpoint, region, path_style) wins over them.',
  );

export const ConnectionSchema = strictObject({
  url: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9+.-]*:/, 'expected a URL with a scheme, like postgres://… or lake:./lake')
    .describe(
      'Where the data lives: `postgres://user:${PASSWORD}@host:5432/db?schema=public`, `sqlite:<path>`, `lake:<dir>`, `lake:s3://bucket/prefix`, … Use ${VAR} for secrets.',
    ),
  s3: S3ConnectionSchema.optional(),
})
  .refine((connection) => connection.s3 === undefined || /^(lake:)?s3:\/\//i.test(connection.url), {
    path: ['s3'],
    message: 's3: applies only to s3:// connections such as lake:s3://bucket/prefix',
  })
  .describe('A source or destination that syncs refer to by name.');

export const SyncSchema = strictObject({
  name: nameSchema('sync')
    .optional()
    .describe('Name of the sync for `sluice sync <name>`. Default: `<from>-to-<to>`.'),
  from: z.string().min(1).describe('Name of the source connection.'),
  to: z.string().min(1).describe('Name of the destination connection.'),
  tables: z
    .union([z.literal('all'), z.array(z.string().min(1)).min(1)], {
      error: 'expected `all` or a list of tables such as [public.orders, customers]',
    })
    .default('all')
    .describe(
      '`all` tables of the source (its schema), or a list as `table` or `namespace.table`. Default: `all`.',
    ),
  mode: ModeSchema.default('full'),
  disposition: DispositionSchema.optional(),
  cursor: CursorSchema.optional().describe(
    'Cursor column for every incremental table of this sync (a stream can override it).',
  ),
  primaryKey: PrimaryKeySchema.optional(),
  partitionBy: PartitionBySchema.optional(),
  schemaPolicy: SchemaPolicySchema.optional(),
  softDelete: SoftDeleteSchema.optional(),
  reconcileDeletes: ReconcileDeletesSchema.optional(),
  quarantine: QuarantineSchema.optional(),
  streams: z
    .record(z.string().min(1), StreamOverrideSchema)
    .default({})
    .describe('Per-table overrides, keyed by `table` or `namespace.table`.'),
}).describe('Copies tables from one connection into another.');

export const ProjectFileSchema = strictObject({
  version: z
    .literal(1, { error: 'expected 1 (the only project file version so far)' })
    .describe('Project file format version: 1.'),
  control: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Control database for run history and stream state: `sqlite:<path>` (relative to this file) or `postgres://…` (`?schema=`, default `sluice`). Default: `sqlite:.sluice/control.db`.',
    ),
  connections: z
    .record(nameSchema('connection'), ConnectionSchema)
    .describe('Sources and destinations, by name.'),
  syncs: z.array(SyncSchema).default([]).describe('What to copy where.'),
})
  .superRefine(checkProjectRules)
  .meta({ title: 'Sluice project file (sluice.yml)' });

/** `sluice.yml` as written (optional fields may be missing). */
export type ProjectFileInput = z.input<typeof ProjectFileSchema>;
/** `sluice.yml` after validation, with schema defaults applied. */
export type ProjectFile = z.output<typeof ProjectFileSchema>;
export type SyncFile = z.output<typeof SyncSchema>;
export type ConnectionFile = z.output<typeof ConnectionSchema>;
export type StreamOverrideFile = z.output<typeof StreamOverrideSchema>;

/** The partition fields a `partitionBy:` value declares (a comma-separated string or a list). */
export function partitionFieldsOf(value: string | readonly string[]): PartitionFieldDecl[] {
  return typeof value === 'string' ? parsePartitionBy(value) : value.map(parsePartitionField);
}
