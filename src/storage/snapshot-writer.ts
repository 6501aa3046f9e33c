// Writing ZooKeeper's snapshot format (FileSnap.serialize, SerializeUtils.serializeSnapshot,
// DataTree.serialize, ReferenceCountedACLCache.serialize, ZooKeeper 3.6+), version 2:
//
//   FileHeader{int "ZKSN", int 2, long dbid -1}
//   int sessionCount, (long sessionId, int timeoutMs)*
//   int aclCount, (long index, vector<ACL>)*
//   (ustring path, buffer data, long aclIndex, StatPersisted)*     -- root as "", parents first
//   ustring "/"                                                    -- end of nodes
//   long adler32(every byte so far), ustring "/"                   -- seal
//   ZxidDigest{long zxid, int version 2, long digest}              -- 3.6+; older readers stop at the seal
//   long adler32(every byte so far), ustring "/"                   -- second seal
//
// Fuzzy and incremental: `serializeSnapshot` yields chunks, and the caller writes each and lets the
// event loop run before asking for the next, while txns keep being applied to the tree. Replay of
// the log from the snapshot's zxid + 1 repairs what moved meanwhile (txns are idempotent):
// - nodes created after the snapshot began are left out (their creates are replayed);
// - a node whose ACL changed to a list interned after the ACL map was written gets a listed index,
//   which the replayed setACL corrects;
// - the digest section records the tree's zxid and digest at the moment the last node was written
//   (as ZooKeeper records lastProcessedZxidDigest); recovery compares when replay reaches that zxid.

import { type Acl, JuteWriter, type NodeData, type StatPersisted, writeAclList, writeStatPersisted } from '../proto/index.js';
import { Adler32 } from './adler32.js';
import { snapshotFileName, snapshotTempFileName } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';
import { encodeFileHeader, snapshotDbid, snapshotMagic } from './txn-log-format.js';

/** ZooKeeper's DigestCalculator version; a digest of another version is not compared. */
export const digestVersion = 2;

/** A node as a snapshot needs it. DataTree's znodes have this shape. */
export interface SnapshotNode extends StatPersisted {
  /** Null data is written as length -1, as ZooKeeper's DataNode.serialize writes it. */
  readonly data: NodeData;
  readonly aclIndex: number;
}

/** What a snapshot is written from. DataTree satisfies it. */
export interface SnapshotSource {
  readonly lastProcessedZxid: number;
  readonly aclCache: { entries(): Array<[number, Acl[]]> };
  /**
   * Every node, parents before children, through one object that `next()` moves to the next node (the
   * walk must tolerate changes between chunks).
   */
  nodeCursor(): SnapshotNode & { readonly path: string; next(): boolean };
  /** ZooKeeper's tree digest (DigestCalculator version 2). */
  digest(): bigint;
}

export interface SnapshotOptions {
  /** Sessions to record: id → timeout in ms. */
  sessions: ReadonlyMap<bigint, number>;
  /** The zxid the snapshot is named after: everything up to it is in the tree when it starts. */
  zxid: number;
  /** Nodes per yielded chunk (default 500: a chunk takes well under a millisecond to make). */
  nodesPerChunk?: number;
  /** Write the 3.6+ digest section (default true). */
  withDigest?: boolean;
  /**
   * Only the body, as a SNAP carries it on the quorum stream (ZooKeeper's
   * SerializeUtils.serializeSnapshot): sessions, ACLs and nodes through the "/" marker, with no file
   * header, seal or digest. `snapshotFileFromBody` makes a file of it.
   */
  bodyOnly?: boolean;
}

/** Yields the snapshot file's bytes in chunks; reads the live tree between yields. */
export function* serializeSnapshot(tree: SnapshotSource, options: SnapshotOptions): Generator<Uint8Array> {
  const checksum = new Adler32();
  const out = new JuteWriter(1 << 16);
  const emit = (): Uint8Array => {
    const chunk = out.toBuffer();
    checksum.update(chunk);
    out.reset();
    return chunk;
  };
  if (options.bodyOnly !== true) out.raw(encodeFileHeader(snapshotMagic, snapshotDbid));
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
  const fallbackAcl = aclEntries[0]?.[0] ?? -1;
  const perChunk = options.nodesPerChunk ?? 500;
  let count = 0;
  const node = tree.nodeCursor();
  while (node.next()) {
    if (node.czxid > options.zxid) continue;
    const path = node.path;
    out.ustring(path === '/' ? '' : path).buffer(node.data);
    out.long(writtenAcls.has(node.aclIndex) ? node.aclIndex : fallbackAcl);
    writeStatPersisted(out, node);
    if (++count % perChunk === 0) yield emit();
  }
  out.ustring('/');
  if (options.bodyOnly === true) {
    yield out.toBuffer();
    return;
  }
  // Taken in the same synchronous step as the last node: the zxid and digest describe one tree state.
  const digest = { zxid: tree.lastProcessedZxid, value: tree.digest() };
  const nodesEnd = emit();
  out.long(checksum.value).ustring('/');
  if (options.withDigest === false) {
    yield Buffer.concat([nodesEnd, out.toBuffer()]);
    return;
  }
  out.long(digest.zxid).int(digestVersion).bigLong(BigInt.asIntN(64, digest.value));
  const sealed = emit();
  out.long(checksum.value).ustring('/');
  yield Buffer.concat([nodesEnd, sealed, out.toBuffer()]);
}

/** A snapshot file (header, body, seal; no digest section) around a SNAP's body. */
export function snapshotFileFromBody(body: Uint8Array): Uint8Array {
  const header = encodeFileHeader(snapshotMagic, snapshotDbid);
  const checksum = new Adler32();
  checksum.update(header);
  checksum.update(body);
  const seal = new JuteWriter(16).long(checksum.value).ustring('/').toBuffer();
  return Buffer.concat([header, body, seal]);
}

export interface WriteSnapshotOptions extends SnapshotOptions {
  fs: FileSystem;
  /** The version-2 directory snapshots go in. */
  dir: string;
  /** Awaited between chunks; the runtime passes a macrotask yield (setImmediate) so I/O and timers run. */
  pause?: () => Promise<void>;
}

/**
 * Writes `snapshot.<zxid>` durably: chunks into `.snapshot.<zxid>.tmp`, fsync, rename, directory
 * fsync, so a crash leaves either no snapshot or a complete one (recovery removes a leftover temp
 * file). Returns the path and its size.
 */
export async function writeSnapshotFile(tree: SnapshotSource, options: WriteSnapshotOptions): Promise<{ path: string; bytes: number }> {
  return writeSnapshotChunks(serializeSnapshot(tree, options), options);
}

/** Writes a snapshot file made elsewhere (a SNAP's, or one serialized already) durably, as writeSnapshotFile. */
export async function writeSnapshotChunks(
  chunks: Iterable<Uint8Array>,
  options: { fs: FileSystem; dir: string; zxid: number; pause?: () => Promise<void> },
): Promise<{ path: string; bytes: number }> {
  const { fs, dir } = options;
  const path = joinPath(dir, snapshotFileName(options.zxid));
  const tempPath = joinPath(dir, snapshotTempFileName(options.zxid));
  const file = await fs.open(tempPath);
  let position = 0;
  try {
    await file.truncate(0);
    for (const chunk of chunks) {
      await file.write(chunk, position);
      position += chunk.length;
      await options.pause?.();
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tempPath, path);
  await fs.syncDirectory(dir);
  return { path, bytes: position };
}
