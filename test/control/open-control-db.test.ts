import { describe, expect, it } from 'vitest';
import { openControlDb } from '../../src/control/open-control-db.js';
import { newId } from '../../src/control/ids.js';
import { splitStatements, toSqlitePlaceholders } from '../../src/control/sql-text.js';

describe('openControlDb', () => {
  it('refuses an unknown URL scheme without printing its password', async () => {
    const error = await openControlDb('mysql://root:pw@host/db').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('mysql://root:***@host/db'),
    });
    expect((error as { hint: string }).hint).toMatch(/sqlite:<path>.*postgres:\/\//);
  });
});

describe('SQL text', () => {
  it('rewrites $n to ?n outside quotes and comments', () => {
    expect(toSqlitePlaceholders(`SELECT $1, '$2', "$3", $10 -- $4\nFROM t WHERE a = $2`)).toBe(
      `SELECT ?1, '$2', "$3", ?10 -- $4\nFROM t WHERE a = ?2`,
    );
  });

  it('splits a script on semicolons outside quotes and comments', () => {
    expect(
      splitStatements(
        `-- a; comment\nCREATE TABLE a (x TEXT DEFAULT ';');\n\nINSERT INTO a VALUES ('it''s;');\n-- end`,
      ),
    ).toEqual([`-- a; comment\nCREATE TABLE a (x TEXT DEFAULT ';')`, `INSERT INTO a VALUES ('it''s;')`]);
  });
});

describe('newId', () => {
  it('is prefixed, 26 Crockford characters, and sorts by time', () => {
    const early = newId('run', 1_700_000_000_000);
    const late = newId('run', 1_700_000_000_001);
    expect(early).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(early < late).toBe(true);
    expect(newId('run', 5)).not.toBe(newId('run', 5));
  });
});
