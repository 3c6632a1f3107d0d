import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { it } from 'vitest';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { installFileUrlFetch } from './file-url-fetch.js';
import { ALL_TYPES, rowsBetween, stageChunk } from './lake-fixtures.js';

it('smoke', async () => {
  const restore = installFileUrlFetch();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice lake #'));
  const dest = new LakeDestination(root);
  await dest.check();
  const w = await dest.openStream({ namespace: 'shop', name: 'all types', columns: ALL_TYPES, primaryKey: ['id'], disposition: 'append', runId: 'r1' });
  await w.write(await stageChunk(root, 0, rowsBetween(1, 10)));
  console.log(await w.commit({ cursor: 1 }));
  await dest.close();
  const rows = await icebergRead({ tableUrl: new URL('shop/all%20types', `file://${root.replaceAll(' ', '%20').replaceAll('#', '%23')}/`).href });
  console.log(rows.slice(0, 8));
  console.log((await queryLake(root, 'SELECT * FROM shop."all types" ORDER BY id LIMIT 8')).rows);
  restore();
});
