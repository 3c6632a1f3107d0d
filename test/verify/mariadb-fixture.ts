/**
 * The MariaDB table the verify tests sync into a lake and then change: one column of every
 * type family the MySQL connector maps (`mysql-types.ts`), with the values that tempt phantom
 * differences — tinyint(1) beyond 0/1, bit(1/10/64), unsigned bigint at its top,
 * decimal(38,10) and decimal(65,30), float and double, year, datetime(6) with microseconds,
 * timestamp(3), time as a duration, enum with a comma, JSON, NULL beside '' — and the exact
 * changes a verify must find.
 */
import type { TestMariaDb } from '../helpers/mariadb.js';

export const EVERY_TYPE_DDL = `
  CREATE TABLE every_type (
    id int PRIMARY KEY, c_tinyint1 tinyint(1), c_tinyint_u tinyint unsigned, c_int_u int unsigned,
    c_int_zf int(6) zerofill, c_bigint bigint, c_bigint_u bigint unsigned, c_dec decimal(38,10),
    c_dec65 decimal(65,30), c_float float, c_double double, c_bit1 bit(1), c_bit10 bit(10),
    c_bit64 bit(64), c_year year, c_date date, c_datetime datetime(6), c_timestamp timestamp(3) NULL,
    c_time time(6), c_enum enum('a','b,c',''), c_json json, c_char char(5), c_varchar varchar(40),
    c_blob blob, c_uuid uuid);`;

/** Fills `every_type` with ids 1…rows; every value derives from the id. */
export function everyTypeInsertSql(rows: number): string {
  return `INSERT INTO every_type
    SELECT s, s % 3 - 1, s % 256, 4294967295 - s, s, s * 1000003 - 9223372036854775807,
           18446744073709551615 - s, s / 7, s / 3, s / 9e0, s / 11e0, s % 2, s % 1024, s * 99991,
           1901 + s % 255, DATE '2000-01-01' + INTERVAL s DAY,
           TIMESTAMP '2021-03-04 05:06:07.123456' + INTERVAL s * 1000001 MICROSECOND,
           TIMESTAMP '2021-03-04 05:06:07.123' + INTERVAL s SECOND, SEC_TO_TIME(s % 80000 * 37),
           ELT(s % 3 + 1, 'a', 'b,c', ''), JSON_OBJECT('n', s, 's', CONCAT('x', s)),
           IF(s % 4 = 0, NULL, IF(s % 4 = 1, '', CONCAT('c', s % 100))),
           CONCAT('say "', s, '", then\\\\ go\\t'), UNHEX(HEX(s)),
           CONCAT('123e4567-e89b-12d3-a456-', LPAD(HEX(s), 12, '0'))
    FROM (SELECT CAST(seq AS SIGNED) AS s FROM seq_1_to_${rows}) AS ids;`;
}

/** The planted differences, as SQL run on the MariaDB side, and what verify must report. */
export const MARIADB_PLANTED = {
  sql: `
    DELETE FROM every_type WHERE id = 100;
    INSERT INTO every_type (id, c_varchar) VALUES (900001, 'new');
    UPDATE every_type SET c_datetime = c_datetime + INTERVAL 1 MICROSECOND WHERE id = 1200;
    UPDATE every_type SET c_dec = c_dec + 0.0000000001 WHERE id = 1500;
    UPDATE every_type SET c_dec65 = c_dec65 + 0.000000000000000000000000000001 WHERE id = 1700;
    UPDATE every_type SET c_char = '' WHERE id = 1800;
    UPDATE every_type SET c_tinyint1 = 2, c_bit1 = b'1' WHERE id = 2000;
    UPDATE every_type SET c_bigint_u = c_bigint_u + 1 WHERE id = 2400;`,
  /** Rows in the source only (after the changes), as verify names them from MariaDB's side. */
  missing: ['900001'],
  /** Rows in the lake only. */
  extra: ['100'],
  changed: [
    { key: '1200', columns: ['c_datetime'] },
    { key: '1500', columns: ['c_dec'] },
    { key: '1700', columns: ['c_dec65'] },
    { key: '1800', columns: ['c_char'] },
    { key: '2000', columns: ['c_tinyint1', 'c_bit1'] },
    { key: '2400', columns: ['c_bigint_u'] },
  ],
};

/** Creates and fills `every_type` in a test database. */
export async function createEveryType(db: TestMariaDb, rows: number): Promise<void> {
  await db.sql(EVERY_TYPE_DDL + everyTypeInsertSql(rows));
}
