// The DataTree: every znode in memory, keyed by path, with ZooKeeper's Stat bookkeeping, ephemerals by
// session, container and TTL sets, the interned ACLs, the watch table and an incremental digest.
// Mutations are the primitive steps txns are made of (createNode, deleteNode, setData, setAcl); the
// txn-level logic is in apply-txn.ts. Deterministic: no clock, no I/O.
//
// cversion: like ZooKeeper, a node stores the number of child creations, and shows clients
// `2 × stored − numChildren` (every create has a delete except for children still present).

import { crc32 } from 'node:zlib';
import { type Acl, EventType, type Stat, type StatPersisted } from '../proto/index.js';
import { assert } from '../util/index.js';
import { AclCache } from './acl-cache.js';
import { openAclUnsafe, readAclUnsafe } from './acl.js';
import { isContainerOwner, isSessionOwner, isTtlOwner, ttlOfOwner } from './ephemeral-type.js';
import { baseName, parentOf } from './path.js';
import { type WatchDelivery, WatchManager } from './watch-manager.js';

/**
 * A znode. The stored stat fields live on the node itself (one object per znode, not two); cversion
 * counts child creations (see the file header).
 */
export interface ZNode extends StatPersisted {
  data: Uint8Array;
  acl: Acl[];
  aclIndex: number;
  /** Child names; read-only outside this file (leaves share one empty set). */
  children: ReadonlySet<string>;
  /** This node's contribution to the tree digest. */
  digest: number;
}

/**
 * Most znodes are leaves: they share this empty set until their first child, saving a Set per leaf.
 * Only this file mutates `children`, through addChild/removeChild.
 */
const noChildren: Set<string> = new Set();

function addChild(parent: ZNode, name: string): void {
  const children = parent.children === noChildren ? new Set<string>() : (parent.children as Set<string>);
  children.add(name);
  parent.children = children;
}

function removeChild(parent: ZNode, name: string): void {
  const children = parent.children as Set<string>;
  children.delete(name);
  if (children.size === 0) parent.children = noChildren;
}

export type NodeOutcome = { err: 0; node: ZNode } | { err: number; node?: undefined };

const emptyData = new Uint8Array(0);
const statBytes = Buffer.alloc(60);
const twoTo32 = 0x1_0000_0000;

/** Writes a non-negative long that fits a double, big-endian, without BigInt (hot at recovery). */
function writeLong(buffer: Buffer, value: number, at: number): void {
  const high = Math.floor(value / twoTo32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * twoTo32, at + 4);
}

/** ZooKeeper's per-node digest: CRC32 of path, data and the stat fields (DigestCalculator). */
function nodeDigest(path: string, stat: ZNode): number {
  // ZooKeeper leaves out what is under /zookeeper/ but counts the /zookeeper node itself.
  if (path.startsWith('/zookeeper/')) return 0;
  writeLong(statBytes, stat.czxid, 0);
  writeLong(statBytes, stat.mzxid, 8);
  writeLong(statBytes, stat.pzxid, 16);
  writeLong(statBytes, stat.ctime, 24);
  writeLong(statBytes, stat.mtime, 32);
  statBytes.writeInt32BE(stat.version, 40);
  statBytes.writeInt32BE(stat.cversion, 44);
  statBytes.writeInt32BE(stat.aversion, 48);
  statBytes.writeBigInt64BE(stat.ephemeralOwner, 52);
  let crc = crc32(path === '/' ? '' : path);
  crc = crc32(stat.data, crc);
  return crc32(statBytes, crc);
}

export class DataTree<W = unknown> {
  private readonly nodes = new Map<string, ZNode>();
  private readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly aclCache = new AclCache();
  readonly watches = new WatchManager<W>();
  lastProcessedZxid = 0;
  approximateDataBytes = 0;
  /** The tree digest mod 2^64, as two 32-bit halves so updates need no BigInt. */
  private digestLow = 0;
  private digestHigh = 0;

  /** A tree as a fresh server has it; `withSystemNodes: false` gives an empty one to load a snapshot into. */
  constructor(options: { withSystemNodes?: boolean } = {}) {
    if (options.withSystemNodes === false) return;
    this.insert('/', { data: emptyData, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper', { data: emptyData, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper/quota', { data: emptyData, acl: openAclUnsafe, stat: DataTree.zeroStat() });
    this.insert('/zookeeper/config', { data: emptyData, acl: readAclUnsafe, stat: { ...DataTree.zeroStat(), aversion: -1 } });
  }

  static zeroStat(): StatPersisted {
    return { czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0 };
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  getNode(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  /** The Stat a client sees for a node. */
  statOf(node: ZNode): Stat {
    const numChildren = node.children.size;
    return {
      czxid: node.czxid, mzxid: node.mzxid, ctime: node.ctime, mtime: node.mtime, version: node.version,
      cversion: node.cversion * 2 - numChildren, aversion: node.aversion,
      ephemeralOwner: isSessionOwner(node.ephemeralOwner) ? node.ephemeralOwner : 0n,
      dataLength: node.data.length, numChildren, pzxid: node.pzxid,
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
    if (path === '/') return this.nodes.size - 1;
    let count = 0;
    const pending = [path];
    while (pending.length > 0) {
      const at = pending.pop()!;
      const node = this.nodes.get(at);
      if (node === undefined) continue;
      for (const child of node.children) {
        count++;
        pending.push(`${at}/${child}`);
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

  /** Every node, for snapshots. Iteration order is insertion order; parents precede children. */
  entries(): IterableIterator<[string, ZNode]> {
    return this.nodes.entries();
  }

  /** Adds or replaces a node without touching its parent (system nodes, snapshot loading). */
  insert(path: string, fields: { data: Uint8Array; acl: readonly Acl[] | number; stat: StatPersisted }): ZNode {
    const existing = this.nodes.get(path);
    if (existing !== undefined) this.forget(path, existing);
    const acl = typeof fields.acl === 'number' ? this.aclCache.acquireIndex(fields.acl) : this.aclCache.acquire(fields.acl);
    const stat = fields.stat;
    const node: ZNode = {
      czxid: stat.czxid, mzxid: stat.mzxid, ctime: stat.ctime, mtime: stat.mtime, version: stat.version, cversion: stat.cversion,
      aversion: stat.aversion, ephemeralOwner: stat.ephemeralOwner, pzxid: stat.pzxid,
      data: fields.data, acl: acl.acl, aclIndex: acl.index, children: noChildren, digest: 0,
    };
    this.nodes.set(path, node);
    const parent = path === '/' ? undefined : this.nodes.get(parentOf(path));
    if (parent !== undefined) addChild(parent, baseName(path));
    this.remember(path, node);
    return node;
  }

  private remember(path: string, node: ZNode): void {
    this.approximateDataBytes += path.length + node.data.length;
    const owner = node.ephemeralOwner;
    if (isContainerOwner(owner)) this.containers.add(path);
    else if (isTtlOwner(owner)) this.ttls.add(path);
    else if (owner !== 0n) {
      let paths = this.ephemerals.get(owner);
      if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
      paths.add(path);
    }
    this.redigest(path, node);
  }

  private forget(path: string, node: ZNode): void {
    this.approximateDataBytes -= path.length + node.data.length;
    const owner = node.ephemeralOwner;
    this.containers.delete(path);
    this.ttls.delete(path);
    const paths = this.ephemerals.get(owner);
    if (paths !== undefined && paths.delete(path) && paths.size === 0) this.ephemerals.delete(owner);
    this.addToDigest(-node.digest);
    node.digest = 0;
    this.aclCache.release(node.aclIndex);
  }

  private redigest(path: string, node: ZNode): void {
    this.addToDigest(-node.digest);
    node.digest = nodeDigest(path, node);
    this.addToDigest(node.digest);
  }

  createNode(
    path: string,
    fields: { data: Uint8Array; acl: readonly Acl[]; ephemeralOwner: bigint; parentCVersion: number; zxid: number; time: number },
    events: WatchDelivery<W>[],
  ): NodeOutcome {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return { err: -101 };
    const name = baseName(path);
    if (parent.children.has(name)) return { err: -110 };
    const { zxid, time } = fields;
    // A replayed create (after a fuzzy snapshot) must not move the parent's cversion backwards.
    if (fields.parentCVersion > parent.cversion) {
      parent.cversion = fields.parentCVersion;
      parent.pzxid = zxid;
    }
    this.redigest(parentPath, parent);
    const stat: StatPersisted = {
      czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: fields.ephemeralOwner, pzxid: zxid,
    };
    const node = this.insert(path, { data: fields.data, acl: fields.acl, stat });
    this.watches.trigger({ type: EventType.nodeCreated, path: path, zxid: zxid }, events);
    this.watches.trigger({ type: EventType.nodeChildrenChanged, path: parentPath, zxid: zxid }, events);
    return { err: 0, node };
  }

  deleteNode(path: string, zxid: number, events: WatchDelivery<W>[]): number {
    const node = this.nodes.get(path);
    if (node === undefined || path === '/') return -101;
    assert(node.children.size === 0, `deleting ${path} with children: prep must prevent this`);
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath)!;
    removeChild(parent, baseName(path));
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.redigest(parentPath, parent);
    this.nodes.delete(path);
    this.forget(path, node);
    this.watches.trigger({ type: EventType.nodeDeleted, path: path, zxid: zxid }, events);
    this.watches.trigger({ type: EventType.nodeChildrenChanged, path: parentPath, zxid: zxid }, events);
    return 0;
  }

  setData(path: string, fields: { data: Uint8Array; version: number; zxid: number; time: number }, events: WatchDelivery<W>[]): NodeOutcome {
    const node = this.nodes.get(path);
    if (node === undefined) return { err: -101 };
    this.approximateDataBytes += fields.data.length - node.data.length;
    node.data = fields.data;
    node.version = fields.version;
    node.mzxid = fields.zxid;
    node.mtime = fields.time;
    this.redigest(path, node);
    this.watches.trigger({ type: EventType.nodeDataChanged, path: path, zxid: fields.zxid }, events);
    return { err: 0, node };
  }

  setAcl(path: string, acl: readonly Acl[], aversion: number): NodeOutcome {
    const node = this.nodes.get(path);
    if (node === undefined) return { err: -101 };
    const interned = this.aclCache.acquire(acl);
    this.aclCache.release(node.aclIndex);
    node.acl = interned.acl;
    node.aclIndex = interned.index;
    node.aversion = aversion;
    this.redigest(path, node);
    return { err: 0, node };
  }

  /**
   * Nodes the container reaper should delete (ZooKeeper's ContainerManager): empty containers that
   * have had a child, and childless TTL nodes not modified within their TTL.
   */
  reapCandidates(nowMs: number): { containers: string[]; expiredTtl: string[] } {
    const containers: string[] = [];
    const expiredTtl: string[] = [];
    for (const path of this.containers) {
      const node = this.nodes.get(path)!;
      if (node.children.size === 0 && node.cversion > 0) containers.push(path);
    }
    for (const path of this.ttls) {
      const node = this.nodes.get(path)!;
      if (node.children.size === 0 && nowMs - node.mtime > ttlOfOwner(node.ephemeralOwner)) expiredTtl.push(path);
    }
    return { containers, expiredTtl };
  }
}
