// The znodes' fields in columns indexed by a node number, instead of a ZNode object, a stat object and
// a Buffer per znode: a tree of a million znodes is a few typed arrays, a few plain arrays and the
// child index (child-index.ts: parents, names as bytes, children in order), so loading allocates
// almost nothing per node (little to trace for the garbage collector) and the tree takes a fraction of
// the memory.
//
// Node data lives in 1 MiB arena chunks it is copied into, back to back (`copyData`: a snapshot's
// records, read in pieces the caller reuses, or `DataTree.insert`), and is shown as a view made on
// each access. Data a txn sets is kept as given (no copy on the write path); so is data too large for
// a chunk, copied alone. A chunk is dropped once no node's data lives in it; until then it keeps its
// replaced data.
//
// Invariants: a number is live from allocate() to release(), then reused (not while a walk has it
// pinned); a ZNode is a view by number, valid until its node is deleted. Deterministic: no clock, no I/O.

import type { Acl, StatPersisted } from '../proto/index.js';
import type { AclCache } from './acl-cache.js';
import { ChildIndex } from './child-index.js';
import { crcBytes } from './crc32.js';

const arenaChunkBytes = 1 << 20;
/** Larger data gets its own copy, so a chunk's unused tail stays small. */
const arenaDataBytesMax = arenaChunkBytes >> 4;
/** Data up to this size is copied byte by byte (cheaper than making a subarray for `set`). */
const arenaDataBytesByLoop = 256;
const initialCapacity = 1024;
/** dataChunk value for data held outside the arena (in `held`, or empty). */
const notInArena = -1;
const emptyData = new Uint8Array(0);
/** Where the high half of a 64-bit value is, in 32-bit words of a typed array (host byte order). */
const highWord = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Data given as a range of a larger buffer. */
export interface DataRange {
  readonly source: Uint8Array;
  readonly dataStart: number;
  readonly dataEnd: number;
}

/** A node's child names, as a client lists them. */
export interface ChildNames extends Iterable<string> {
  readonly size: number;
  has(name: string): boolean;
}

/** A node's child names, read from the index on each use (names are decoded as they are listed). */
class ChildNameView implements ChildNames {
  constructor(private readonly links: ChildIndex, private readonly parent: number) {}

  get size(): number {
    return this.links.childCount[this.parent]!;
  }

  has(name: string): boolean {
    return this.links.childByName(this.parent, name, 0, name.length) >= 0;
  }

  [Symbol.iterator](): Iterator<string> {
    const { links } = this;
    const names: string[] = [];
    for (let child = links.firstChild[this.parent]!; child >= 0; child = links.nextSibling[child]!) names.push(links.nameOf(child));
    return names[Symbol.iterator]();
  }
}

export class NodeStore {
  czxid = new Float64Array(initialCapacity);
  mzxid = new Float64Array(initialCapacity);
  ctime = new Float64Array(initialCapacity);
  mtime = new Float64Array(initialCapacity);
  pzxid = new Float64Array(initialCapacity);
  version = new Int32Array(initialCapacity);
  /** Child creations (see data-tree.ts on cversion). */
  cversion = new Int32Array(initialCapacity);
  aversion = new Int32Array(initialCapacity);
  ephemeralOwner = new BigInt64Array(initialCapacity);
  /** The same bytes as 32-bit words, to read an owner without making a BigInt. */
  private ownerWords = new Int32Array(this.ephemeralOwner.buffer);
  aclIndex = new Int32Array(initialCapacity);
  /** Each node's contribution to the tree digest (a CRC32). */
  digest = new Uint32Array(initialCapacity);
  dataChunk = new Int32Array(initialCapacity);
  dataOffset = new Int32Array(initialCapacity);
  dataLength = new Int32Array(initialCapacity);
  /**
   * Each node's parent, name and children: the tree's only index (a path is looked up one name at a
   * time from the root, so no path string is kept per node). Changed only by data-tree.ts.
   */
  readonly links = new ChildIndex();
  /**
   * Data kept outside the chunks (set by txns, or too large for a chunk), by node. A Map, not an
   * array by number: a loaded tree has none, and an array would cost 8 bytes per node regardless.
   */
  private readonly held = new Map<number, Uint8Array>();
  private readonly chunks: Array<Uint8Array | undefined> = [];
  /** Nodes whose data is in each chunk. */
  private readonly chunkNodes: number[] = [];
  /** The arena chunk copies go into, and how much of it is used. */
  private fillChunk = -1;
  private fillUsed = arenaChunkBytes;
  private readonly free: number[] = [];
  private next = 0;

  constructor(readonly aclCache: AclCache) {
    this.links.grow(initialCapacity);
  }

  /** A number for a new node, with its stat fields set and no data, parent or children. */
  allocate(stat: StatPersisted, aclIndex: number): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.next++;
    if (id >= this.czxid.length) this.grow();
    this.links.reset(id);
    this.dataChunk[id] = notInArena;
    this.setFields(id, stat, aclIndex);
    return id;
  }

  /** Sets the stat fields and ACL, and clears the data and digest (a node replaced in place keeps its number and links). */
  setFields(id: number, stat: StatPersisted, aclIndex: number): void {
    this.czxid[id] = stat.czxid;
    this.mzxid[id] = stat.mzxid;
    this.ctime[id] = stat.ctime;
    this.mtime[id] = stat.mtime;
    this.pzxid[id] = stat.pzxid;
    this.version[id] = stat.version;
    this.cversion[id] = stat.cversion;
    this.aversion[id] = stat.aversion;
    this.ephemeralOwner[id] = stat.ephemeralOwner;
    this.aclIndex[id] = aclIndex;
    this.digest[id] = 0;
    this.dropData(id);
    this.dataLength[id] = 0;
  }

  /** Frees the number of a node already unlinked from its parent (once no walk has it pinned). */
  release(id: number): void {
    this.dropData(id);
    if (this.links.release(id)) this.free.push(id);
  }

  /** See ChildIndex.pin. */
  pin(id: number): void {
    this.links.pin(id);
  }

  unpin(id: number): void {
    if (this.links.unpin(id)) this.free.push(id);
  }

  dataOf(id: number): Uint8Array {
    const chunk = this.dataChunk[id]!;
    if (chunk === notInArena) return this.held.get(id) ?? emptyData;
    const at = this.dataOffset[id]!;
    return this.chunks[chunk]!.subarray(at, at + this.dataLength[id]!);
  }

  /** The running CRC-32 (crc32.ts) fed with the node's data. */
  crcData(crc: number, id: number): number {
    const length = this.dataLength[id]!;
    if (length === 0) return crc;
    const chunk = this.dataChunk[id]!;
    if (chunk === notInArena) return crcBytes(crc, this.held.get(id)!, 0, length);
    const at = this.dataOffset[id]!;
    return crcBytes(crc, this.chunks[chunk]!, at, at + length);
  }

  /** Most owners are 0 (persistent nodes): that one needs no BigInt made. */
  ownerOf(id: number): bigint {
    return this.ownerWords[2 * id] === 0 && this.ownerWords[2 * id + 1] === 0 ? 0n : this.ephemeralOwner[id]!;
  }

  ownerHigh(id: number): number {
    return this.ownerWords[2 * id + highWord]!;
  }

  ownerLow(id: number): number {
    return this.ownerWords[2 * id + 1 - highWord]!;
  }

  /** Keeps `data` itself as the node's data (txns: their bytes are not reused). */
  holdData(id: number, data: Uint8Array): void {
    this.dropData(id);
    if (data.length > 0) this.held.set(id, data);
    this.dataLength[id] = data.length;
  }

  /** Copies `source[dataStart, dataEnd)` in as the node's data (the caller may reuse `source`). */
  copyData(id: number, range: DataRange): void {
    this.dropData(id);
    const { source, dataStart, dataEnd } = range;
    const length = dataEnd - dataStart;
    this.dataLength[id] = length;
    if (length === 0) return;
    if (length > arenaDataBytesMax) {
      this.held.set(id, source.slice(dataStart, dataEnd));
      return;
    }
    if (this.fillUsed + length > arenaChunkBytes) {
      this.fillChunk = this.addChunk(new Uint8Array(arenaChunkBytes));
      this.fillUsed = 0;
    }
    const target = this.chunks[this.fillChunk]!;
    const at = this.fillUsed;
    // Small data (the common case) byte by byte: no subarray object per node.
    if (length <= arenaDataBytesByLoop) for (let i = 0; i < length; i++) target[at + i] = source[dataStart + i]!;
    else target.set(source.subarray(dataStart, dataEnd), at);
    this.placeData(id, this.fillChunk, at);
    this.fillUsed += length;
  }

  private addChunk(bytes: Uint8Array): number {
    this.chunks.push(bytes);
    this.chunkNodes.push(0);
    return this.chunks.length - 1;
  }

  private placeData(id: number, chunk: number, offset: number): void {
    this.dataChunk[id] = chunk;
    this.dataOffset[id] = offset;
    this.chunkNodes[chunk]!++;
  }

  private dropData(id: number): void {
    const chunk = this.dataChunk[id]!;
    if (chunk === notInArena) {
      // Empty data is never held (and a fresh number has length 0): no lookup for those.
      if (this.dataLength[id]! > 0) this.held.delete(id);
      return;
    }
    this.dataChunk[id] = notInArena;
    // The chunk being filled stays: new data goes into it.
    if (--this.chunkNodes[chunk]! === 0 && chunk !== this.fillChunk) this.chunks[chunk] = undefined;
  }

  /** Makes room for `count` nodes in all, so a snapshot's load grows the columns once. */
  reserve(count: number): void {
    if (count > this.czxid.length) this.grow(count);
    this.links.reserve(count);
  }

  private grow(capacity = this.czxid.length * 2): void {
    const grown = <T extends Float64Array | Int32Array | Uint32Array | BigInt64Array>(column: T, make: new (length: number) => T): T => {
      const bigger = new make(capacity);
      bigger.set(column as never);
      return bigger;
    };
    this.czxid = grown(this.czxid, Float64Array);
    this.mzxid = grown(this.mzxid, Float64Array);
    this.ctime = grown(this.ctime, Float64Array);
    this.mtime = grown(this.mtime, Float64Array);
    this.pzxid = grown(this.pzxid, Float64Array);
    this.version = grown(this.version, Int32Array);
    this.cversion = grown(this.cversion, Int32Array);
    this.aversion = grown(this.aversion, Int32Array);
    this.ephemeralOwner = grown(this.ephemeralOwner, BigInt64Array);
    this.ownerWords = new Int32Array(this.ephemeralOwner.buffer);
    this.aclIndex = grown(this.aclIndex, Int32Array);
    this.digest = grown(this.digest, Uint32Array);
    this.dataChunk = grown(this.dataChunk, Int32Array);
    this.dataOffset = grown(this.dataOffset, Int32Array);
    this.dataLength = grown(this.dataLength, Int32Array);
    this.links.grow(capacity);
  }
}

/**
 * A znode, as a view of its columns: made on each lookup, valid until the node is deleted. The stored
 * stat fields are ZooKeeper's StatPersisted; cversion counts child creations (see data-tree.ts).
 */
export class ZNode implements StatPersisted {
  constructor(protected readonly store: NodeStore, protected at: number) {}

  get id(): number {
    return this.at;
  }

  get czxid(): number {
    return this.store.czxid[this.at]!;
  }

  get mzxid(): number {
    return this.store.mzxid[this.at]!;
  }

  get ctime(): number {
    return this.store.ctime[this.at]!;
  }

  get mtime(): number {
    return this.store.mtime[this.at]!;
  }

  get version(): number {
    return this.store.version[this.at]!;
  }

  get aversion(): number {
    return this.store.aversion[this.at]!;
  }

  get ephemeralOwner(): bigint {
    return this.store.ownerOf(this.at);
  }

  /** Settable for replay's repair of a parent a fuzzy snapshot caught early; the caller re-digests. */
  get cversion(): number {
    return this.store.cversion[this.at]!;
  }

  set cversion(value: number) {
    this.store.cversion[this.at] = value;
  }

  /** Settable, as cversion. */
  get pzxid(): number {
    return this.store.pzxid[this.at]!;
  }

  set pzxid(value: number) {
    this.store.pzxid[this.at] = value;
  }

  get data(): Uint8Array {
    return this.store.dataOf(this.at);
  }

  get aclIndex(): number {
    return this.store.aclIndex[this.at]!;
  }

  get acl(): Acl[] {
    return this.store.aclCache.aclAt(this.store.aclIndex[this.at]!);
  }

  /** Child names. */
  get children(): ChildNames {
    return new ChildNameView(this.store.links, this.at);
  }

  /** This node's contribution to the tree digest. */
  get digest(): number {
    return this.store.digest[this.at]!;
  }
}

/**
 * Walks nodes for a snapshot with one object: `next()` moves it to the next entry of a path → number
 * iterator (parents before children, tolerating changes between steps); read each node before the
 * next step.
 */
export class NodeCursor extends ZNode {
  path = '';

  constructor(store: NodeStore, private readonly entries: Iterator<[string, number]>) {
    super(store, -1);
  }

  next(): boolean {
    const step = this.entries.next();
    if (step.done === true) return false;
    this.path = step.value[0];
    this.at = step.value[1];
    return true;
  }
}
