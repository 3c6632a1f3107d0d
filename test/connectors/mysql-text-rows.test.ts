/**
 * The MySQL/MariaDB reader parses text-protocol row packets itself (mysql-text-rows.ts): values
 * of every length prefix (1, 3 and 4 bytes), NULL next to the empty string, text that must be
 * quoted, and rows cut into chunks while the connection is paused and resumed, staged byte for
 * byte as the stage dialect writes them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import { fullPlan, readAll } from '../conformance/source-conformance.js';
import { createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

/** Lengths around each length-prefix boundary of the protocol (251: 0xfc, 65536: 0xfd). */
const LENGTHS = [0, 1, 250, 251, 252, 65535, 65536, 70000, 300000];

describe.skipIf(!up)('MySQL text-protocol rows', () => {
  let db: TestMariaDb;
  let stageRoot: string;

  beforeAll(async () => {
    db = await createTestMariaDb('text_rows');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-text-rows-'));
    await db.sql(`CREATE TABLE v (id int PRIMARY KEY, body longtext NULL, n decimal(10,2) NULL, at datetime(3) NULL);
      INSERT INTO v VALUES ${LENGTHS.map(
        (length, i) =>
          `(${i + 1}, CONCAT(REPEAT('a"b,c\\n', ${Math.floor(length / 6)}), REPEAT('z', ${length % 6})), ${i % 2 === 0 ? 'NULL' : `${i}.5`}, ${i % 3 === 0 ? 'NULL' : `'2024-02-29 12:00:0${i}.120'`})`,
      ).join(', ')}, (100, NULL, NULL, NULL), (101, '', -0.25, '0001-01-01 00:00:00');`);
  });

  afterAll(async () => {
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  const expectedRows = () => [
    ...LENGTHS.map((length, i) => [
      String(i + 1),
      'a"b,c\n'.repeat(Math.floor(length / 6)) + 'z'.repeat(length % 6),
      i % 2 === 0 ? null : `${i}.50`,
      i % 3 === 0 ? null : `2024-02-29 12:00:0${i}.12`,
    ]),
    ['100', null, null, null],
    ['101', '', '-0.25', '0001-01-01 00:00:00'],
  ];

  it.each([64 * 1024 * 1024, 100_000])(
    'stages every value exactly, whatever its length prefix (chunks of %i bytes)',
    async (chunkBytes) => {
      const connector = connectorForUrl(db.url);
      try {
        const schema = (await connector.discover()).find((s) => s.name === 'v')!;
        const dir = await mkdtemp(path.join(stageRoot, 'run-'));
        const chunks = await readAll(connector, fullPlan(schema, dir, chunkBytes));
        if (chunkBytes < 1_000_000) expect(chunks.length).toBeGreaterThan(2);
        const staged = Buffer.concat(await Promise.all(chunks.map((c) => readFile(c.path)))).toString();
        // The table has no ORDER BY: compare the rows as a set, each exactly as encoded.
        const lines = staged.length === 0 ? [] : splitRows(staged);
        expect(lines.sort()).toEqual(
          expectedRows()
            .map((row) => encodeStageRow(row))
            .sort(),
        );
        expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(LENGTHS.length + 2);
      } finally {
        await connector.close();
      }
    },
  );
});

/** Splits stage CSV into its rows (a newline ends a row only outside quotes), each with its newline. */
function splitRows(text: string): string[] {
  const rows: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === '\n' && !quoted) {
      rows.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  return rows;
}
