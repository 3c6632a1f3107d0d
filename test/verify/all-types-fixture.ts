/**
 * Test fixture: one PostgreSQL table with a column of every canonical type and rows full of
 * edge cases (NULL vs empty, escapes, unicode, extremes, infinities, negative timestamps).
 * Rows with id ≥ 100 hold values SQLite cannot store: NaN becomes NULL, a REAL column keeps
 * -0.0 as 0, and infinite timestamps have no SQLite spelling.
 */
import type { CanonicalColumn, CanonicalType } from '../../src/core/canonical-types.js';

function column(name: string, type: CanonicalType, sourceType: string): CanonicalColumn {
  return { name, type, sourceType, nullable: name !== 'id' };
}

export const ALL_TYPES_COLUMNS: CanonicalColumn[] = [
  column('id', { kind: 'int64' }, 'bigint'),
  column('flag', { kind: 'boolean' }, 'boolean'),
  column('qty', { kind: 'int32' }, 'integer'),
  column('big', { kind: 'int64' }, 'bigint'),
  column('price', { kind: 'decimal', precision: 12, scale: 2 }, 'numeric(12,2)'),
  column('amount', { kind: 'decimal', precision: 38, scale: 9 }, 'numeric(38,9)'),
  column('ratio', { kind: 'float32' }, 'real'),
  column('score', { kind: 'float64' }, 'double precision'),
  column('name', { kind: 'string' }, 'text'),
  column('Padded Code', { kind: 'string' }, 'character(6)'),
  column('payload', { kind: 'binary' }, 'bytea'),
  column('day', { kind: 'date' }, 'date'),
  column('at_time', { kind: 'time' }, 'time without time zone'),
  column('local_ts', { kind: 'timestamp' }, 'timestamp without time zone'),
  column('instant', { kind: 'timestamptz' }, 'timestamp with time zone'),
  column('ref', { kind: 'uuid' }, 'uuid'),
  column('attrs', { kind: 'json' }, 'jsonb'),
];

export const ALL_TYPES_DDL = `
CREATE TABLE public.all_types (
  id bigint PRIMARY KEY, flag boolean, qty integer, big bigint, price numeric(12,2), amount numeric(38,9),
  ratio real, score double precision, name text, "Padded Code" character(6), payload bytea, day date,
  at_time time, local_ts timestamp, instant timestamptz, ref uuid, attrs jsonb
);
CREATE VIEW public.sqlite_comparable AS SELECT * FROM public.all_types WHERE id < 100;
`;

export const ALL_TYPES_ROWS = `
INSERT INTO public.all_types VALUES
 (1, true, 42, 1234567890123, 19.99, 1.5, 0.1, 0.1, 'Plain name', 'ab', '\\x0102', '2024-02-29', '12:34:56.789',
  '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789012+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1, "a": [true, null]}'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, false, 0, 0, 0, 0, 0, 0, '', '', '\\x', '1970-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
  '00000000-0000-0000-0000-000000000000', '{}'),
 (4, true, -2147483648, 9223372036854775807, 9999999999.99, 99999999999999999999999999999.999999999, 3.4028235e38,
  1.7976931348623157e308, E'back\\\\slash\\ttab\\nnewline "double" ''single''', 'x"y''z', '\\x00ff5c09', '0001-01-01',
  '23:59:59.999999', '1969-12-31 23:59:59.999999', '1900-01-01 00:00:00.000001+00', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{"emoji": "🦆", "quote": "\\"", "nested": {"k": [1.5, -2e-7]}}'),
 (5, false, 2147483647, -9223372036854775808, -0.01, -0.000000001, -1e-45, -5e-324, 'Zoë — 日本語 🦆 e\u0301', 'ñ',
  '\\x5c4e', '1969-12-31', '00:00:00.000001', '0001-01-01 00:00:00', '1969-12-31 23:59:59.999999-08',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '[]'),
 (6, true, 7, -1, -9999999999.99, 12345678901234567890.123456789, 16777216, 1e15, E'\\\\N', '\\N', '\\x5c', '9999-12-31',
  '12:00:00', '2262-04-11 23:47:16.854775', '2999-12-31 23:59:59.999999+05:30', NULL, '"just a string"'),
 (7, false, -7, 1, 0.5, 0.5, 1e-10, 1e16, 'NULL', 'null', NULL, '2000-03-01', '24:00:00', '1600-02-29 01:02:03',
  '1066-10-14 09:00:00+00', NULL, 'null'),
 (8, true, 1, 2, 123.4, 7, 123456.79, 123456789012345678, ' leading and trailing ', ' ', '\\x20', '1999-12-31',
  '13:14:15', '2000-01-01 00:00:00.5', '2000-01-01 00:00:00.5+00', NULL, '{"a": "\\u00e9"}'),
 (9, false, 3, 3, 1.1, 1.1, 0.3, 0.30000000000000004, E'tab\\tin\\tmiddle', 'tab', NULL, '2020-01-01', '01:00:00',
  '1969-07-20 20:17:40', '1969-07-20 20:17:40+00', NULL, NULL),
 (102, true, 4, 4, 2.2, 2.2, '-0', '-0', 'minus zero', 'mz', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (100, true, 5, 5, 3.3, 3.3, 'NaN', 'NaN', 'not a number', 'nan', NULL, 'infinity', NULL, 'infinity', '-infinity', NULL, NULL),
 (101, false, 6, 6, 4.4, 4.4, 'Infinity', '-Infinity', 'infinities', 'inf', NULL, '-infinity', NULL, '-infinity', 'infinity',
  NULL, NULL);
`;
