/**
 * Binlog positions as the MySQL capture commits them: `{ file, pos }` where `pos` is the end
 * offset of the last transaction applied — the offset where the next one starts, so streaming
 * resumes exactly there (rule 1 of `change-capture.ts`). The MariaDB GTID of that transaction is
 * carried for people reading `sluice cdc status`, never used for ordering: a GTID position with
 * several replication domains is only partially ordered, file/offset is total on one server.
 */
import { SluiceError } from '../../core/errors.js';
import type { LogPosition } from '../change-capture.js';

/** A binlog position taken apart. */
export interface BinlogPosition {
  /** Binlog file name, e.g. `mysql-bin.000003`. */
  file: string;
  /** Byte offset in that file where the next transaction starts. */
  pos: number;
  /** MariaDB GTID (`domain-server-sequence`) of the last transaction before `pos`, if known. */
  gtid?: string;
}

/** The LogPosition (JSON-serialisable) of a binlog position. */
export function binlogLogPosition(position: BinlogPosition): LogPosition {
  return position.gtid
    ? { file: position.file, pos: position.pos, gtid: position.gtid }
    : { file: position.file, pos: position.pos };
}

/** Reads a LogPosition this capture wrote; anything else is a LAKE_CORRUPT error naming it. */
export function parseBinlogPosition(position: LogPosition): BinlogPosition {
  const { file, pos, gtid } = position;
  if (typeof file !== 'string' || !/\.\d+$/.test(file) || typeof pos !== 'number' || !Number.isInteger(pos)) {
    throw new SluiceError('LAKE_CORRUPT', `not a MySQL binlog position: ${JSON.stringify(position)}`, {
      hint: 'the stored position was not written by the MySQL capture; re-snapshot with `sluice sync --mode cdc --resnapshot`',
    });
  }
  return typeof gtid === 'string' ? { file, pos, gtid } : { file, pos };
}

/** The sequence number of a binlog file (`mysql-bin.000012` → 12): files sort by it, not by name. */
export function binlogFileNumber(file: string): number {
  return Number(/\.(\d+)$/.exec(file)?.[1] ?? Number.NaN);
}

/** Total order of two positions on one server: by file sequence number, then offset. */
export function compareBinlogPositions(a: LogPosition, b: LogPosition): number {
  const x = parseBinlogPosition(a);
  const y = parseBinlogPosition(b);
  return binlogFileNumber(x.file) - binlogFileNumber(y.file) || x.pos - y.pos;
}
