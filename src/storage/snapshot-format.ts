// ZooKeeper's snapshot file format (FileSnap / SerializeUtils / DataTree.serialize), version 2:
//
//   FileHeader{int "ZKSN", int 2, long dbid -1}
//   int sessionCount, (long sessionId, int timeoutMs)*
//   int aclCount, (long index, vector<ACL>)*                       -- ReferenceCountedACLCache
//   (ustring path, buffer data, long aclIndex, StatPersisted)*     -- root as "", parents first
//   ustring "/"                                                    -- end of nodes
//   long adler32(all bytes so far), ustring "/"                    -- seal
//   [ZxidDigest{long zxid, int version, long digest}, long adler32, ustring "/"]  -- 3.6+, optional
//
// Serialization is fuzzy and incremental: `serializeSnapshot` yields chunks so the runtime can write
// each and let the event loop run between them while writes continue. Nodes created after the snapshot
// began are left out (their create txns are replayed from the log); a node whose ACL was replaced by a
// list newer than the written ACL map gets a listed index, which the replayed setACL txn corrects.
// Meerkat writes no digest section; it reads and verifies ZooKeeper's.

import { type Acl, JuteReader, JuteWriter, readAclList, readStatPersisted, writeAclList, writeStatPersisted } from '../proto/index.js';
import { type DataTree, openAclUnsafe } from '../tree/index.js';
import { Adler32 } from './adler32.js';
import { BadFileError } from './storage-errors.js';
import { checkFileHeader, encodeFileHeader, fileHeaderBytes, snapshotMagic } from './txn-log-format.js';

export interface SnapshotOptions {
  /** Sessions to record: id → timeout. */
  sessions: ReadonlyMap<bigint, number>;
  /** The zxid the snapshot is named after: everything up to it is in the tree when it starts. */
  zxid: number;
  /** Nodes per yielded chunk. */
  nodesPerChunk?: number;
}

/** Yields the snapshot file's bytes in chunks; reads the live tree between yields. */
export function* serializeSnapshot(tree: DataTree<unknown>, options: SnapshotOptions): Generator<Uint8Array> {
  const checksum = new Adler32();
  const out = new JuteWriter(1 << 16);
  const emit = (): Uint8Array => {
    const chunk = out.toBuffer();
    checksum.update(chunk);
    out.reset();
    return chunk;
  };
  out.raw(encodeFileHeader(snapshotMagic, -1n));
  out.int(options.sessions.size);
  for (const [id, timeout] of options.sessions) out.bigLong(id).int(timeout);
  const aclEntries = tree.aclCache.entries();
  const writtenAcls = new Set<number>();
  out.int(aclEntries.length);
  for (const [index, acl] of aclEntries) {
    out.long(index);
    writeAclList(out, acl);
    writtenAcls.add(index);
  }
  const fallbackAcl = aclEntries[0]?.[0] ?? 0;
  const perChunk = options.nodesPerChunk ?? 500;
  let count = 0;
  for (const [path, node] of tree.entries()) {
    if (node.czxid > options.zxid) continue;
    out.ustring(path === '/' ? '' : path).buffer(node.data);
    out.long(writtenAcls.has(node.aclIndex) ? node.aclIndex : fallbackAcl);
    writeStatPersisted(out, node);
    if (++count % perChunk === 0) yield emit();
  }
  out.ustring('/');
  yield emit();
  out.long(checksum.value).ustring('/');
  yield out.toBuffer();
}

export interface LoadedSnapshot {
  sessions: Map<bigint, number>;
  nodeCount: number;
}

/** Loads a snapshot file's contents into an empty `tree` (no system nodes). Checksums are verified. */
export function loadSnapshot(file: string, bytes: Uint8Array, tree: DataTree<unknown>): LoadedSnapshot {
  checkFileHeader(file, bytes, snapshotMagic);
  const reader = new JuteReader(bytes, fileHeaderBytes);
  try {
    const sessions = new Map<bigint, number>();
    const sessionCount = reader.int();
    for (let i = 0; i < sessionCount; i++) sessions.set(reader.bigLong(), reader.int());
    const aclCount = reader.int();
    const acls = new Map<number, Acl[]>();
    for (let i = 0; i < aclCount; i++) acls.set(reader.long(), readAclList(reader));
    for (const [index, acl] of acls) tree.aclCache.define(index, acl);
    let nodeCount = 0;
    for (let path = reader.string(); path !== '/'; path = reader.string()) {
      const data = reader.buffer() ?? new Uint8Array(0);
      const aclIndex = reader.long();
      const stat = readStatPersisted(reader);
      const nodePath = path === '' ? '/' : path;
      if (nodePath !== '/' && tree.getNode(nodePath.slice(0, Math.max(1, nodePath.lastIndexOf('/')))) === undefined) {
        throw new BadFileError(file, `node ${nodePath} appears before its parent`);
      }
      tree.insert(nodePath, { data: Buffer.from(data), acl: aclFor(file, aclIndex, acls), stat });
      nodeCount++;
    }
    verifySeal(file, bytes, reader);
    if (reader.remaining > 0) {
      reader.long();
      reader.int();
      reader.long();
      verifySeal(file, bytes, reader);
    }
    tree.aclCache.purgeUnused();
    return { sessions, nodeCount };
  } catch (error) {
    if (error instanceof BadFileError) throw error;
    throw new BadFileError(file, `unreadable snapshot at byte ${reader.position}: ${(error as Error).message}`);
  }
}

/** ZooKeeper writes -1 for the open ACL without interning it. */
function aclFor(file: string, index: number, acls: ReadonlyMap<number, Acl[]>): number | readonly Acl[] {
  if (index === -1) return openAclUnsafe;
  if (!acls.has(index)) throw new BadFileError(file, `node refers to ACL index ${index}, which the snapshot does not list`);
  return index;
}

function verifySeal(file: string, bytes: Uint8Array, reader: JuteReader): void {
  const expected = new Adler32().update(bytes, 0, reader.position).value;
  const stored = reader.long();
  if (reader.string() !== '/') throw new BadFileError(file, 'snapshot seal is missing its "/" marker');
  if (stored !== expected) throw new BadFileError(file, `snapshot checksum mismatch (stored ${stored}, computed ${expected})`);
}
