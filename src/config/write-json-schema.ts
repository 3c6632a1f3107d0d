/**
 * Generates `schema/sluice.schema.json` from the zod schema, for editors (yaml-language-server)
 * and docs. Run `npm run schema` after changing `project-schema.ts`; a test fails while the
 * checked-in file is out of date.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ProjectFileSchema } from './project-schema.js';

export const JSON_SCHEMA_PATH = fileURLToPath(new URL('../../schema/sluice.schema.json', import.meta.url));

/** The JSON Schema text of `sluice.yml`, as checked in. */
export function projectJsonSchemaText(): string {
  // The file as written (io: 'input'): fields with defaults are optional.
  return `${JSON.stringify(z.toJSONSchema(ProjectFileSchema, { io: 'input' }), null, 2)}\n`;
}

/** Writes the JSON Schema to `path`. */
export async function writeJsonSchema(path: string = JSON_SCHEMA_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, projectJsonSchemaText());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeJsonSchema();
  console.log(`wrote ${JSON_SCHEMA_PATH}`);
}
