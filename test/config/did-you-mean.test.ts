import { describe, expect, it } from 'vitest';
import { closest, didYouMean, levenshtein } from '../../src/config/did-you-mean.js';

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(levenshtein('tabels', 'tables')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('suggests only close candidates, ignoring case', () => {
    expect(closest('Tabels', ['tables', 'mode'])).toBe('tables');
    expect(closest('primarykey', ['primaryKey', 'cursor'])).toBe('primaryKey');
    expect(closest('foo', ['tables', 'mode'])).toBeUndefined();
    expect(didYouMean('curser', ['cursor'])).toBe(' (did you mean "cursor"?)');
    expect(didYouMean(42, ['cursor'])).toBe('');
  });
});
