import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { selectStreams } from '../../src/sync/select-streams.js';

const stream = (namespace: string, name: string): StreamSchema => ({
  namespace,
  name,
  columns: [],
  primaryKey: [],
  rowEstimate: null,
});
const available = [stream('public', 'orders'), stream('public', 'Album'), stream('sales', 'orders')];

describe('selectStreams', () => {
  it('returns everything for all, and picks by qualified or case-insensitive name', () => {
    expect(selectStreams(available, 'all')).toHaveLength(3);
    expect(
      selectStreams(available, ['sales.orders', 'album']).map((s) => `${s.namespace}.${s.name}`),
    ).toEqual(['sales.orders', 'public.Album']);
  });

  it('rejects an ambiguous name with the candidates', () => {
    try {
      selectStreams(available, ['orders']);
      expect.unreachable();
    } catch (error) {
      expect(isSluiceError(error, 'USAGE')).toBe(true);
      expect((error as Error & { hint: string }).hint).toContain('public.orders, sales.orders');
    }
  });

  it('rejects an unknown table and lists what exists', () => {
    try {
      selectStreams(available, ['ordres']);
      expect.unreachable();
    } catch (error) {
      expect(isSluiceError(error, 'SOURCE_NOT_FOUND')).toBe(true);
      expect((error as Error).message).toContain('ordres');
      expect((error as Error & { hint: string }).hint).toContain('public.Album');
    }
  });
});
