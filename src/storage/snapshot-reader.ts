// Reading ZooKeeper's snapshot format (the layout is in snapshot-writer.ts) as a stream: `push` takes
// chunks of any size (a file read in pieces, or a SNAP sync arriving from a leader), loads every
// complete item into the target tree, and `end` checks that the file is whole. Both seals are verified
// (Adler32 over every byte before them, as FileSnap's CheckedInputStream computes). The digest section
// is optional, as ZooKeeper reads it: present when bytes follow the first seal.
//
// Every failure is a BadFileError naming the file: wrong magic or version, a checksum mismatch
// (SnapshotChecksumError), a truncated file, a node before its parent, an unknown ACL index.

import { type Acl, JuteDecodeError, JuteReader, readAclList } from '../proto/index.js';
import type { LoadedNode } from '../tree/index.js';
import { assert, limits } from '../util/index.js';
import { Adler32 } from './adler32.js';
import { BadFileError, SnapshotChecksumError } from './storage-errors.js';
import { checkFileHeader, fileHeaderBytes, snapshotMagic } from './txn-log-format.js';

/** What a snapshot is loaded into. An empty DataTree (`withSystemNodes: false`) satisfies it. */
export interface SnapshotTarget {
  readonly aclCache: { define(index: number, acl: Acl[]): void; purgeUnused(): void };
  /**
   * Adds a node under its parent, copying its data; false when the parent is missing. The path and
   * data are ranges of `node.source`; `node.acl` is an index defined earlier, or a list (ZooKeeper's
   * -1 index: the open ACL, not interned). The record is reused for the next node.
   */
  load(node: LoadedNode): boolean;
  /** A hint that about `count` more nodes are coming (an estimate: the tree adds its own margin). */
  reserve(count: number): void;
  /** Every node is in: the tree rebuilds what it derives from them (quota stats, as ZooKeeper's deserialize). */
  loaded(): void;
}

export interface SnapshotDigest {
  zxid: number;
  version: number;
  digest: bigint;
}

export interface LoadedSnapshot {
  sessions: Map<bigint, number>;
  nodeCount: number;
  /** The 3.6+ digest section: the tree digest at `zxid`; null for older snapshots. */
  digest: SnapshotDigest | null;
  /**
   * With `deferChecksums`, the seals the caller must still verify: the checksum stored at each, and
   * the file offset the Adler-32 it covers ends at (bytes [0, offset)). Empty otherwise (verified).
   */
  unverifiedSeals: Array<{ offset: number; stored: number }>;
}

/** ZooKeeper's ReferenceCountedACLCache index for the open ACL when it is not interned. */
const openAclIndex = -1;
const openAcl: readonly Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const emptyData = new Uint8Array(0);
/** A node record's bytes after its data: aclIndex and StatPersisted (six longs, three ints). */
const nodeFixedBytes = 8 + 6 * 8 + 3 * 4;
const twoTo32 = 0x1_0000_0000;
/** At least this much of a chunk is joined to the item the previous chunk cut. */
const joinBytesMin = 1 << 16;
/** Nodes read before the rest are estimated from their average size. */
const nodesSampled = 1024;

const slash = 0x2f;

/** A node record's path, for messages. */
function pathOf(node: LoadedNode): string {
  return node.pathEnd === node.pathStart ? '/' : Buffer.from(node.source).toString('utf8', node.pathStart, node.pathEnd);
}

/** A long that must fit a double (JuteReader.long's rule), read in place. */
function readLong(view: DataView, at: number): number {
  const high = view.getInt32(at);
  if (high > 0x1fffff || high < -0x200000) throw new JuteDecodeError(`long at offset ${at} exceeds 2^53`);
  return high * twoTo32 + view.getUint32(at + 4);
}

type Phase = 'header' | 'sessions' | 'acls' | 'nodes' | 'seal' | 'digest' | 'digestSeal' | 'done';

export class SnapshotReader {
  private pending: Buffer = Buffer.alloc(0);
  private phase: Phase = 'header';
  /** Items left in the current counted section (sessions, ACL lists). */
  private left = -1;
  private readonly checksum = new Adler32();
  private readonly totalBytes: number;
  /** Where the node records begin in the file (-1 until known). */
  private nodesStart = -1;
  /** Where readNodes stopped in `pending`: the end of the last node it loaded, or of the "/" marker. */
  private nodesEnd = 0;
  /** How much of `pending` the checksum covers (a seal advances it, so no byte is summed twice). */
  private checksummed = 0;
  /** Bytes consumed before `pending` begins, for error offsets. */
  private consumedBefore = 0;
  private readonly sessions = new Map<bigint, number>();
  private readonly acls = new Set<number>();
  private nodeCount = 0;
  private digest: SnapshotDigest | null = null;
  private readonly deferChecksums: boolean;
  private readonly nodesAfter: number;
  private readonly unverifiedSeals: Array<{ offset: number; stored: number }> = [];
  /** One record for every node: loading a million nodes allocates no per-node stat object. */
  private readonly node: LoadedNode = {
    czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0,
    source: emptyData, pathStart: 0, pathEnd: 0, dataStart: 0, dataEnd: 0, dataIsNull: false, acl: openAcl,
  };

  /**
   * With `totalBytes` (the file's size), the tree is told how many nodes to expect once the first few
   * show the average record size, plus `nodesAfter` (the creates recovery will replay after it, so the
   * tree is sized once for both). The tree copies node data, so a chunk may be reused once pushed.
   */
  constructor(
    private readonly file: string, private readonly tree: SnapshotTarget,
    options: { totalBytes?: number; deferChecksums?: boolean; nodesAfter?: number } = {},
  ) {
    this.totalBytes = options.totalBytes ?? 0;
    this.nodesAfter = options.nodesAfter ?? 0;
    this.deferChecksums = options.deferChecksums ?? false;
  }

  /** Loads every complete item in `chunk` (and what was left over from earlier chunks). */
  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending.length > 0) {
      // The item cut at the last chunk's end is completed from a join with only the start of this
      // chunk; the rest is read in place (joining whole chunks copied the file once more).
      const joined = Math.min(bytes.length, Math.max(joinBytesMin, this.pending.length));
      this.pending = Buffer.concat([this.pending, bytes.subarray(0, joined)]);
      this.drain(false);
      if (joined === bytes.length) return;
      // Where the unread bytes begin in this chunk; before it, for an item longer than the join.
      const unread = joined - this.pending.length;
      this.pending = unread < 0 ? Buffer.concat([this.pending, bytes.subarray(joined)]) : bytes.subarray(unread);
    } else this.pending = bytes;
    this.drain(false);
  }

  /** Checks that the snapshot ended cleanly and returns what it held besides the tree. */
  end(): LoadedSnapshot {
    this.drain(true);
    if (this.phase === 'digest' && this.pending.length === 0) this.phase = 'done';
    if (this.phase !== 'done') throw new BadFileError(this.file, `snapshot ends early, at byte ${this.consumedBefore} (reading ${this.phase})`);
    if (this.pending.length > 0) throw new BadFileError(this.file, `${this.pending.length} unexpected bytes after the snapshot's last seal`);
    this.tree.loaded();
    this.tree.aclCache.purgeUnused();
    return { sessions: this.sessions, nodeCount: this.nodeCount, digest: this.digest, unverifiedSeals: this.unverifiedSeals };
  }

  private drain(atEnd: boolean): void {
    let reader = new JuteReader(this.pending);
    let consumed = 0;
    try {
      while (this.phase !== 'done' && consumed < this.pending.length) {
        if (this.phase === 'nodes') {
          if (this.nodesStart < 0) this.nodesStart = this.consumedBefore + consumed;
          try {
            this.readNodes(consumed);
          } finally {
            // Nodes loaded before a bad or cut record stay consumed: they must not be loaded twice.
            consumed = this.nodesEnd;
          }
          if (this.phase === 'nodes') {
            if (consumed === this.pending.length) break;
            throw new JuteDecodeError(`node record truncated at offset ${consumed}`);
          }
          reader = new JuteReader(this.pending, consumed);
          continue;
        }
        this.step(reader, consumed);
        consumed = reader.position;
      }
    } catch (error) {
      const offset = this.consumedBefore + consumed;
      if (error instanceof BadFileError) throw error;
      if (!(error instanceof JuteDecodeError)) throw error;
      // An item cut by the chunk boundary: wait for more, unless no more can come or it is too big.
      if (atEnd || this.pending.length - consumed > limits.snapshotItemBytesMax) {
        throw new BadFileError(this.file, `unreadable snapshot at byte ${offset} (reading ${this.phase}): ${error.message}`);
      }
    }
    if (!this.deferChecksums) this.checksum.update(this.pending, this.checksummed, consumed);
    this.checksummed = 0;
    this.consumedBefore += consumed;
    // A copy: the leftover (less than one item) must not alias a chunk the caller may reuse.
    this.pending = Buffer.from(this.pending.subarray(consumed));
  }

  /** Reads one item; throws JuteDecodeError when `reader` ends inside it. */
  private step(reader: JuteReader, itemStart: number): void {
    switch (this.phase) {
      case 'header': {
        if (reader.remaining < fileHeaderBytes) throw new JuteDecodeError('partial file header');
        checkFileHeader(this.file, this.pending.subarray(0, fileHeaderBytes), snapshotMagic);
        reader.int();
        reader.int();
        reader.bigLong();
        this.left = reader.int();
        if (this.left < 0) throw new BadFileError(this.file, `negative session count ${this.left}`);
        this.phase = 'sessions';
        return;
      }
      case 'sessions':
        if (this.left === 0) {
          this.left = reader.int();
          if (this.left < 0) throw new BadFileError(this.file, `negative ACL count ${this.left}`);
          this.phase = 'acls';
          return;
        }
        this.sessions.set(reader.bigLong(), reader.int());
        this.left--;
        return;
      case 'acls':
        if (this.left === 0) {
          this.phase = 'nodes';
          return;
        }
        this.readAclEntry(reader);
        this.left--;
        return;
      case 'nodes':
        return assert(false, 'nodes are read by readNodes');
      case 'seal':
      case 'digestSeal':
        this.readSeal(reader, itemStart);
        return;
      case 'digest':
        this.digest = { zxid: reader.long(), version: reader.int(), digest: reader.bigLong() };
        this.phase = 'digestSeal';
        return;
      case 'done':
        return;
    }
  }

  private readAclEntry(reader: JuteReader): void {
    const index = reader.long();
    const acl = readAclList(reader);
    this.tree.aclCache.define(index, acl);
    this.acls.add(index);
  }

  /**
   * Loads every complete node record from `start` on, parsed in place (the hot loop of a restart: no
   * view, reader or stat object per node): (ustring path, buffer data, long aclIndex, StatPersisted).
   * Stops at the first incomplete record, or after the "/" marker (phase 'seal'); `nodesEnd` says
   * where. Throws JuteDecodeError for a negative length or a long beyond 2^53, as JuteReader does.
   */
  private readNodes(start: number): void {
    const bytes = this.pending;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = bytes.length;
    const node = this.node;
    node.source = bytes;
    let at = start;
    this.nodesEnd = start;
    for (;;) {
      if (at + 4 > end) return;
      const pathLength = view.getInt32(at);
      if (pathLength < -1) throw new JuteDecodeError(`negative string length ${pathLength}`);
      const pathStart = at + 4;
      const pathEnd = pathStart + Math.max(0, pathLength);
      if (pathEnd > end) return;
      // The "/" marker ends the records (the root's own record has an empty path).
      if (pathLength === 1 && bytes[pathStart] === slash) {
        this.phase = 'seal';
        this.nodesEnd = pathEnd;
        return;
      }
      if (pathEnd + 4 > end) return;
      const dataLength = view.getInt32(pathEnd);
      if (dataLength < -1) throw new JuteDecodeError(`negative buffer length ${dataLength}`);
      const dataStart = pathEnd + 4;
      const dataEnd = dataStart + Math.max(0, dataLength);
      // After the data: aclIndex, czxid, mzxid, ctime, mtime (longs), version, cversion, aversion
      // (ints), ephemeralOwner, pzxid (longs).
      const recordEnd = dataEnd + nodeFixedBytes;
      if (recordEnd > end) return;
      const aclIndex = readLong(view, dataEnd);
      node.czxid = readLong(view, dataEnd + 8);
      node.mzxid = readLong(view, dataEnd + 16);
      node.ctime = readLong(view, dataEnd + 24);
      node.mtime = readLong(view, dataEnd + 32);
      node.version = view.getInt32(dataEnd + 40);
      node.cversion = view.getInt32(dataEnd + 44);
      node.aversion = view.getInt32(dataEnd + 48);
      node.ephemeralOwner = view.getInt32(dataEnd + 52) === 0 && view.getInt32(dataEnd + 56) === 0 ? 0n : view.getBigInt64(dataEnd + 52);
      node.pzxid = readLong(view, dataEnd + 60);
      node.pathStart = pathStart;
      node.pathEnd = pathEnd;
      node.dataStart = dataStart;
      node.dataEnd = dataEnd;
      node.dataIsNull = dataLength === -1;
      if (aclIndex !== openAclIndex && !this.acls.has(aclIndex)) {
        throw new BadFileError(this.file, `node ${pathOf(node)} refers to ACL index ${aclIndex}, which the snapshot does not list`);
      }
      node.acl = aclIndex === openAclIndex ? openAcl : aclIndex;
      if (!this.tree.load(node)) throw new BadFileError(this.file, `node ${pathOf(node)} appears before its parent`);
      at = recordEnd;
      this.nodesEnd = at;
      if (++this.nodeCount === nodesSampled && this.totalBytes > 0) this.reserveNodes(this.consumedBefore + at);
    }
  }

  /** Tells the tree how many nodes the rest of the file holds, at the first records' average size. */
  private reserveNodes(position: number): void {
    const recordBytes = (position - this.nodesStart) / nodesSampled;
    this.tree.reserve(Math.ceil((this.totalBytes - position) / recordBytes) + this.nodesAfter);
  }

  private readSeal(reader: JuteReader, itemStart: number): void {
    const stored = reader.long();
    const marker = reader.string();
    if (marker !== '/') throw new BadFileError(this.file, 'snapshot seal is missing its "/" marker');
    if (this.deferChecksums) {
      this.unverifiedSeals.push({ offset: this.consumedBefore + itemStart, stored });
    } else {
      const computed = this.checksum.update(this.pending, this.checksummed, itemStart).value;
      if (stored !== computed) throw new SnapshotChecksumError(this.file, { stored, computed });
    }
    this.checksummed = itemStart;
    this.phase = this.phase === 'seal' ? 'digest' : 'done';
  }
}

/** Loads a whole snapshot file's bytes into an empty tree. Checksums are verified. */
export function loadSnapshot(file: string, bytes: Uint8Array, tree: SnapshotTarget): LoadedSnapshot {
  const reader = new SnapshotReader(file, tree, { totalBytes: bytes.length });
  reader.push(bytes);
  return reader.end();
}
