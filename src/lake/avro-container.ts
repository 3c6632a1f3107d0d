/**
 * Avro object container files in memory, through avsc. The encoder gets the raw schema JSON,
 * not a parsed Type, so attributes such as `field-id` survive into the file header (readers
 * map manifest fields by those ids); header metadata values are Buffers, as avsc requires.
 */
import avro from 'avsc';
import { SluiceError, messageOf } from '../core/errors.js';

/** An Avro schema as plain JSON. */
export type AvroSchemaJson = Record<string, unknown>;

/** Encodes records into one container file (deflate, like Iceberg's Java writer). */
export async function encodeAvroFile(
  schema: AvroSchemaJson,
  records: readonly object[],
  metadata: Record<string, string>,
): Promise<Buffer> {
  const options = {
    codec: 'deflate',
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value)])),
  };
  type EncoderArgs = ConstructorParameters<typeof avro.streams.BlockEncoder>;
  // avsc's typings omit `metadata`, which its BlockEncoder supports.
  const encoder = new avro.streams.BlockEncoder(
    schema as unknown as EncoderArgs[0],
    options as EncoderArgs[1],
  );
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', () => resolve(Buffer.concat(chunks)));
    encoder.on('error', reject);
    encoder.on('typeError', (error: unknown) =>
      reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  try {
    return await done;
  } catch (error) {
    throw new SluiceError('DESTINATION_WRITE', `cannot encode Avro: ${messageOf(error)}`, {
      cause: error,
      hint: 'a manifest value does not fit its Avro type; this is a bug in Sluice',
    });
  }
}

/** Decodes every record of a container file with the writer's schema from its header. */
export async function decodeAvroFile<T>(bytes: Buffer, url: string): Promise<T[]> {
  const decoder = new avro.streams.BlockDecoder();
  const records: T[] = [];
  const done = new Promise<T[]>((resolve, reject) => {
    decoder.on('data', (record: T) => records.push(record));
    decoder.on('end', () => resolve(records));
    decoder.on('error', reject);
  });
  decoder.end(bytes);
  try {
    return await done;
  } catch (error) {
    throw new SluiceError('LAKE_CORRUPT', `cannot read Avro file ${url}: ${messageOf(error)}`, {
      cause: error,
      hint: 'the manifest is damaged or was written with ids beyond 2^53; restore it from a backup',
    });
  }
}
