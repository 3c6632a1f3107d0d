/**
 * Hints for the constraint failures both SQL destinations meet, so PostgreSQL's SQLSTATEs and
 * DuckDB's messages lead to the same advice.
 */

/** A unique or primary key violation while applying staged rows. */
export const DUPLICATE_KEY_HINT =
  'rows with the same primary key met: append adds rows, so it cannot re-add keys a keyed table holds (use --disposition merge or replace), and replace or merge needs a key that is unique in the source';

/** A NULL in a primary key column. */
export const NULL_KEY_HINT =
  'a key column holds NULL, which a primary key cannot: choose other key columns with --primary-key, or use --disposition append';
