import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_PATH, projectJsonSchemaText } from '../../src/config/write-json-schema.js';

interface JsonSchemaNode {
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
}

/** Paths of properties without a description. */
function undescribed(node: JsonSchemaNode, path = ''): string[] {
  const found: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (!child.description) found.push(`${path}.${key}`);
    found.push(...undescribed(child, `${path}.${key}`));
  }
  if (node.items) found.push(...undescribed(node.items, `${path}[]`));
  if (typeof node.additionalProperties === 'object')
    found.push(...undescribed(node.additionalProperties, `${path}.*`));
  return found;
}

describe('schema/sluice.schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema`)', async () => {
    expect(await readFile(JSON_SCHEMA_PATH, 'utf8')).toBe(projectJsonSchemaText());
  });

  it('describes every field and rejects unknown keys', () => {
    const schema = JSON.parse(projectJsonSchemaText()) as JsonSchemaNode & { additionalProperties: boolean };
    expect(undescribed(schema)).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
  });
});
