// Transaction records of org.apache.zookeeper.txn (zookeeper.jute): what the leader's prep stage
// produces, what the log stores and what every replica applies. The `type` of each txn is the
// OpCode ZooKeeper writes in TxnHeader.type (create2 is logged as type 15 with a CreateTxn body).

import { OpCode } from './constants.js';
import { type Acl, type NodeData, readAclList, writeAclList } from './data.js';
import { JuteDecodeError, JuteReader, JuteWriter } from './jute.js';

export interface TxnHeader {
  /** The session that issued the request (clientId in ZooKeeper's record). */
  sessionId: bigint;
  /** The client's xid for the request (cxid). */
  cxid: number;
  zxid: number;
  /** Wall-clock milliseconds at the leader when the txn was made; becomes ctime/mtime. */
  time: number;
  type: number;
}

/** TxnDigest, written after the txn in log records by ZooKeeper 3.6+ when digests are enabled. */
export interface TxnDigest {
  version: number;
  treeDigest: bigint;
}

export interface CreateTxn {
  type: typeof OpCode.create | typeof OpCode.create2;
  path: string;
  data: NodeData;
  acl: Acl[];
  ephemeral: boolean;
  parentCVersion: number;
}

export interface CreateContainerTxn {
  type: typeof OpCode.createContainer;
  path: string;
  data: NodeData;
  acl: Acl[];
  parentCVersion: number;
}

export interface CreateTtlTxn {
  type: typeof OpCode.createTTL;
  path: string;
  data: NodeData;
  acl: Acl[];
  parentCVersion: number;
  ttl: number;
}

export interface DeleteTxn {
  type: typeof OpCode.delete | typeof OpCode.deleteContainer;
  path: string;
}

export interface SetDataTxn {
  type: typeof OpCode.setData;
  path: string;
  data: NodeData;
  /** The version the node has after this txn. */
  version: number;
}

export interface SetAclTxn {
  type: typeof OpCode.setACL;
  path: string;
  acl: Acl[];
  /** The aversion the node has after this txn. */
  version: number;
}

export interface CheckVersionTxn {
  type: typeof OpCode.check;
  path: string;
  version: number;
}

export interface MultiTxn {
  type: typeof OpCode.multi;
  txns: Txn[];
}

export interface CreateSessionTxn {
  type: typeof OpCode.createSession;
  timeOut: number;
}

export interface CloseSessionTxn {
  type: typeof OpCode.closeSession;
  /** Ephemerals to delete (ZooKeeper 3.6+); null when the record has no body (older logs). */
  paths2Delete: string[] | null;
}

export interface ErrorTxn {
  type: typeof OpCode.error;
  err: number;
}

export type Txn =
  | CreateTxn
  | CreateContainerTxn
  | CreateTtlTxn
  | DeleteTxn
  | SetDataTxn
  | SetAclTxn
  | CheckVersionTxn
  | MultiTxn
  | CreateSessionTxn
  | CloseSessionTxn
  | ErrorTxn;

export function writeTxnHeader(writer: JuteWriter, header: TxnHeader): void {
  writer.bigLong(header.sessionId).int(header.cxid).long(header.zxid).long(header.time).int(header.type);
}

export function readTxnHeader(reader: JuteReader): TxnHeader {
  return {
    sessionId: reader.bigLong(),
    cxid: reader.int(),
    zxid: reader.long(),
    time: reader.long(),
    type: reader.int(),
  };
}

export function writeTxnDigest(writer: JuteWriter, digest: TxnDigest): void {
  writer.int(digest.version).bigLong(digest.treeDigest);
}

export function readTxnDigest(reader: JuteReader): TxnDigest {
  return { version: reader.int(), treeDigest: reader.bigLong() };
}

/** Writes the body of a txn (not its header). */
export function writeTxn(writer: JuteWriter, txn: Txn): void {
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
      writer.ustring(txn.path).buffer(txn.data);
      writeAclList(writer, txn.acl);
      writer.bool(txn.ephemeral).int(txn.parentCVersion);
      return;
    case OpCode.createContainer:
      writer.ustring(txn.path).buffer(txn.data);
      writeAclList(writer, txn.acl);
      writer.int(txn.parentCVersion);
      return;
    case OpCode.createTTL:
      writer.ustring(txn.path).buffer(txn.data);
      writeAclList(writer, txn.acl);
      writer.int(txn.parentCVersion).long(txn.ttl);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
      writer.ustring(txn.path);
      return;
    case OpCode.setData:
      writer.ustring(txn.path).buffer(txn.data).int(txn.version);
      return;
    case OpCode.setACL:
      writer.ustring(txn.path);
      writeAclList(writer, txn.acl);
      writer.int(txn.version);
      return;
    case OpCode.check:
      writer.ustring(txn.path).int(txn.version);
      return;
    case OpCode.multi:
      writer.int(txn.txns.length);
      for (const sub of txn.txns) {
        writer.int(sub.type);
        const body = new JuteWriter(64);
        writeTxn(body, sub);
        writer.buffer(body.view());
      }
      return;
    case OpCode.createSession:
      writer.int(txn.timeOut);
      return;
    case OpCode.closeSession:
      if (txn.paths2Delete !== null) writer.stringVector(txn.paths2Delete);
      return;
    case OpCode.error:
      writer.int(txn.err);
      return;
  }
}

/**
 * Reads the body of a txn of the given type. `reader` must end where the body ends: a closeSession
 * body is optional (older ZooKeeper wrote none), so its presence is decided by the bytes left.
 */
export function readTxn(reader: JuteReader, type: number): Txn {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
      return {
        type,
        path: reader.string(),
        data: reader.buffer(),
        acl: readAclList(reader),
        ephemeral: reader.bool(),
        parentCVersion: reader.int(),
      };
    case OpCode.createContainer:
      return {
        type,
        path: reader.string(),
        data: reader.buffer(),
        acl: readAclList(reader),
        parentCVersion: reader.int(),
      };
    case OpCode.createTTL:
      return {
        type,
        path: reader.string(),
        data: reader.buffer(),
        acl: readAclList(reader),
        parentCVersion: reader.int(),
        ttl: reader.long(),
      };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type, path: reader.string() };
    case OpCode.setData:
      return { type, path: reader.string(), data: reader.buffer(), version: reader.int() };
    case OpCode.setACL:
      return { type, path: reader.string(), acl: readAclList(reader), version: reader.int() };
    case OpCode.check:
      return { type, path: reader.string(), version: reader.int() };
    case OpCode.multi: {
      const count = reader.int();
      if (count < 0 || count > reader.remaining) throw new JuteDecodeError(`bad multi txn count ${count}`);
      const txns: Txn[] = [];
      for (let i = 0; i < count; i++) {
        const subType = reader.int();
        // As in ZooKeeper, a multi holds no multi: nesting would recurse once per 12 bytes of a hostile record.
        if (subType === OpCode.multi) throw new JuteDecodeError('a multi txn inside a multi txn');
        const body = reader.buffer() ?? new Uint8Array(0);
        txns.push(readTxn(new JuteReader(body), subType));
      }
      return { type, txns };
    }
    case OpCode.createSession:
      return { type, timeOut: reader.int() };
    case OpCode.closeSession:
      return { type, paths2Delete: reader.remaining > 0 ? reader.stringVector() : null };
    case OpCode.error:
      return { type, err: reader.int() };
    default:
      throw new JuteDecodeError(`unknown txn type ${type}`);
  }
}

/** Serializes header + txn the way the log and quorum proposals carry them. */
export function encodeTxnRecord(header: TxnHeader, txn: Txn, writer = new JuteWriter(128)): Buffer {
  writer.reset();
  writeTxnHeader(writer, header);
  writeTxn(writer, txn);
  return writer.toBuffer();
}
