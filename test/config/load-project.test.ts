import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject, parseProject } from '../../src/config/load-project.js';
import { streamSettings } from '../../src/config/resolve-project.js';
import { SluiceError } from '../../src/core/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = { SHOP_PASSWORD: 'p@ss:w#rd"' };

const EXAMPLE = `
version: 1
connections:
  shop: { url: "postgres://app:\${SHOP_PASSWORD}@db.internal:5432/shop?schema=public" }
  lake: { url: "lake:./lake" }
syncs:
  - name: shop-to-lake
    from: shop
    to: lake
    tables: [public.orders, customers]
    mode: full
    streams:
      orders: { mode: incremental, cursor: updated_at, primaryKey: [id], disposition: merge }
      customers: { mode: incremental, cursor: id }
  - name: events
    from: shop
    to: lake
    mode: incremental
    cursor: updated_at
    disposition: merge
    streams:
      public.events: { mode: full }
`;

/** The CONFIG error `text` produces, asserting it is one. */
function problem(text: string, env: Record<string, string> = ENV): SluiceError {
  try {
    parseProject(text, join(dir, 'sluice.yml'), env);
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ code: 'CONFIG' });
    return error as SluiceError;
  }
  throw new Error('expected a CONFIG error');
}

const withSync = (sync: string) => `version: 1
connections:
  shop: { url: "sqlite:shop.db" }
  lake: { url: "lake:./lake" }
syncs:
  - ${sync}
`;

describe('loadProject: valid files', () => {
  it('loads the documented example with defaults applied and secrets substituted', async () => {
    const file = join(dir, 'sluice.yml');
    await writeFile(file, EXAMPLE);
    const project = await loadProject(dir, ENV);
    expect(project.path).toBe(file);
    expect(project.dir).toBe(dir);
    expect(project.control).toBe(`sqlite:${join(dir, '.sluice', 'control.db')}`);
    expect(project.connections.shop?.url).toBe(
      'postgres://app:p@ss:w#rd"@db.internal:5432/shop?schema=public',
    );
    expect(project.syncs).toEqual([
      {
        name: 'shop-to-lake',
        from: 'shop',
        to: 'lake',
        tables: ['public.orders', 'customers'],
        mode: 'full',
        disposition: 'replace',
        streams: {
          orders: { mode: 'incremental', cursor: 'updated_at', primaryKey: ['id'], disposition: 'merge' },
          // The default disposition follows the table's own mode (and cursor), not the sync's.
          customers: { mode: 'incremental', cursor: 'id', disposition: 'merge' },
        },
      },
      {
        name: 'events',
        from: 'shop',
        to: 'lake',
        tables: 'all',
        mode: 'incremental',
        cursor: 'updated_at',
        disposition: 'merge',
        // An explicit sync disposition is inherited.
        streams: { 'public.events': { mode: 'full', cursor: 'updated_at', disposition: 'merge' } },
      },
    ]);
  });

  it('gives each discovered table its settings', () => {
    const project = parseProject(EXAMPLE, join(dir, 'sluice.yml'), ENV);
    const [first, second] = project.syncs;
    expect(streamSettings(first!, 'public', 'orders')).toMatchObject({
      mode: 'incremental',
      disposition: 'merge',
    });
    expect(streamSettings(first!, 'sales', 'customers')).toMatchObject({ mode: 'incremental', cursor: 'id' });
    expect(streamSettings(first!, 'public', 'other')).toEqual({ mode: 'full', disposition: 'replace' });
    expect(streamSettings(second!, 'public', 'events')).toMatchObject({ mode: 'full' });
    expect(streamSettings(second!, 'audit', 'events')).toMatchObject({ mode: 'incremental' });
  });

  it('keeps an explicit control URL and resolves a relative sqlite path next to the file', () => {
    const file = join(dir, 'sub', 'sluice.yml');
    const base = 'connections: {}\nversion: 1\n';
    expect(parseProject(`${base}control: sqlite:state/c.db`, file).control).toBe(
      `sqlite:${join(dir, 'sub', 'state', 'c.db')}`,
    );
    expect(parseProject(`${base}control: postgres://u@h/db?schema=ops`, file).control).toBe(
      'postgres://u@h/db?schema=ops',
    );
    expect(parseProject(`${base}control: "sqlite::memory:"`, file).control).toBe('sqlite::memory:');
  });

  it('never shows a password when the project is printed', () => {
    const text = `${EXAMPLE}control: postgres://ops:\${SHOP_PASSWORD}@ctl/sluice\n`;
    const project = parseProject(text, join(dir, 'sluice.yml'), { SHOP_PASSWORD: 'hunter2' });
    for (const shown of [
      JSON.stringify(project),
      inspect(project, { depth: 10 }),
      JSON.stringify(project.connections),
    ]) {
      expect(shown).not.toContain('hunter2');
      expect(shown).toContain('app:***@db.internal');
    }
    expect(JSON.stringify(project)).toContain('ops:***@ctl');
  });
});

describe('loadProject: errors', () => {
  it('says how to start when there is no project file', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    await expect(loadProject(empty)).rejects.toMatchObject({
      code: 'CONFIG',
      message: `no sluice.yml in ${empty}`,
      hint: 'run `sluice init` or pass --config',
    });
  });

  it('points at line and column of a YAML syntax error without echoing the line', () => {
    const error = problem('version: 1\nconnections:\n  shop: { url: "postgres://app:hunter2@db/shop"\n');
    expect(error.message).toMatch(
      /sluice\.yml:4:1: Flow map in block collection must be sufficiently indented/,
    );
    expect(error.message).not.toContain('hunter2');
    expect(error.hint).toContain('YAML');
  });

  it('reports an empty file', () => {
    expect(problem('# nothing yet\n').hint).toContain('sluice init');
  });

  it('lists every schema problem as <path>: <message> in one error', () => {
    const error = problem(`version: 2
connections:
  shop: { url: "sqlite:x.db", passwrd: x }
  "bad name": { url: "lake:./lake" }
syncs:
  - from: shop
    tabels: all
    mode: ful
`);
    expect(error.message).toContain('has 6 problems');
    expect(error.message).toContain('version: expected 1');
    expect(error.message).toMatch(/connections\.shop: unknown key "passwrd"\n/);
    expect(error.message).toContain('connections["bad name"]: connection names start with a letter');
    expect(error.message).toContain('syncs[0].to: required');
    expect(error.message).toContain(
      'syncs[0].mode: expected one of full, incremental, cdc (did you mean "full"?)',
    );
    expect(error.message).toContain('syncs[0]: unknown key "tabels" (did you mean "tables"?)');
    expect(error.hint).toContain('schema/sluice.schema.json');
  });

  it('suggests the closest option for a misspelt mode', () => {
    expect(problem(withSync('{ from: shop, to: lake, mode: incremetal, cursor: id }')).message).toContain(
      'syncs[0].mode: expected one of full, incremental, cdc (did you mean "incremental"?)',
    );
  });

  it('requires from/to to name defined connections', () => {
    const { message } = problem(withSync('{ from: shopp, to: warehouse }'));
    expect(message).toContain('syncs[0].from: no connection named "shopp" (did you mean "shop"?)');
    expect(message).toContain(
      'syncs[0].to: no connection named "warehouse"; define it under connections: or use one of: shop, lake',
    );
  });

  it('requires a cursor for incremental mode, on the sync or per table', () => {
    expect(problem(withSync('{ from: shop, to: lake, mode: incremental }')).message).toContain(
      'syncs[0].cursor: incremental mode needs a cursor column (missing for every table): set cursor: on the sync or per table under streams:',
    );
    expect(
      problem(
        withSync(
          '{ from: shop, to: lake, tables: [a, b], mode: incremental, streams: { a: { cursor: id } } }',
        ),
      ).message,
    ).toContain('(missing for b)');
    expect(
      problem(withSync('{ from: shop, to: lake, streams: { orders: { mode: incremental } } }')).message,
    ).toContain(
      'syncs[0].streams.orders.cursor: incremental mode needs a cursor column: set cursor: here or on the sync',
    );
  });

  it('accepts merge without a primary key (taken from the source at run time)', () => {
    const project = parseProject(
      withSync('{ from: shop, to: lake, disposition: merge }'),
      join(dir, 'x.yml'),
    );
    expect(project.syncs[0]).toMatchObject({ disposition: 'merge' });
    expect(project.syncs[0]?.primaryKey).toBeUndefined();
  });

  it('refuses an override for a table the sync does not list', () => {
    expect(
      problem(withSync('{ from: shop, to: lake, tables: [orders], streams: { ordres: { mode: full } } }'))
        .message,
    ).toContain(
      `syncs[0].streams.ordres: "ordres" is not one of this sync's tables (did you mean "orders"?)`,
    );
  });

  it('refuses two syncs with the same name', () => {
    const text = withSync('{ from: shop, to: lake }\n  - { name: shop-to-lake, from: shop, to: lake }');
    expect(problem(text).message).toContain('syncs[1].name: syncs[0] is also named "shop-to-lake"');
  });
});
