// The DataTree: every znode in memory, keyed by path, with ZooKeeper's Stat bookkeeping, ephemerals by
// session, container and TTL sets, the interned ACLs, the watch table and an incremental digest.
// Mutations are the primitive steps txns are made of (createNode, deleteNode, setData, setAcl); the
// txn-level logic is in apply-txn.ts. Deterministic: no clock, no I/O.
//
// Nodes are numbers into column storage (node-store.ts). There is no path → number map: a path is
// found one name at a time from the root through the child index (child-index.ts: names as bytes, one
// table keyed by parent number and name), and paths are rebuilt while walking the tree (snapshots
// write it depth first, parents before children, as ZooKeeper does). A million znodes so keep no path
// or name string. A snapshot's records are loaded from their bytes: the path is never decoded.
//
// The tree digest is kept as nodes change, with no digest stored per node: a change computes the
// node's digest before and after (path, data and stat are all at hand) and adds the difference.
//
// Quotas: creates, deletes and setData also update the zookeeper_stats node of the quota above the
// changed node, and a loaded snapshot's quota stats are recomputed (quota.ts; derived state, as in
// ZooKeeper's DataTree).
//
// cversion: like ZooKeeper, a node stores the number of child creations, and shows clients
// `2 × stored − numChildren` (every create has a delete except for children still present).

import { type Acl, EventType, type NodeData, type Stat, type StatPersisted } from '../proto/index.js';
import { assertionFailed } from '../util/index.js';
import { AclCache } from './acl-cache.js';
import { openAclUnsafe, readAclUnsafe } from './acl.js';
import { crcAscii, crcBytes, crcEnd, crcInt, crcLong, crcStart } from './crc32.js';
import { isContainerOwner, isSessionOwner, isTtlOwner, ttlOfOwner } from './ephemeral-type.js';
import { type InitialCapacity, NodeCursor, NodeStore, ZNode } from './node-store.js';
import type { TreeMemory } from './tree-memory.js';
import { baseName, parentOf } from './path.js';
import { QuotaTracker } from './quota.js';
import { type WatchDelivery, WatchManager } from './watch-manager.js';

export { NodeCursor, ZNode, arenaChunkBytes } from './node-store.js';
export type { InitialCapacity } from './node-store.js';
export type { TreeMemory } from './tree-memory.js';

/** A node as a snapshot holds it. The snapshot reader fills one record and reuses it for every node. */
export interface LoadedNode extends StatPersisted {
  /** The node's path is the UTF-8 `source[pathStart, pathEnd)` (empty or "/" for the root). */
  source: Uint8Array;
  pathStart: number;
  pathEnd: number;
  /** The node's data is `source[dataStart, dataEnd)`, or null (the record's length was -1; the range is empty). */
  dataStart: number;
  dataEnd: number;
  dataIsNull: boolean;
  /** An index defined earlier in the ACL cache, or a list to intern. */
  acl: readonly Acl[] | number;
}

/** A loaded node's path as a string ("/" for the root's empty path). */
function pathString(node: LoadedNode): string {
  const { source, pathStart, pathEnd } = node;
  if (pathEnd === pathStart) return '/';
  return Buffer.from(source.buffer, source.byteOffset + pathStart, pathEnd - pathStart).toString('utf8');
}

export type NodeOutcome = { err: 0; node: ZNode } | { err: number; node?: undefined };

const twoTo32 = 0x1_0000_0000;
const slash = 0x2f;
/** ZooKeeper leaves out what is under /zookeeper/ but counts the /zookeeper node itself. */
const undigestedPrefix = '/zookeeper/';
const undigestedPrefixBytes = Buffer.from(undigestedPrefix);
/** A path's CRC in a node digest when the node is left out. */
const undigested = null;

/** The running CRC of a path for its node digest, or `undigested`. */
function pathCrc(path: string): number | null {
  if (path.startsWith(undigestedPrefix)) return undigested;
  if (path === '/') return crcStart;
  const ascii = crcAscii(crcStart, path);
  if (ascii !== null) return ascii;
  const bytes = Buffer.from(path, 'utf8');
  return crcBytes(crcStart, bytes, 0, bytes.length);
}

/** pathCrc of the UTF-8 path `bytes[start, end)` (empty or "/" for the root). */
function pathBytesCrc(bytes: Uint8Array, start: number, end: number): number | null {
  if (end - start <= 1) return crcStart;
  if (end - start >= undigestedPrefixBytes.length) {
    let prefixed = true;
    for (let i = 0; i < undigestedPrefixBytes.length && prefixed; i++) prefixed = bytes[start + i] === undigestedPrefixBytes[i];
    if (prefixed) return undigested;
  }
  return crcBytes(crcStart, bytes, start, end);
}

/** The length of a UTF-8 path in UTF-16 units, as `path.length` counts it (the root: 1). */
function pathLength(bytes: Uint8Array, start: number, end: number): number {
  if (end === start) return 1;
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) !== 0x80) length += byte >= 0xf0 ? 2 : 1;
  }
  return length;
}

/** ZooKeeper's per-node digest: CRC32 of path, data and the stat fields (DigestCalculator). */
function nodeDigest(pathCrcValue: number | null, store: NodeStore, id: number): number {
  if (pathCrcValue === undigested) return 0;
  let crc = store.crcData(pathCrcValue, id);
  crc = crcLong(crc, store.czxidOf(id));
  crc = crcLong(crc, store.mzxidOf(id));
  crc = crcLong(crc, store.pzxidOf(id));
  crc = crcLong(crc, store.ctimeOf(id));
  crc = crcLong(crc, store.mtimeOf(id));
  crc = crcInt(crc, store.versionOf(id));
  crc = crcInt(crc, store.cversionOf(id));
  crc = crcInt(crc, store.aversionOf(id));
  crc = crcInt(crc, store.ownerHigh(id));
  return crcEnd(crcInt(crc, store.ownerLow(id)));
}

export class DataTree<W = unknown> {
  /** The root's number; -1 until "/" is added. */
  private root = -1;
  private count = 0;
  /** The last parent load() found, and its path's bytes: a snapshot lists siblings together. */
  private loadParentPath = new Uint8Array(256);
  private loadParentPathLength = 0;
  private loadParent = -1;
  /** The name link() is given, reused. */
  private readonly name: { bytes: Uint8Array; start: number; end: number } = { bytes: new Uint8Array(0), start: 0, end: 0 };
  private readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly aclCache = new AclCache();
  readonly watches = new WatchManager<W>();
  /** Which paths have a quota; keeps their zookeeper_stats nodes up to date (quota.ts). */
  readonly quotas = new QuotaTracker();
  private readonly store: NodeStore;
  lastProcessedZxid = 0;
  approximateDataBytes = 0;
  /** The tree digest mod 2^64, as two 32-bit halves so updates need no BigInt. */
  private digestLow = 0;
  private digestHigh = 0;

  /**
   * A tree as a fresh server has it; `withSystemNodes: false` gives an empty one to load a snapshot
   * into. `memory` supplies the node store's arena chunks and columns, `initialCapacity` how small its
   * structures start (node-store.ts; tests start them tiny so a run crosses every growth).
   */
  constructor(options: { withSystemNodes?: boolean; memory?: TreeMemory; initialCapacity?: InitialCapacity } = {}) {
    this.store = new NodeStore(this.aclCache, { memory: options.memory, initialCapacity: options.initialCapacity });
    if (options.withSystemNodes === false) return;
    const empty = new Uint8Array(0);
    this.insert('/', { data: empty, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper', { data: empty, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper/quota', { data: empty, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper/config', { data: empty, acl: readAclUnsafe, stat: { ...DataTree.zeroStat(), aversion: -1 } });
  }

  static zeroStat(): StatPersisted {
    return { czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0 };
  }

  get nodeCount(): number {
    return this.count;
  }

  /** The node at `path[0, end)` (`end` ≤ 1: the root), looked up one name at a time; -1 if none. */
  private find(path: string, end = path.length): number {
    if (this.root < 0 || path.charCodeAt(0) !== slash) return -1;
    if (end <= 1) return this.root;
    const { links } = this.store;
    let id = this.root;
    for (let start = 1; ;) {
      let nameEnd = path.indexOf('/', start);
      if (nameEnd < 0 || nameEnd > end) nameEnd = end;
      id = links.childByName(id, path, start, nameEnd);
      if (id < 0 || nameEnd === end) return id;
      start = nameEnd + 1;
    }
  }

  /** find() for the UTF-8 path `bytes[start, end)`. */
  private findBytes(bytes: Uint8Array, start: number, end: number): number {
    if (this.root < 0 || (end > start && bytes[start] !== slash)) return -1;
    if (end - start <= 1) return this.root;
    const { links } = this.store;
    let id = this.root;
    for (let nameStart = start + 1; ;) {
      let nameEnd = bytes.indexOf(slash, nameStart);
      if (nameEnd < 0 || nameEnd > end) nameEnd = end;
      id = links.childByBytes(id, bytes, nameStart, nameEnd);
      if (id < 0 || nameEnd === end) return id;
      nameStart = nameEnd + 1;
    }
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  getNode(path: string): ZNode | undefined {
    const id = this.find(path);
    return id < 0 ? undefined : new ZNode(this.store, id);
  }

  /** The Stat a client sees for a node. */
  statOf(node: ZNode): Stat {
    const { store } = this;
    const id = node.id;
    const numChildren = store.links.childCountOf(id);
    const owner = store.ownerOf(id);
    return {
      czxid: store.czxidOf(id), mzxid: store.mzxidOf(id), ctime: store.ctimeOf(id), mtime: store.mtimeOf(id), version: store.versionOf(id),
      cversion: store.cversionOf(id) * 2 - numChildren, aversion: store.aversionOf(id),
      ephemeralOwner: isSessionOwner(owner) ? owner : 0n,
      dataLength: store.dataLengthOf(id), numChildren, pzxid: store.pzxidOf(id),
    };
  }

  getEphemerals(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }

  ephemeralSessions(): IterableIterator<bigint> {
    return this.ephemerals.keys();
  }

  /** Every descendant of `path` (ZooKeeper's getAllChildrenNumber; for '/' all nodes but the root). */
  getAllChildrenNumber(path: string): number {
    if (path === '/') return this.count - 1;
    let count = 0;
    const start = this.find(path);
    if (start < 0) return 0;
    const { links } = this.store;
    const pending = [start];
    while (pending.length > 0) {
      for (let child = links.firstChildOf(pending.pop()!); child >= 0; child = links.nextSiblingOf(child)) {
        count++;
        if (links.childCountOf(child) > 0) pending.push(child);
      }
    }
    return count;
  }

  /** The nodes at and under `path` and the bytes of their data (ZooKeeper's getCounts); zeros if none. */
  subtreeUsage(path: string): { count: number; bytes: number } {
    const start = this.find(path);
    if (start < 0) return { count: 0, bytes: 0 };
    const { store } = this;
    const { links } = store;
    let count = 1;
    let bytes = store.dataLengthOf(start);
    const pending = [start];
    while (pending.length > 0) {
      for (let child = links.firstChildOf(pending.pop()!); child >= 0; child = links.nextSiblingOf(child)) {
        count++;
        bytes += store.dataLengthOf(child);
        if (links.childCountOf(child) > 0) pending.push(child);
      }
    }
    return { count, bytes };
  }

  /** The tree digest: the sum of node digests modulo 2^64, maintained incrementally. */
  digest(): bigint {
    return (BigInt(this.digestHigh) << 32n) | BigInt(this.digestLow);
  }

  private addToDigest(value: number): void {
    this.digestLow += value;
    if (this.digestLow >= twoTo32) {
      this.digestLow -= twoTo32;
      this.digestHigh = (this.digestHigh + 1) % twoTo32;
    } else if (this.digestLow < 0) {
      this.digestLow += twoTo32;
      this.digestHigh = (this.digestHigh + twoTo32 - 1) % twoTo32;
    }
  }

  /**
   * Every node, for snapshots. Iteration order is insertion order; parents precede children. It
   * tolerates changes between steps (a fuzzy snapshot); each node is a view, read it at once.
   */
  *entries(): IterableIterator<[string, ZNode]> {
    for (const [path, id] of this.walk()) yield [path, new ZNode(this.store, id)];
  }

  /** Every node as entries() has them, through one reused object (snapshots walk every node). */
  nodeCursor(): NodeCursor {
    return new NodeCursor(this.store, this.walk());
  }

  /**
   * Depth first, each node before its children, siblings in order. Between steps the tree may change:
   * the walk pins the nodes it stands on (see child-index.ts), so every node present throughout is
   * visited, and so is a child added to a parent whose children have not all been passed yet (a node
   * that had no children when reached is not walked into). A walk left unfinished keeps its few pinned
   * numbers from reuse.
   */
  private *walk(): Generator<[string, number]> {
    if (this.root < 0) return;
    const { store } = this;
    const { links } = store;
    /** A parent whose children are being walked, and the child the walk is at (-1: not started). */
    const stack: Array<{ prefix: string; parent: number; at: number }> = [{ prefix: '', parent: this.root, at: -1 }];
    store.pin(this.root);
    try {
      yield ['/', this.root];
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const next = top.at < 0 ? links.firstChildOf(top.parent) : links.nextSiblingOf(top.at);
        if (top.at >= 0) store.unpin(top.at);
        top.at = next;
        if (next < 0) {
          stack.pop();
          store.unpin(top.parent);
          continue;
        }
        store.pin(next);
        const path = `${top.prefix}/${links.nameOf(next)}`;
        // As when the node is reached: a leaf that gets children later is not walked into.
        if (links.childCountOf(next) > 0) {
          stack.push({ prefix: path, parent: next, at: -1 });
          store.pin(next);
        }
        yield [path, next];
      }
    } finally {
      for (const entry of stack) {
        if (entry.at >= 0) store.unpin(entry.at);
        store.unpin(entry.parent);
      }
    }
  }

  /** Adds or replaces a node without touching its parent (system nodes, tests); the data is copied. */
  insert(path: string, fields: { data: NodeData; acl: readonly Acl[] | number; stat: StatPersisted }): ZNode {
    const pathBytes = Buffer.from(path, 'utf8');
    const source = fields.data === null ? pathBytes : Buffer.concat([pathBytes, fields.data]);
    const parent = path === '/' ? -1 : this.find(path, path.lastIndexOf('/'));
    const id = this.add(parent, {
      ...fields.stat, source, pathStart: 0, pathEnd: pathBytes.length, dataStart: pathBytes.length, dataEnd: source.length,
      dataIsNull: fields.data === null, acl: fields.acl,
    });
    return new ZNode(this.store, id);
  }

  /** A hint that about `count` more nodes are coming (a snapshot being loaded). */
  reserve(count: number): void {
    this.store.reserve(this.count + count);
  }

  /**
   * Adds (or replaces) a node read from a snapshot, under its parent. False, adding nothing, when the
   * parent is missing (a snapshot lists parents first). `node` is not kept.
   */
  load(node: LoadedNode): boolean {
    const { source, pathStart, pathEnd } = node;
    let parent = -1;
    if (pathEnd - pathStart > 1) {
      const parentEnd = source.lastIndexOf(slash, pathEnd - 1);
      if (parentEnd < pathStart) return false;
      // Only load() adds nodes while a snapshot loads, so the remembered parent cannot have gone.
      if (this.loadParent >= 0 && this.isLoadParentPath(source, pathStart, parentEnd)) parent = this.loadParent;
      else {
        parent = this.findBytes(source, pathStart, parentEnd);
        if (parent < 0) return false;
        this.rememberLoadParent(source, pathStart, parentEnd);
        this.loadParent = parent;
      }
    }
    this.add(parent, node);
    return true;
  }

  /**
   * Once a snapshot's last node is in: state derived from the nodes is rebuilt (ZooKeeper's
   * setupQuota at the end of deserialize: the quotas, and their stats recomputed from the tree).
   */
  loaded(): void {
    this.quotas.rebuild(this);
  }

  private isLoadParentPath(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start !== this.loadParentPathLength) return false;
    const remembered = this.loadParentPath;
    for (let i = end - start - 1; i >= 0; i--) if (remembered[i] !== bytes[start + i]) return false;
    return true;
  }

  private rememberLoadParent(bytes: Uint8Array, start: number, end: number): void {
    if (end - start > this.loadParentPath.length) this.loadParentPath = new Uint8Array(2 * (end - start));
    this.loadParentPath.set(bytes.subarray(start, end));
    this.loadParentPathLength = end - start;
  }

  /**
   * Adds a node, or replaces one in place (it keeps its number and children), under `parent` (-1:
   * the root, or a node without a parent, which no path reaches). The path is `node.source[pathStart,
   * pathEnd)`; the string is made only for the sets that need it (ephemeral, container and TTL nodes)
   * and for a replaced node.
   */
  private add(parent: number, node: LoadedNode): number {
    const { store } = this;
    const { source, pathStart, pathEnd } = node;
    // The ACL first: replacing a node that holds the last reference to it must not drop it.
    const acl = typeof node.acl === 'number' ? this.aclCache.acquireIndex(node.acl) : this.aclCache.acquire(node.acl);
    const isRoot = pathEnd - pathStart <= 1;
    const nameStart = isRoot ? pathEnd : source.lastIndexOf(slash, pathEnd - 1) + 1;
    const existing = isRoot ? this.root : parent < 0 ? -1 : store.links.childByBytes(parent, source, nameStart, pathEnd);
    let id = existing;
    if (existing >= 0) {
      this.forget(pathString(node), existing);
      store.setFields(existing, node, acl.index);
    } else {
      id = store.allocate(node, acl.index);
      if (isRoot) this.root = id;
      else if (parent >= 0) {
        const { name } = this;
        name.bytes = source;
        name.start = nameStart;
        name.end = pathEnd;
        store.links.link(parent, id, name);
      }
    }
    store.copyData(id, node);
    this.count++;
    this.approximateDataBytes += pathLength(source, pathStart, pathEnd) + store.dataLengthOf(id);
    if (node.ephemeralOwner !== 0n) this.rememberOwner(pathString(node), node.ephemeralOwner);
    this.addToDigest(nodeDigest(pathBytesCrc(source, pathStart, pathEnd), store, id));
    return id;
  }

  private remember(path: string, id: number, owner: bigint): void {
    this.approximateDataBytes += path.length + this.store.dataLengthOf(id);
    if (owner !== 0n) this.rememberOwner(path, owner);
    this.addToDigest(nodeDigest(pathCrc(path), this.store, id));
  }

  private rememberOwner(path: string, owner: bigint): void {
    if (isContainerOwner(owner)) this.containers.add(path);
    else if (isTtlOwner(owner)) this.ttls.add(path);
    else {
      let paths = this.ephemerals.get(owner);
      if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
      paths.add(path);
    }
  }

  /** Undoes remember(); the caller then frees the number (store.release) or replaces the node in place. */
  private forget(path: string, id: number): void {
    const { store } = this;
    this.count--;
    this.loadParent = -1;
    this.approximateDataBytes -= path.length + store.dataLengthOf(id);
    const owner = store.ownerOf(id);
    this.containers.delete(path);
    this.ttls.delete(path);
    const paths = this.ephemerals.get(owner);
    if (paths !== undefined && paths.delete(path) && paths.size === 0) this.ephemerals.delete(owner);
    this.addToDigest(-nodeDigest(pathCrc(path), store, id));
    this.aclCache.release(store.aclIndexOf(id));
  }

  createNode(
    path: string,
    fields: { data: NodeData; acl: readonly Acl[]; ephemeralOwner: bigint; parentCVersion: number; zxid: number; time: number },
    events: WatchDelivery<W>[],
  ): NodeOutcome {
    const { store } = this;
    const parentEnd = path.lastIndexOf('/');
    const parent = this.find(path, parentEnd);
    if (parent < 0) return { err: -101 };
    if (store.links.childByName(parent, path, parentEnd + 1, path.length) >= 0) return { err: -110 };
    const parentPath = parentOf(path);
    const { zxid, time } = fields;
    // A replayed create (after a fuzzy snapshot) must not move the parent's cversion backwards.
    if (fields.parentCVersion > store.cversionOf(parent)) this.setCversionPzxid(parentPath, parent, { cversion: fields.parentCVersion, zxid });
    const stat: StatPersisted = {
      czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: fields.ephemeralOwner, pzxid: zxid,
    };
    const id = store.allocate(stat, this.aclCache.acquire(fields.acl).index);
    store.holdData(id, fields.data);
    this.count++;
    const { name } = this;
    name.bytes = Buffer.from(baseName(path), 'utf8');
    name.start = 0;
    name.end = name.bytes.length;
    store.links.link(parent, id, name);
    this.remember(path, id, fields.ephemeralOwner);
    this.quotas.created(this, path, fields.data?.length ?? 0);
    this.watches.trigger(EventType.nodeCreated, path, zxid, events);
    this.watches.trigger(EventType.nodeChildrenChanged, parentPath, zxid, events);
    return { err: 0, node: new ZNode(store, id) };
  }

  deleteNode(path: string, zxid: number, events: WatchDelivery<W>[]): number {
    const { store } = this;
    if (path === '/') return -101;
    const parentEnd = path.lastIndexOf('/');
    const parent = this.find(path, parentEnd);
    if (parent < 0) return -101;
    const parentPath = parentOf(path);
    // Raised even when the child is gone (ZooKeeper's ZOOKEEPER-3125): a replayed delete of a child a
    // fuzzy snapshot no longer holds must still leave the parent's pzxid as the live tree had it.
    if (zxid > store.pzxidOf(parent)) this.setCversionPzxid(parentPath, parent, { cversion: store.cversionOf(parent), zxid });
    const id = store.links.childByName(parent, path, parentEnd + 1, path.length);
    if (id < 0) return -101;
    if (store.links.childCountOf(id) !== 0) assertionFailed(`deleting ${path} with children: prep must prevent this`);
    store.links.unlink(id);
    const dataLength = store.dataLengthOf(id);
    this.forget(path, id);
    store.release(id);
    this.quotas.deleted(this, path, dataLength);
    this.watches.trigger(EventType.nodeDeleted, path, zxid, events);
    this.watches.trigger(EventType.nodeChildrenChanged, parentPath, zxid, events);
    return 0;
  }

  setData(path: string, fields: { data: NodeData; version: number; zxid: number; time: number }, events: WatchDelivery<W>[]): NodeOutcome {
    const { store } = this;
    const id = this.find(path);
    if (id < 0) return { err: -101 };
    const crc = pathCrc(path);
    const before = nodeDigest(crc, store, id);
    const bytesDiff = (fields.data?.length ?? 0) - store.dataLengthOf(id);
    this.approximateDataBytes += bytesDiff;
    store.holdData(id, fields.data);
    store.setVersion(id, fields.version);
    store.setMzxid(id, fields.zxid);
    store.setMtime(id, fields.time);
    this.addToDigest(nodeDigest(crc, store, id) - before);
    this.quotas.dataChanged(this, path, bytesDiff);
    this.watches.trigger(EventType.nodeDataChanged, path, fields.zxid, events);
    return { err: 0, node: new ZNode(store, id) };
  }

  /**
   * Replaces a node's data and nothing else: no version, mzxid or mtime change and no watch, as
   * ZooKeeper rewrites a quota's zookeeper_stats node (derived state, quota.ts). False when there is
   * no such node.
   */
  replaceData(path: string, data: Uint8Array): boolean {
    const { store } = this;
    const id = this.find(path);
    if (id < 0) return false;
    const crc = pathCrc(path);
    const before = nodeDigest(crc, store, id);
    this.approximateDataBytes += data.length - store.dataLengthOf(id);
    store.holdData(id, data);
    this.addToDigest(nodeDigest(crc, store, id) - before);
    return true;
  }

  setAcl(path: string, acl: readonly Acl[], aversion: number): NodeOutcome {
    const { store } = this;
    const id = this.find(path);
    if (id < 0) return { err: -101 };
    const crc = pathCrc(path);
    const before = nodeDigest(crc, store, id);
    const interned = this.aclCache.acquire(acl);
    this.aclCache.release(store.aclIndexOf(id));
    store.setAclIndex(id, interned.index);
    store.setAversion(id, aversion);
    this.addToDigest(nodeDigest(crc, store, id) - before);
    return { err: 0, node: new ZNode(store, id) };
  }

  /**
   * Sets a node's cversion and pzxid (ZooKeeper's setCversionPzxid: a create or delete under it, or
   * replay's repair of a parent a fuzzy snapshot caught early). False when there is no such node.
   */
  raiseCversionPzxid(path: string, fields: { cversion: number; zxid: number }): boolean {
    const id = this.find(path);
    if (id < 0) return false;
    this.setCversionPzxid(path, id, fields);
    return true;
  }

  /** The node's digest is taken out before the change and put back after (no digest is stored per node). */
  private setCversionPzxid(path: string, id: number, fields: { cversion: number; zxid: number }): void {
    const { store } = this;
    const crc = pathCrc(path);
    const before = nodeDigest(crc, store, id);
    store.setCversion(id, fields.cversion);
    store.setPzxid(id, fields.zxid);
    this.addToDigest(nodeDigest(crc, store, id) - before);
  }

  /**
   * Nodes the container reaper should delete (ZooKeeper's ContainerManager): empty containers that
   * have had a child, and childless TTL nodes not modified within their TTL.
   */
  reapCandidates(nowMs: number): { containers: string[]; expiredTtl: string[] } {
    const { store } = this;
    const containers: string[] = [];
    const expiredTtl: string[] = [];
    for (const path of this.containers) {
      const id = this.find(path)!;
      if (store.links.childCountOf(id) === 0 && store.cversionOf(id) > 0) containers.push(path);
    }
    for (const path of this.ttls) {
      const id = this.find(path)!;
      if (store.links.childCountOf(id) === 0 && nowMs - store.mtimeOf(id) > ttlOfOwner(store.ownerOf(id))) expiredTtl.push(path);
    }
    return { containers, expiredTtl };
  }
}
