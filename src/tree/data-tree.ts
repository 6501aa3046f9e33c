// The DataTree: every znode in memory, keyed by path, with ZooKeeper's Stat bookkeeping, ephemerals by
// session, container and TTL sets, the interned ACLs, the watch table and an incremental digest.
// Mutations are the primitive steps txns are made of (createNode, deleteNode, setData, setAcl); the
// txn-level logic is in apply-txn.ts. Deterministic: no clock, no I/O.
//
// Nodes are numbers into column storage (node-store.ts). There is no path → number map: each node
// maps its children's names to their numbers, a path is found one name at a time from the root, and
// paths are rebuilt while walking the tree (snapshots write it depth first, parents before children,
// as ZooKeeper does). A million znodes so keep no path string and no million-entry hash table.
//
// cversion: like ZooKeeper, a node stores the number of child creations, and shows clients
// `2 × stored − numChildren` (every create has a delete except for children still present).

import { type Acl, EventType, type Stat, type StatPersisted } from '../proto/index.js';
import { assert } from '../util/index.js';
import { AclCache } from './acl-cache.js';
import { openAclUnsafe, readAclUnsafe } from './acl.js';
import { crcAscii, crcBytes, crcEnd, crcInt, crcLong, crcStart } from './crc32.js';
import { isContainerOwner, isSessionOwner, isTtlOwner, ttlOfOwner } from './ephemeral-type.js';
import { NodeCursor, NodeStore, ZNode, noChildren } from './node-store.js';
import { baseName, parentOf } from './path.js';
import { type WatchDelivery, WatchManager } from './watch-manager.js';

export { NodeCursor, ZNode } from './node-store.js';

/** A node as a snapshot holds it. The snapshot reader fills one record and reuses it for every node. */
export interface LoadedNode extends StatPersisted {
  /** The node's data is `source[dataStart, dataEnd)`. */
  source: Uint8Array;
  dataStart: number;
  dataEnd: number;
  /** An index defined earlier in the ACL cache, or a list to intern. */
  acl: readonly Acl[] | number;
}

export type NodeOutcome = { err: 0; node: ZNode } | { err: number; node?: undefined };

const twoTo32 = 0x1_0000_0000;

/** ZooKeeper's per-node digest: CRC32 of path, data and the stat fields (DigestCalculator). */
function nodeDigest(path: string, store: NodeStore, id: number): number {
  // ZooKeeper leaves out what is under /zookeeper/ but counts the /zookeeper node itself.
  if (path.startsWith('/zookeeper/')) return 0;
  let crc = crcStart;
  if (path !== '/') {
    const ascii = crcAscii(crc, path);
    if (ascii !== null) crc = ascii;
    else {
      const bytes = Buffer.from(path, 'utf8');
      crc = crcBytes(crc, bytes, 0, bytes.length);
    }
  }
  crc = store.crcData(crc, id);
  crc = crcLong(crc, store.czxid[id]!);
  crc = crcLong(crc, store.mzxid[id]!);
  crc = crcLong(crc, store.pzxid[id]!);
  crc = crcLong(crc, store.ctime[id]!);
  crc = crcLong(crc, store.mtime[id]!);
  crc = crcInt(crc, store.version[id]!);
  crc = crcInt(crc, store.cversion[id]!);
  crc = crcInt(crc, store.aversion[id]!);
  crc = crcInt(crc, store.ownerHigh(id));
  return crcEnd(crcInt(crc, store.ownerLow(id)));
}

function addChild(store: NodeStore, parent: number, name: string, child: number): void {
  let children = store.children[parent]!;
  if (children === noChildren) store.children[parent] = children = new Map<string, number>();
  children.set(name, child);
}

function removeChild(store: NodeStore, parent: number, name: string): void {
  const children = store.children[parent]!;
  children.delete(name);
  if (children.size === 0) store.children[parent] = noChildren;
}

export class DataTree<W = unknown> {
  /** The root's number; -1 until "/" is added. */
  private root = -1;
  private count = 0;
  /** The last parent load() found, by path: a snapshot lists siblings together. */
  private loadParentPath = '';
  private loadParent = -1;
  private readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly aclCache = new AclCache();
  readonly watches = new WatchManager<W>();
  private readonly store = new NodeStore(this.aclCache);
  lastProcessedZxid = 0;
  approximateDataBytes = 0;
  /** The tree digest mod 2^64, as two 32-bit halves so updates need no BigInt. */
  private digestLow = 0;
  private digestHigh = 0;

  /** A tree as a fresh server has it; `withSystemNodes: false` gives an empty one to load a snapshot into. */
  constructor(options: { withSystemNodes?: boolean } = {}) {
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

  /** The node at `path`, looked up one name at a time from the root. */
  private find(path: string): number | undefined {
    if (this.root < 0 || path.charCodeAt(0) !== 0x2f) return undefined;
    if (path.length === 1) return this.root;
    const { children } = this.store;
    let id = this.root;
    for (let start = 1; ;) {
      const slash = path.indexOf('/', start);
      const child = children[id]!.get(slash < 0 ? path.slice(start) : path.slice(start, slash));
      if (child === undefined) return undefined;
      if (slash < 0) return child;
      id = child;
      start = slash + 1;
    }
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  getNode(path: string): ZNode | undefined {
    const id = this.find(path);
    return id === undefined ? undefined : new ZNode(this.store, id);
  }

  /** The Stat a client sees for a node. */
  statOf(node: ZNode): Stat {
    const { store } = this;
    const id = node.id;
    const numChildren = store.children[id]!.size;
    const owner = store.ownerOf(id);
    return {
      czxid: store.czxid[id]!, mzxid: store.mzxid[id]!, ctime: store.ctime[id]!, mtime: store.mtime[id]!, version: store.version[id]!,
      cversion: store.cversion[id]! * 2 - numChildren, aversion: store.aversion[id]!,
      ephemeralOwner: isSessionOwner(owner) ? owner : 0n,
      dataLength: store.dataLength[id]!, numChildren, pzxid: store.pzxid[id]!,
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
    if (start === undefined) return 0;
    const pending = [start];
    while (pending.length > 0) {
      for (const child of this.store.children[pending.pop()!]!.values()) {
        count++;
        pending.push(child);
      }
    }
    return count;
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
   * Depth first, each node before its children. Between steps the tree may change: a node present
   * throughout the walk is visited (maps iterate entries added and kept during iteration), and a
   * node's children are taken when the node is reached, before its number can be reused.
   */
  private *walk(): Generator<[string, number]> {
    if (this.root < 0) return;
    const { children } = this.store;
    const stack: Array<{ prefix: string; names: Iterator<[string, number]> }> = [];
    if (children[this.root]!.size > 0) stack.push({ prefix: '', names: children[this.root]!.entries() });
    yield ['/', this.root];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const step = top.names.next();
      if (step.done === true) {
        stack.pop();
        continue;
      }
      const [name, id] = step.value;
      const path = `${top.prefix}/${name}`;
      if (children[id]!.size > 0) stack.push({ prefix: path, names: children[id]!.entries() });
      yield [path, id];
    }
  }

  /** Adds or replaces a node without touching its parent (system nodes, tests); the data is copied. */
  insert(path: string, fields: { data: Uint8Array; acl: readonly Acl[] | number; stat: StatPersisted }): ZNode {
    const data = fields.data;
    const parent = path === '/' ? undefined : this.find(parentOf(path));
    const id = this.add(path, parent, { ...fields.stat, source: data, dataStart: 0, dataEnd: data.length, acl: fields.acl });
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
  load(path: string, node: LoadedNode): boolean {
    let parent: number | undefined;
    if (path !== '/') {
      const parentPath = parentOf(path);
      // Only load() adds nodes while a snapshot loads, so the remembered parent cannot have gone.
      if (parentPath === this.loadParentPath && this.loadParent >= 0) parent = this.loadParent;
      else {
        parent = this.find(parentPath);
        if (parent === undefined) return false;
        this.loadParentPath = parentPath;
        this.loadParent = parent;
      }
    }
    this.add(path, parent, node);
    return true;
  }

  /**
   * Adds a node, or replaces one (which keeps its children), under `parent` (undefined: the root,
   * or a node without a parent, which no path reaches).
   */
  private add(path: string, parent: number | undefined, node: LoadedNode): number {
    const { store } = this;
    // The ACL first: replacing a node that holds the last reference to it must not drop it.
    const acl = typeof node.acl === 'number' ? this.aclCache.acquireIndex(node.acl) : this.aclCache.acquire(node.acl);
    const name = baseName(path);
    const existing = path === '/' ? (this.root < 0 ? undefined : this.root) : parent === undefined ? undefined : store.children[parent]!.get(name);
    let children = noChildren;
    if (existing !== undefined) {
      children = store.children[existing]!;
      this.forget(path, existing);
    }
    const id = store.allocate(node, acl.index);
    store.children[id] = children;
    store.copyData(id, node);
    this.count++;
    if (path === '/') this.root = id;
    else if (parent !== undefined) addChild(store, parent, name, id);
    this.remember(path, id, node.ephemeralOwner);
    return id;
  }

  private remember(path: string, id: number, owner: bigint): void {
    this.approximateDataBytes += path.length + this.store.dataLength[id]!;
    if (owner !== 0n) {
      if (isContainerOwner(owner)) this.containers.add(path);
      else if (isTtlOwner(owner)) this.ttls.add(path);
      else {
        let paths = this.ephemerals.get(owner);
        if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
        paths.add(path);
      }
    }
    this.redigest(path, id);
  }

  /** Undoes remember() and frees the number; the caller unlinks it from its parent or replaces it. */
  private forget(path: string, id: number): void {
    const { store } = this;
    this.count--;
    this.loadParent = -1;
    this.approximateDataBytes -= path.length + store.dataLength[id]!;
    const owner = store.ownerOf(id);
    this.containers.delete(path);
    this.ttls.delete(path);
    const paths = this.ephemerals.get(owner);
    if (paths !== undefined && paths.delete(path) && paths.size === 0) this.ephemerals.delete(owner);
    this.addToDigest(-store.digest[id]!);
    this.aclCache.release(store.aclIndex[id]!);
    store.release(id);
  }

  private redigest(path: string, id: number): void {
    const { store } = this;
    this.addToDigest(-store.digest[id]!);
    const digest = nodeDigest(path, store, id);
    store.digest[id] = digest;
    this.addToDigest(digest);
  }

  createNode(
    path: string,
    fields: { data: Uint8Array; acl: readonly Acl[]; ephemeralOwner: bigint; parentCVersion: number; zxid: number; time: number },
    events: WatchDelivery<W>[],
  ): NodeOutcome {
    const { store } = this;
    const parentPath = parentOf(path);
    const parent = this.find(parentPath);
    if (parent === undefined) return { err: -101 };
    const name = baseName(path);
    if (store.children[parent]!.has(name)) return { err: -110 };
    const { zxid, time } = fields;
    // A replayed create (after a fuzzy snapshot) must not move the parent's cversion backwards.
    if (fields.parentCVersion > store.cversion[parent]!) {
      store.cversion[parent] = fields.parentCVersion;
      store.pzxid[parent] = zxid;
    }
    this.redigest(parentPath, parent);
    const stat: StatPersisted = {
      czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: fields.ephemeralOwner, pzxid: zxid,
    };
    const id = store.allocate(stat, this.aclCache.acquire(fields.acl).index);
    store.holdData(id, fields.data);
    this.count++;
    addChild(store, parent, name, id);
    this.remember(path, id, fields.ephemeralOwner);
    this.watches.trigger({ type: EventType.nodeCreated, path: path, zxid: zxid }, events);
    this.watches.trigger({ type: EventType.nodeChildrenChanged, path: parentPath, zxid: zxid }, events);
    return { err: 0, node: new ZNode(store, id) };
  }

  deleteNode(path: string, zxid: number, events: WatchDelivery<W>[]): number {
    const { store } = this;
    if (path === '/') return -101;
    const parentPath = parentOf(path);
    const parent = this.find(parentPath);
    const name = baseName(path);
    const id = parent === undefined ? undefined : store.children[parent]!.get(name);
    if (parent === undefined || id === undefined) return -101;
    assert(store.children[id]!.size === 0, `deleting ${path} with children: prep must prevent this`);
    removeChild(store, parent, name);
    if (zxid > store.pzxid[parent]!) store.pzxid[parent] = zxid;
    this.redigest(parentPath, parent);
    this.forget(path, id);
    this.watches.trigger({ type: EventType.nodeDeleted, path: path, zxid: zxid }, events);
    this.watches.trigger({ type: EventType.nodeChildrenChanged, path: parentPath, zxid: zxid }, events);
    return 0;
  }

  setData(path: string, fields: { data: Uint8Array; version: number; zxid: number; time: number }, events: WatchDelivery<W>[]): NodeOutcome {
    const { store } = this;
    const id = this.find(path);
    if (id === undefined) return { err: -101 };
    this.approximateDataBytes += fields.data.length - store.dataLength[id]!;
    store.holdData(id, fields.data);
    store.version[id] = fields.version;
    store.mzxid[id] = fields.zxid;
    store.mtime[id] = fields.time;
    this.redigest(path, id);
    this.watches.trigger({ type: EventType.nodeDataChanged, path: path, zxid: fields.zxid }, events);
    return { err: 0, node: new ZNode(store, id) };
  }

  setAcl(path: string, acl: readonly Acl[], aversion: number): NodeOutcome {
    const { store } = this;
    const id = this.find(path);
    if (id === undefined) return { err: -101 };
    const interned = this.aclCache.acquire(acl);
    this.aclCache.release(store.aclIndex[id]!);
    store.aclIndex[id] = interned.index;
    store.aversion[id] = aversion;
    this.redigest(path, id);
    return { err: 0, node: new ZNode(store, id) };
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
      if (store.children[id]!.size === 0 && store.cversion[id]! > 0) containers.push(path);
    }
    for (const path of this.ttls) {
      const id = this.find(path)!;
      if (store.children[id]!.size === 0 && nowMs - store.mtime[id]! > ttlOfOwner(store.ephemeralOwner[id]!)) expiredTtl.push(path);
    }
    return { containers, expiredTtl };
  }
}
