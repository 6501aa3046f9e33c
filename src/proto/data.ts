// Records of org.apache.zookeeper.data: Id, ACL, Stat, StatPersisted (zookeeper.jute), and node data.

import type { JuteReader, JuteWriter } from './jute.js';

/**
 * Node data in a request, txn or reply: null is "no data" (a buffer of length -1 on the wire, as Java's
 * `create(path, null, ...)` and kazoo's `set(path, None)` send), which ZooKeeper keeps distinct from empty
 * data and gives back as null. A node with null data has dataLength 0.
 */
export type NodeData = Uint8Array | null;

export interface Id {
  scheme: string;
  id: string;
}

export interface Acl {
  perms: number;
  id: Id;
}

/** Stat as the client sees it. ephemeralOwner is a session id, so all 64 bits matter. */
export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

/** Stat as snapshots store it: no dataLength or numChildren, which are derived. */
export type StatPersisted = Omit<Stat, 'dataLength' | 'numChildren'>;

export function writeId(writer: JuteWriter, id: Id): void {
  writer.ustring(id.scheme).ustring(id.id);
}

export function readId(reader: JuteReader): Id {
  return { scheme: reader.string(), id: reader.string() };
}

export function writeAcl(writer: JuteWriter, acl: Acl): void {
  writer.int(acl.perms);
  writeId(writer, acl.id);
}

export function readAcl(reader: JuteReader): Acl {
  return { perms: reader.int(), id: readId(reader) };
}

export function writeAclList(writer: JuteWriter, acls: readonly Acl[] | null): void {
  writer.vector(acls, writeAcl);
}

export function readAclList(reader: JuteReader): Acl[] {
  return reader.vector(readAcl) ?? [];
}

export function writeStat(writer: JuteWriter, stat: Stat): void {
  writer.long(stat.czxid).long(stat.mzxid).long(stat.ctime).long(stat.mtime);
  writer.int(stat.version).int(stat.cversion).int(stat.aversion);
  writer.bigLong(stat.ephemeralOwner).int(stat.dataLength).int(stat.numChildren).long(stat.pzxid);
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.long(),
    mzxid: reader.long(),
    ctime: reader.long(),
    mtime: reader.long(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.bigLong(),
    dataLength: reader.int(),
    numChildren: reader.int(),
    pzxid: reader.long(),
  };
}

export function writeStatPersisted(writer: JuteWriter, stat: StatPersisted): void {
  writer.long(stat.czxid).long(stat.mzxid).long(stat.ctime).long(stat.mtime);
  writer.int(stat.version).int(stat.cversion).int(stat.aversion);
  writer.bigLong(stat.ephemeralOwner).long(stat.pzxid);
}

export function readStatPersisted(reader: JuteReader): StatPersisted {
  return {
    czxid: reader.long(),
    mzxid: reader.long(),
    ctime: reader.long(),
    mtime: reader.long(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.bigLong(),
    pzxid: reader.long(),
  };
}

/** The empty stat ZooKeeper sends where a record needs one but no node exists. */
export function emptyStat(): Stat {
  return {
    czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
    ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 0,
  };
}
