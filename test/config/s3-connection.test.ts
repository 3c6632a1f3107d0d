/** The `s3:` block of a connection: validated, passed to the lake, never printed. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectLake, projectSyncRequests } from '../../src/cli/project-syncs.js';
import { parseProject } from '../../src/config/load-project.js';
import type { SluiceError } from '../../src/core/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-s3-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = { S3_KEY: 'AKIAEXAMPLE', S3_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

const PROJECT = `
version: 1
connections:
  shop: { url: "sqlite:shop.db" }
  lake:
    url: "lake:s3://my-lake/warehouse?region=eu-west-1"
    s3:
      endpoint: http://127.0.0.1:9000
      forcePathStyle: true
      accessKeyId: \${S3_KEY}
      secretAccessKey: \${S3_SECRET}
syncs:
  - { from: shop, to: lake }
`;

function problem(text: string): SluiceError {
  try {
    parseProject(text, join(dir, 'sluice.yml'), ENV);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG' });
    return error as SluiceError;
  }
  throw new Error('expected a CONFIG error');
}

describe('connections.<name>.s3', () => {
  it('reads the settings with secrets from the environment and never prints the secret', () => {
    const project = parseProject(PROJECT, join(dir, 'sluice.yml'), ENV);
    expect(project.connections.lake!.s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: ENV.S3_SECRET,
    });
    for (const printed of [JSON.stringify(project), inspect(project, { depth: 10 })]) {
      expect(printed).not.toContain(ENV.S3_SECRET);
      expect(printed).toContain('http://127.0.0.1:9000');
    }
  });

  it('hands the settings to syncs writing to the connection and to lake commands', async () => {
    const file = join(dir, 'sluice.yml');
    await writeFile(file, PROJECT.replaceAll('${S3_KEY}', 'AKIAEXAMPLE').replaceAll('${S3_SECRET}', 'shh'));
    const [request] = await projectSyncRequests(file, undefined, undefined);
    expect(request).toMatchObject({
      to: 'lake:s3://my-lake/warehouse?region=eu-west-1',
      destinationSettings: { s3: { endpoint: 'http://127.0.0.1:9000', secretAccessKey: 'shh' } },
    });
    expect(await projectLake(file)).toMatchObject({
      url: 'lake:s3://my-lake/warehouse?region=eu-west-1',
      s3: { accessKeyId: 'AKIAEXAMPLE' },
    });
  });

  it('needs both keys or neither, an http(s) endpoint, and an s3:// URL', () => {
    expect(problem(PROJECT.replace(/ {6}secretAccessKey.*\n/, '')).message).toMatch(
      /give both accessKeyId and secretAccessKey, or neither/,
    );
    expect(problem(PROJECT.replace('http://127.0.0.1:9000', 'ftp://host')).message).toMatch(
      /connections\.lake\.s3\.endpoint/,
    );
    expect(
      problem(PROJECT.replace('lake:s3://my-lake/warehouse?region=eu-west-1', 'lake:./lake')).message,
    ).toMatch(/connections\.lake\.s3: s3: applies only to s3:\/\/ connections/);
    expect(problem(PROJECT.replace('forcePathStyle', 'forcePathStyel')).message).toMatch(
      /did you mean "forcePathStyle"/,
    );
  });
});
