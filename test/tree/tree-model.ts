// A naive model of ZooKeeper's DataTree — a Map from path to a plain record holding every stat field,
// the data and the ACL — and a seeded generator of the txns a leader's prep would produce against it.
// The model-based test (tree-model.test.ts) and the soak (scripts/tree-soak.mjs) apply each txn to the
// real DataTree and to this model and compare them. The model is written for obviousness, not speed:
// no columns, no records, nothing that grows but a Map and Sets.
//
// Semantics are ZooKeeper 3.8's processTxn: a create sets the parent's cversion to the txn's
// parentCVersion and its pzxid to the zxid; a delete raises the parent's pzxid; setData and setACL set
// the version the txn carries; a multi with an error txn in it changes nothing; closeSession deletes
// the session's ephemerals. Null data stays null (dataLength 0), not empty. cversion is stored as the count of child creations, and a client sees
// `2 × creations − numChildren` (DataNode.copyStat).

import { type Acl, OpCode, type Stat, type Txn, type TxnHeader } from '../../src/proto/index.js';
import {
  containerEphemeralOwner, isContainerOwner, isSessionOwner, isTtlOwner, openAclUnsafe, readAclUnsafe, ttlEphemeralOwner, ttlOfOwner,
} from '../../src/tree/index.js';
import { Prng } from '../../sim/prng.js';

export interface ModelNode {
  /** Null is no data, as a request with a -1 length buffer sets it: distinct from empty data. */
  data: Uint8Array | null;
  acl: readonly Acl[];
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  /** Child creations, as ZooKeeper stores cversion. */
  creations: number;
  aversion: number;
  /** The raw owner: 0, a session, or a container or TTL marker. */
  owner: bigint;
  children: Set<string>;
}

function parentPath(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

function childName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function joinChild(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export class TreeModel {
  readonly nodes = new Map<string, ModelNode>();

  constructor() {
    const empty = new Uint8Array(0);
    const fresh = (acl: readonly Acl[], aversion = 0): ModelNode => ({
      data: empty, acl, czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, creations: 0, aversion, owner: 0n, children: new Set(),
    });
    this.nodes.set('/', fresh(openAclUnsafe));
    this.add('/zookeeper', fresh(openAclUnsafe));
    this.add('/zookeeper/quota', fresh(openAclUnsafe));
    this.add('/zookeeper/config', fresh(readAclUnsafe, -1));
  }

  private add(path: string, node: ModelNode): void {
    this.nodes.set(path, node);
    this.nodes.get(parentPath(path))!.children.add(childName(path));
  }

  /** The Stat a client sees. */
  statOf(path: string): Stat {
    const node = this.nodes.get(path)!;
    return {
      czxid: node.czxid, mzxid: node.mzxid, ctime: node.ctime, mtime: node.mtime, version: node.version,
      cversion: 2 * node.creations - node.children.size, aversion: node.aversion,
      ephemeralOwner: isSessionOwner(node.owner) ? node.owner : 0n,
      dataLength: node.data?.length ?? 0, numChildren: node.children.size, pzxid: node.pzxid,
    };
  }

  ephemeralsOf(session: bigint): string[] {
    return [...this.nodes].filter(([, node]) => node.owner === session).map(([path]) => path).sort();
  }

  /** What the container and TTL reaper should delete at `nowMs` (ZooKeeper's ContainerManager). */
  reapCandidates(nowMs: number): { containers: string[]; expiredTtl: string[] } {
    const containers: string[] = [];
    const expiredTtl: string[] = [];
    for (const [path, node] of this.nodes) {
      if (node.children.size > 0) continue;
      if (isContainerOwner(node.owner) && node.creations > 0) containers.push(path);
      else if (isTtlOwner(node.owner) && nowMs - node.mtime > ttlOfOwner(node.owner)) expiredTtl.push(path);
    }
    return { containers: containers.sort(), expiredTtl: expiredTtl.sort() };
  }

  apply(header: TxnHeader, txn: Txn): void {
    if (txn.type === OpCode.multi) {
      if (txn.txns.some((sub) => sub.type === OpCode.error)) return;
      for (const sub of txn.txns) this.apply(header, sub);
      return;
    }
    const { zxid, time } = header;
    switch (txn.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const parent = this.nodes.get(parentPath(txn.path));
        if (parent === undefined || this.nodes.has(txn.path)) return;
        parent.creations = txn.parentCVersion;
        parent.pzxid = zxid;
        const owner = txn.type === OpCode.createContainer ? containerEphemeralOwner
          : txn.type === OpCode.createTTL ? ttlEphemeralOwner(txn.ttl)
          : txn.ephemeral ? header.sessionId : 0n;
        this.add(txn.path, {
          data: txn.data === null ? null : new Uint8Array(txn.data), acl: txn.acl, czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time,
          version: 0, creations: 0, aversion: 0, owner, children: new Set(),
        });
        return;
      }
      case OpCode.delete:
      case OpCode.deleteContainer:
        this.remove(txn.path, zxid);
        return;
      case OpCode.setData: {
        const node = this.nodes.get(txn.path);
        if (node === undefined) return;
        node.data = txn.data === null ? null : new Uint8Array(txn.data);
        node.version = txn.version;
        node.mzxid = zxid;
        node.mtime = time;
        return;
      }
      case OpCode.setACL: {
        const node = this.nodes.get(txn.path);
        if (node === undefined) return;
        node.acl = txn.acl;
        node.aversion = txn.version;
        return;
      }
      case OpCode.closeSession:
        for (const path of txn.paths2Delete ?? this.ephemeralsOf(header.sessionId)) this.remove(path, zxid);
        return;
      case OpCode.check:
      case OpCode.createSession:
      case OpCode.error:
        return;
    }
  }

  private remove(path: string, zxid: number): void {
    const node = this.nodes.get(path);
    if (node === undefined || path === '/') return;
    if (node.children.size > 0) throw new Error(`model: deleting ${path} with children`);
    this.nodes.delete(path);
    const parent = this.nodes.get(parentPath(path))!;
    parent.children.delete(childName(path));
    if (zxid > parent.pzxid) parent.pzxid = zxid;
  }
}

/** How often each kind of txn is made, out of their sum. */
const weights = {
  create: 34, setData: 28, delete: 14, setAcl: 5, multi: 7, failedMulti: 2, failed: 4, check: 1, closeSession: 2, createSession: 1,
} as const;
type Kind = keyof typeof weights;
const kinds = Object.keys(weights) as Kind[];
const weightTotal = kinds.reduce((sum, kind) => sum + weights[kind], 0);

const acls: ReadonlyArray<readonly Acl[]> = [
  openAclUnsafe,
  readAclUnsafe,
  [{ perms: 31, id: { scheme: 'digest', id: 'alice:abc=' } }],
  [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }],
];

export interface GeneratorOptions {
  seed: number;
  /** Nodes the tree hovers around: creates outweigh deletes below it, deletes catch up above. */
  targetNodes: number;
  /** Data near jute.maxbuffer is this rare per setData or create (they are slow to compare and big). */
  hugeDataChance?: number;
  hugeDataBytes?: number;
}

/** A txn with its header, as the leader would log it. */
export interface LoggedTxn {
  header: TxnHeader;
  txn: Txn;
}

/**
 * Makes txns a leader's prep could make against the model's current state (valid creates with the
 * next parentCVersion and sequence suffix, versions one above the node's, deletes of leaves), with
 * failures as error txns and failing multis as ZooKeeper logs them.
 */
export class TxnGenerator {
  private readonly prng: Prng;
  private zxid = 0x1_0000_0000;
  private time = 1_000_000;
  private readonly sessions: bigint[] = [0x100n, 0x101n, 0x102n, 0x103n];
  private nextSession = 0x104n;
  private nameCounter = 0;
  /** Paths that may take children (not ephemeral, not under /zookeeper), for quick picks. */
  private parents: string[] = ['/'];

  constructor(private readonly model: TreeModel, private readonly options: GeneratorOptions) {
    this.prng = new Prng(options.seed);
  }

  get now(): number {
    return this.time;
  }

  next(): LoggedTxn {
    const kind = this.pickKind();
    const txn = this.make(kind);
    this.zxid++;
    this.time += this.prng.int(0, 40);
    const sessionId = this.pendingSession ?? this.prng.pick(this.sessions);
    this.pendingSession = undefined;
    return { header: { sessionId, cxid: this.zxid & 0xffff, zxid: this.zxid, time: this.time, type: txn.type }, txn };
  }

  /** Txns for the reaper's candidates (as the container manager's deleteContainer/delete requests). */
  reap(candidates: { containers: string[]; expiredTtl: string[] }): LoggedTxn[] {
    return [...candidates.containers, ...candidates.expiredTtl].map((path) => {
      this.zxid++;
      const type = candidates.containers.includes(path) ? OpCode.deleteContainer : OpCode.delete;
      return { header: { sessionId: 0n, cxid: 0, zxid: this.zxid, time: this.time, type }, txn: { type, path } };
    });
  }

  /** The session a closeSession/createSession txn is for (its header carries it). */
  private pendingSession: bigint | undefined;

  private pickKind(): Kind {
    let roll = this.prng.int(0, weightTotal - 1);
    for (const kind of kinds) {
      roll -= weights[kind];
      if (roll < 0) return kind;
    }
    return 'create';
  }

  private make(kind: Kind): Txn {
    const size = this.model.nodes.size;
    const { targetNodes } = this.options;
    if (kind === 'create' && size > targetNodes * 1.2) kind = 'delete';
    if (kind === 'delete' && size < targetNodes * 0.9 && this.prng.chance(0.7)) kind = 'create';
    switch (kind) {
      case 'create': return this.create(new Map());
      case 'setData': return this.setData() ?? this.create(new Map());
      case 'delete': return this.deleteLeaf(new Set()) ?? this.create(new Map());
      case 'setAcl': return this.setAcl() ?? this.create(new Map());
      case 'multi': return this.multi();
      case 'failedMulti': return this.failedMulti();
      case 'failed': return { type: OpCode.error, err: this.prng.pick([-101, -110, -103, -111, -102]) };
      case 'check': return { type: OpCode.check, path: this.randomPath() ?? '/', version: 0 };
      case 'closeSession': {
        const session = this.prng.pick(this.sessions);
        this.sessions.splice(this.sessions.indexOf(session), 1);
        this.sessions.push(this.nextSession++);
        this.pendingSession = session;
        // Always with its paths, as Meerkat's and ZooKeeper 3.6+'s leaders log it: without them, a
        // replay over a fuzzy snapshot that no longer holds an ephemeral leaves its parent's pzxid
        // stale (ZOOKEEPER-3145), which only logs from before 3.6 can have.
        return { type: OpCode.closeSession, paths2Delete: this.model.ephemeralsOf(session) };
      }
      case 'createSession':
        this.pendingSession = this.prng.pick(this.sessions);
        return { type: OpCode.createSession, timeOut: 30_000 };
    }
  }

  private randomPath(): string | undefined {
    // Map iteration has no random access: walk from a random parent instead (cheap and spread out).
    const parent = this.livingParent();
    if (parent === undefined) return undefined;
    const node = this.model.nodes.get(parent)!;
    if (node.children.size === 0 || this.prng.chance(0.15)) return parent;
    const at = this.prng.int(0, node.children.size - 1);
    let index = 0;
    for (const name of node.children) if (index++ === at) return joinChild(parent, name);
    return parent;
  }

  /** A random entry of `parents` that still exists (dropping the ones that do not). */
  private livingParent(): string | undefined {
    while (this.parents.length > 0) {
      const at = this.prng.int(0, this.parents.length - 1);
      const path = this.parents[at]!;
      if (this.model.nodes.has(path)) return path;
      this.parents[at] = this.parents[this.parents.length - 1]!;
      this.parents.pop();
    }
    return undefined;
  }

  /** Node data: sometimes null (no data), sometimes empty, mostly small, rarely large or huge. */
  private data(): Uint8Array | null {
    const { hugeDataChance = 0, hugeDataBytes = 0xfffff - 1024 } = this.options;
    const roll = this.prng.float();
    if (roll >= hugeDataChance && roll < 0.06) return null;
    const length = roll < hugeDataChance ? this.prng.int(hugeDataBytes - 4096, hugeDataBytes)
      : roll < 0.1 ? 0
      : roll < 0.75 ? this.prng.int(1, 120)
      : roll < 0.97 ? this.prng.int(121, 4096)
      : this.prng.int(4097, 70_000);
    const bytes = new Uint8Array(length);
    // Varied but cheap contents: a seeded start, then a pattern.
    const start = this.prng.uint32();
    for (let i = 0; i < length; i++) bytes[i] = (start + i * 31 + (i >>> 8)) & 0xff;
    return bytes;
  }

  /** A create under a random parent; `creations` counts creates already made under a parent in this multi. */
  private create(creations: Map<string, number>): Txn {
    const parent = this.livingParent() ?? '/';
    const parentNode = this.model.nodes.get(parent)!;
    const stored = parentNode.creations + (creations.get(parent) ?? 0);
    creations.set(parent, (creations.get(parent) ?? 0) + 1);
    const mode = this.prng.int(0, 99);
    const sequential = mode >= 60 && mode < 80;
    const name = sequential ? `s${String(stored).padStart(10, '0')}` : `n${(this.nameCounter++).toString(36)}`;
    const path = joinChild(parent, name);
    const base = { path, data: this.data(), acl: [...this.prng.pick(acls)], parentCVersion: stored + 1 };
    const ephemeral = mode >= 80 || (sequential && mode >= 75);
    if (!ephemeral && this.parents.length < 4000) this.parents.push(path);
    if (mode < 8) return { type: OpCode.createContainer, ...base };
    if (mode < 14) return { type: OpCode.createTTL, ...base, ttl: this.prng.int(50, 3000) };
    return { type: this.prng.chance(0.5) ? OpCode.create : OpCode.create2, ...base, ephemeral };
  }

  private setData(): Txn | undefined {
    const path = this.randomPath();
    if (path === undefined) return undefined;
    return { type: OpCode.setData, path, data: this.data(), version: this.model.nodes.get(path)!.version + 1 };
  }

  private setAcl(): Txn | undefined {
    const path = this.randomPath();
    if (path === undefined || path.startsWith('/zookeeper')) return undefined;
    return { type: OpCode.setACL, path, acl: [...this.prng.pick(acls)], version: this.model.nodes.get(path)!.aversion + 1 };
  }

  /** A delete of a leaf not in `avoid` (paths a multi already touches), found by walking down from a random node. */
  private deleteLeaf(avoid: Set<string>): Txn | undefined {
    let path = this.randomPath();
    for (let depth = 0; path !== undefined && depth < 64; depth++) {
      const node = this.model.nodes.get(path)!;
      if (node.children.size === 0) break;
      const names = [...node.children];
      path = joinChild(path, this.prng.pick(names));
    }
    if (path === undefined || path === '/' || path.startsWith('/zookeeper') || avoid.has(path)) return undefined;
    if (this.model.nodes.get(path)!.children.size > 0) return undefined;
    return { type: OpCode.delete, path };
  }

  /** 2–6 ops valid one after the other: creates, setData and checks on distinct nodes, deletes of untouched leaves. */
  private multi(): Txn {
    const creations = new Map<string, number>();
    const touched = new Set<string>();
    const txns: Txn[] = [];
    const count = this.prng.int(2, 6);
    for (let i = 0; i < count; i++) {
      const roll = this.prng.int(0, 9);
      if (roll < 4) {
        const txn = this.create(creations);
        touched.add(parentPath((txn as { path: string }).path));
        txns.push(txn);
        continue;
      }
      const path = this.randomPath();
      if (path === undefined || touched.has(path)) continue;
      if (roll < 7) {
        touched.add(path);
        txns.push({ type: OpCode.setData, path, data: this.data(), version: this.model.nodes.get(path)!.version + 1 });
      } else if (roll < 8) {
        txns.push({ type: OpCode.check, path, version: this.model.nodes.get(path)!.version });
      } else {
        const txn = this.deleteLeaf(touched);
        if (txn === undefined) continue;
        const deleted = (txn as { path: string }).path;
        // Its parent may not also be deleted later in this multi, and nothing may be created under it.
        if (creations.has(deleted)) continue;
        touched.add(deleted);
        touched.add(parentPath(deleted));
        txns.push(txn);
      }
    }
    return { type: OpCode.multi, txns };
  }

  /** A multi as ZooKeeper logs a failed one: OK before the failure, its code, RUNTIMEINCONSISTENCY after. */
  private failedMulti(): Txn {
    const count = this.prng.int(1, 5);
    const failedAt = this.prng.int(0, count - 1);
    const txns: Txn[] = [];
    for (let i = 0; i < count; i++) txns.push({ type: OpCode.error, err: i < failedAt ? 0 : i === failedAt ? -101 : -2 });
    return { type: OpCode.multi, txns };
  }
}
