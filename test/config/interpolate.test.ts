import { describe, expect, it } from 'vitest';
import { interpolate } from '../../src/config/interpolate.js';
import { SluiceError } from '../../src/core/errors.js';

describe('interpolate', () => {
  it('substitutes ${VAR} and ${VAR:-default} in strings at any depth, leaving keys and non-strings', () => {
    const input = {
      connections: { shop: { url: 'postgres://app:${PW}@${HOST:-localhost}:${PORT:-5432}/shop' } },
      n: 1,
      flag: true,
      list: ['${PW}', null],
      '${PW}': 'key stays',
    };
    expect(interpolate(input, { PW: 'a:b#c"d}', PORT: '' })).toEqual({
      connections: { shop: { url: 'postgres://app:a:b#c"d}@localhost:5432/shop' } },
      n: 1,
      flag: true,
      list: ['a:b#c"d}', null],
      '${PW}': 'key stays',
    });
  });

  it('keeps a set-but-empty variable without a default empty', () => {
    expect(interpolate('x${EMPTY}y', { EMPTY: '' })).toBe('xy');
  });

  it('turns $${ into a literal ${ and leaves other dollars alone', () => {
    expect(interpolate('cost $5, $${NOT_A_VAR} and $$ and ${A}', { A: 'a' })).toBe(
      'cost $5, ${NOT_A_VAR} and $$ and a',
    );
  });

  it('names every unset variable and where it is used, with a hint to export it', () => {
    const input = {
      connections: { shop: { url: 'postgres://app:${SHOP_PASSWORD}@db/shop' } },
      syncs: [{ to: '${LAKE}' }],
    };
    let error: unknown;
    try {
      interpolate(input, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({
      code: 'CONFIG',
      message:
        'environment variables not set: SHOP_PASSWORD (used in connections.shop.url), LAKE (used in syncs[0].to)',
      hint: 'export SHOP_PASSWORD=… before running sluice, or write ${SHOP_PASSWORD:-default} in sluice.yml for a default',
    });
  });

  it('refuses a ${ that is not a valid reference', () => {
    expect(() => interpolate({ control: 'sqlite:${not valid}' }, {})).toThrow(
      /control: "\$\{" does not start/,
    );
    expect(() => interpolate({ control: 'x${UNCLOSED' }, { UNCLOSED: 'u' })).toThrow(SluiceError);
  });
});
