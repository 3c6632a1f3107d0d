/**
 * Decodes pgoutput protocol version 1 messages (the payload of an XLogData message) into plain
 * objects, keeping every value as the server's text output: the walsender session runs with the
 * same settings as the COPY reader (replication-connection.ts), so that text already is the
 * stage dialect's canonical text. pg-logical-replication's parser turns values into JS values
 * (lossy for numeric, timestamps, int8) and hides unchanged TOAST values, so Sluice decodes the
 * few message kinds itself. Format: postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import { SluiceError } from '../../core/errors.js';

/** A column value of an unchanged TOAST datum: pgoutput sends a marker, not the value. */
export const UNCHANGED_TOAST = Symbol('unchanged-toast');

/** One tuple's values in relation column order: text, null, or the unchanged-TOAST marker. */
export type TupleValue = string | null | typeof UNCHANGED_TOAST;

/** A relation (table) as the log describes it; sent before its first change and after DDL. */
export interface RelationMessage {
  tag: 'relation';
  /** Table oid: the key changes refer to. */
  oid: number;
  /** Schema name. */
  namespace: string;
  /** Table name. */
  name: string;
  /** pg_class.relreplident: `d` default, `n` nothing, `f` full, `i` index. */
  replicaIdentity: string;
  /** Columns in tuple order. */
  columns: { name: string; typeOid: number; typeMod: number; isKey: boolean }[];
}

/** A decoded pgoutput message; the ones Sluice does not need are `other`. */
export type PgoutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: number; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: number }
  | RelationMessage
  | { tag: 'insert'; oid: number; tuple: TupleValue[] }
  | { tag: 'update'; oid: number; old: TupleValue[] | null; oldIsKey: boolean; tuple: TupleValue[] }
  | { tag: 'delete'; oid: number; old: TupleValue[]; oldIsKey: boolean }
  | { tag: 'truncate'; oids: number[] }
  | { tag: 'message'; lsn: bigint; transactional: boolean; prefix: string; content: string }
  | { tag: 'other'; code: string };

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  u8(): number {
    return this.buffer.readUInt8(this.offset++);
  }
  i16(): number {
    const v = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  i32(): number {
    const v = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  /** A pg timestamp (µs since 2000-01-01) as ms since the Unix epoch. */
  time(): number {
    const v = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return PG_EPOCH_MS + Number(v / 1000n);
  }
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    const text = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }
  bytes(length: number): Buffer {
    const v = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }
  tuple(): TupleValue[] {
    const count = this.i16();
    const values: TupleValue[] = new Array<TupleValue>(count);
    for (let i = 0; i < count; i++) {
      const kind = this.u8();
      if (kind === 0x74 /* t */) values[i] = this.bytes(this.i32()).toString('utf8');
      else if (kind === 0x6e /* n */) values[i] = null;
      else if (kind === 0x75 /* u */) values[i] = UNCHANGED_TOAST;
      else throw decodeError(`tuple value kind ${String.fromCharCode(kind)}`);
    }
    return values;
  }
}

/** Decodes one pgoutput message. */
export function decodePgoutput(payload: Buffer): PgoutputMessage {
  const r = new Reader(payload);
  const code = String.fromCharCode(r.u8());
  switch (code) {
    case 'B':
      return { tag: 'begin', finalLsn: r.u64(), commitTime: r.time(), xid: r.i32() };
    case 'C':
      r.u8(); // flags, unused
      return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.time() };
    case 'R': {
      const oid = r.i32();
      const namespace = r.cstring();
      const name = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const count = r.i16();
      const columns: RelationMessage['columns'] = [];
      for (let i = 0; i < count; i++) {
        const isKey = (r.u8() & 1) === 1;
        columns.push({ name: r.cstring(), typeOid: r.i32(), typeMod: r.i32(), isKey });
      }
      return { tag: 'relation', oid, namespace, name, replicaIdentity, columns };
    }
    case 'I': {
      const oid = r.i32();
      r.u8(); // 'N'
      return { tag: 'insert', oid, tuple: r.tuple() };
    }
    case 'U': {
      const oid = r.i32();
      let kind = String.fromCharCode(r.u8());
      let old: TupleValue[] | null = null;
      const oldIsKey = kind === 'K';
      if (kind === 'K' || kind === 'O') {
        old = r.tuple();
        kind = String.fromCharCode(r.u8());
      }
      if (kind !== 'N') throw decodeError(`update submessage ${kind}`);
      return { tag: 'update', oid, old, oldIsKey, tuple: r.tuple() };
    }
    case 'D': {
      const oid = r.i32();
      const kind = String.fromCharCode(r.u8());
      if (kind !== 'K' && kind !== 'O') throw decodeError(`delete submessage ${kind}`);
      return { tag: 'delete', oid, old: r.tuple(), oldIsKey: kind === 'K' };
    }
    case 'T': {
      const count = r.i32();
      r.u8(); // options: CASCADE / RESTART IDENTITY, irrelevant to the data
      const oids: number[] = [];
      for (let i = 0; i < count; i++) oids.push(r.i32());
      return { tag: 'truncate', oids };
    }
    case 'M': {
      const transactional = (r.u8() & 1) === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      const content = r.bytes(r.i32()).toString('utf8');
      return { tag: 'message', lsn, transactional, prefix, content };
    }
    default:
      return { tag: 'other', code };
  }
}

function decodeError(what: string): SluiceError {
  return new SluiceError('SOURCE_READ', `unexpected pgoutput data: ${what}`, {
    hint: 'this PostgreSQL sends a pgoutput format Sluice does not know; report it with the server version',
  });
}
