import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { SluiceError } from '../../src/core/errors.js';

const errorOf = (url: string) => {
  try {
    connectorForUrl(url);
  } catch (error) {
    return error as SluiceError;
  }
  throw new Error(`expected ${url} to be refused`);
};

describe('connectorForUrl', () => {
  it('makes PostgreSQL connectors with the schema from ?schema= (default public), without I/O', async () => {
    const a = connectorForUrl('postgres://u:pw@db.example:5433/shop');
    expect([a.type, a.namespace]).toEqual(['postgres', 'public']);
    const b = connectorForUrl('postgresql://u@db.example/shop?sslmode=disable&schema=sales');
    expect([b.type, b.namespace]).toEqual(['postgres', 'sales']);
    await Promise.all([a.close(), b.close()]);
  });

  it('makes SQLite connectors for sqlite:<path> in namespace main', async () => {
    const c = connectorForUrl('sqlite:./data/shop.db');
    expect([c.type, c.namespace]).toEqual(['sqlite', 'main']);
    // The path is resolved now, so the message of a later failure names the absolute file.
    const error = (await c.check().catch((e: unknown) => e)) as SluiceError;
    expect(error.message).toContain(path.resolve('data/shop.db'));
  });

  it("makes MySQL connectors for mysql:// and mariadb:// in the URL's database, without I/O", async () => {
    const a = connectorForUrl('mysql://u:pw@db.example:3307/shop');
    expect([a.type, a.namespace]).toEqual(['mysql', 'shop']);
    const b = connectorForUrl('mariadb://u@db.example/sales?parallelism=2&splitMinRows=10&ssl=false');
    expect([b.type, b.namespace]).toEqual(['mysql', 'sales']);
    await Promise.all([a.close(), b.close()]);
  });

  it.each([
    ['mysql://u:secret@h', /must be mysql:\/\/user:password@host:3306\/database/],
    ['mysql://u:secret@h/db?parallelism=0', /parallelism/],
    ['mysql://u:secret@h/db?schema=x', /unknown parameter schema/],
    ['mariadb://u:secret@h/db?ssl=maybe', /ssl must be true or false/],
  ])('%s is a USAGE error naming the problem, without the password', (url, message) => {
    const error = errorOf(url);
    expect(isSluiceError(error, 'USAGE'), String(error)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/mysql:\/\//);
    expect(`${error.message} ${error.hint}`).not.toContain('secret');
  });

  it('makes file connectors for file: and s3:// in namespace files, incremental by file, without I/O', async () => {
    const a = connectorForUrl('file:./orders.csv');
    expect([a.type, a.namespace, a.capabilities?.incrementalBy]).toEqual(['file', 'files', 'file']);
    const b = connectorForUrl('s3://bucket/exports/*.csv?endpoint=http://127.0.0.1:1&path_style=true');
    expect([b.type, b.namespace]).toEqual(['s3', 'files']);
    await Promise.all([a.close(), b.close()]);
  });

  it.each(['oracle://u:secret@h/db', 'shop.db', '', 'sqlite:', 'sqlite://x.db'])(
    '%j is a USAGE error listing the accepted forms, never echoing a password',
    (url) => {
      const error = errorOf(url);
      expect(isSluiceError(error, 'USAGE'), String(error)).toBe(true);
      expect(error.hint).toMatch(/sqlite:/);
      expect(`${error.message} ${error.hint}`).not.toContain('secret');
    },
  );

  it('a malformed PostgreSQL URL is a USAGE error without the password', () => {
    const error = errorOf('postgres://u:secret@[bad/db');
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('postgres://u:***@[bad/db');
    expect(error.hint).toMatch(/postgres:\/\//);
  });

  it('rejects an empty ?schema=', () => {
    expect(errorOf('postgres://u:secret@h/db?schema=').code).toBe('USAGE');
  });
});
