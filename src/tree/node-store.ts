// The znodes' fields in columns indexed by a node number, instead of a ZNode object, a stat object and
// a Buffer per znode: a tree of a million znodes is a few typed arrays, a few plain arrays and the
// child index (child-index.ts: parents, names as bytes, children in order), so loading allocates
// almost nothing per node (little to trace for the garbage collector) and the tree takes a fraction of
// the memory.
//
// Node data lives in chunks and is shown as a view made on each access:
// - loaded data (`copyData`: a snapshot's records, read in pieces the caller reuses, or
//   `DataTree.insert`) is copied back to back into 1 MiB arena chunks; a chunk is dropped once no
//   node's data lives in it, and until then keeps its replaced data;
// - data a txn sets (`holdData`) is copied into a slot of a slab: chunks cut into slots of one size
//   class (every 8 bytes up to 128, then each ~12 % above the last), a class's chunks growing from 16 KiB to
//   1 MiB. A slot freed by a change or a delete is reused by the next data of its class; slab memory
//   is kept for reuse, never given back (as a JVM keeps its heap). Not a buffer per node: at 10^6
//   znodes created over the network that was ~200 bytes of JS heap each (RSS 760 MB), and one more
//   allocation per write for the garbage collector. Not the arena: data replaced while it is filled
//   would keep a chunk alive for every long-lived node written among many short-lived ones.
// - data too large for a slot (over 64 KiB), or past arenaChunksMax live chunks, gets a buffer of
//   its own.
//
// A node's data may also be null (ZooKeeper's "no data", distinct from empty data): no bytes, dataLength
// 0, told apart by its dataPlace (nullPlace).
//
// Invariants: a number is live from allocate() to release(), then reused (not while a walk has it
// pinned); a ZNode is a view by number, valid until its node is deleted. The data view dataOf()
// returns is valid until the tree next changes (a slot is reused). Deterministic: no clock, no I/O.

import type { Acl, NodeData, StatPersisted } from '../proto/index.js';
import type { AclCache } from './acl-cache.js';
import { ChangedStats } from './changed-stats.js';
import { ChildIndex } from './child-index.js';
import { type TreeMemory, grownColumn } from './tree-memory.js';
import { crcBytes } from './crc32.js';
import { assert } from '../util/index.js';

export const arenaChunkBytes = 1 << 20;
/** Larger data gets its own copy, so a chunk's unused tail stays small (and no slab slot is larger). */
const arenaDataBytesMax = arenaChunkBytes >> 4;
/**
 * Slot sizes of the slab classes: every multiple of 8 up to 128 bytes (small values waste little: a
 * 100-byte value takes a 104-byte slot), then each ~12 % above the last, up to arenaDataBytesMax.
 */
const slabSlotBytes: number[] = [];
for (let size = 16; ; size = size < 128 ? size + 8 : Math.ceil((size * 1.125) / 8) * 8) {
  slabSlotBytes.push(Math.min(size, arenaDataBytesMax));
  if (size >= arenaDataBytesMax) break;
}
/** The class of data of each length, by (length + 7) >> 3: the smallest slot it fits. */
const slabClassByEighths = new Uint8Array((arenaDataBytesMax >> 3) + 1);
for (let eighths = 0, klass = 0; eighths < slabClassByEighths.length; eighths++) {
  while (slabSlotBytes[klass]! < eighths * 8) klass++;
  slabClassByEighths[eighths] = klass;
}
/** A class's first chunk; each next one twice its last, up to arenaChunkBytes. */
const slabChunkBytesMin = 16 * 1024;
/** Data up to this size is copied byte by byte (cheaper than making a subarray for `set`). */
const arenaDataBytesByLoop = 256;
const initialCapacityDefault = 1024;

/** Copies `source[start, end)` to `target` at `at`: small data (the common case) byte by byte, no subarray object. */
function copyBytes(target: Uint8Array, at: number, source: Uint8Array, start: number, end: number): void {
  if (end - start <= arenaDataBytesByLoop) for (let i = start; i < end; i++) target[at + i - start] = source[i]!;
  else target.set(source.subarray(start, end), at);
}
/** reserve() sizes the columns this much above the estimate it is given, so a close estimate grows them once. */
const reserveMargin = 1.05;
/** dataPlace values for empty data and for null data (no data); below them, data held outside the arena. */
const emptyPlace = -1;
const nullPlace = -2;
/** The dataPlace of `held[slot]`, and the slot of a held place (the mapping is its own inverse). */
function heldPlace(slotOrPlace: number): number {
  return -3 - slotOrPlace;
}
/**
 * Data in the arena is placed by one 32-bit number, chunk × 2^20 + offset, so at most this many
 * chunks (2 GiB) live at once; past that, data is held outside the arena, as large data is.
 */
const arenaChunksMax = 2047;
const emptyData = new Uint8Array(0);
/** Where the high half of a 64-bit value is, in 32-bit words of a typed array (host byte order). */
const highWord = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Data given as a range of a larger buffer, or null (then the range is empty). */
export interface DataRange {
  readonly source: Uint8Array;
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly dataIsNull: boolean;
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
    return this.links.childCountOf(this.parent);
  }

  has(name: string): boolean {
    return this.links.childByName(this.parent, name, 0, name.length) >= 0;
  }

  [Symbol.iterator](): Iterator<string> {
    const { links } = this;
    const names: string[] = [];
    for (let child = links.firstChildOf(this.parent); child >= 0; child = links.nextSiblingOf(child)) names.push(links.nameOf(child));
    return names[Symbol.iterator]();
  }
}

/** Where a store's memory comes from and how small it starts (tests start tiny to cross every growth). */
export interface NodeStoreOptions {
  memory?: TreeMemory;
  initialCapacity?: InitialCapacity;
}

/** Sizes before the first growth; each defaults to what a server starts with. */
export interface InitialCapacity {
  /** Node numbers (the columns). */
  nodes?: number;
  /** ChangedStats records (changed-stats.ts). */
  statRecords?: number;
  /** Slots of the child table (child-index.ts). */
  childSlots?: number;
}

/**
 * Stat fields are read through methods (mzxidOf, ...) and changed through setters: all but czxid and
 * ctime live in a ChangedStats record once they differ from a fresh node's (changed-stats.ts).
 * cversion counts child creations (see data-tree.ts on cversion).
 *
 * Every column is private and grows only in allocate() and reserve(), before anything is written to
 * it; a setter that may make a stat record (statRecordOf) passes the record to a ChangedStats method,
 * which reads its column after the record is made (see changed-stats.ts on why that order matters).
 */
export class NodeStore {
  private czxid: Float64Array;
  private ctime: Float64Array;
  /** Each node's ChangedStats record; -1: none, the node's fields are a fresh node's. */
  private statRecord: Int32Array;
  private readonly stats: ChangedStats;
  private aclIndex: Int32Array;
  /** Where the node's data is: in the arena (chunk × 2^20 + offset), in `held` (see heldPlace), or none (emptyPlace, nullPlace). */
  private dataPlace: Int32Array;
  private dataLength: Int32Array;
  /**
   * Each node's parent, name and children: the tree's only index (a path is looked up one name at a
   * time from the root, so no path string is kept per node). Changed only by data-tree.ts.
   */
  readonly links: ChildIndex;
  /**
   * Data kept outside the chunks (too large for a slot, or no chunk could be added), by a slot the
   * node's dataPlace names: not by node number (a loaded tree holds none, and a slot per node would cost 8
   * bytes each), and not in a Map (a lookup and an insert on every write). Free slots are reused.
   */
  private readonly held: Array<Uint8Array | undefined> = [];
  private readonly freeHeld: number[] = [];
  private readonly chunks: Array<Uint8Array | undefined> = [];
  /** Nodes whose data is in each arena chunk. */
  private readonly chunkNodes: number[] = [];
  /** Each chunk's slab class, or -1 for an arena chunk. */
  private readonly chunkClass: number[] = [];
  /** Per slab class: the chunk slots are cut from, how much of it is cut, and freed slots' places. */
  private readonly slabChunk = new Int32Array(slabSlotBytes.length).fill(-1);
  private readonly slabCut = new Int32Array(slabSlotBytes.length);
  private readonly slabFree: number[][] = slabSlotBytes.map(() => []);
  /** Chunk numbers dropped, for reuse. */
  private readonly freeChunks: number[] = [];
  /** The arena chunk copies go into, and how much of it is used. */
  private fillChunk = -1;
  private fillUsed = arenaChunkBytes;
  private readonly free: number[] = [];
  private next = 0;

  private readonly memory: TreeMemory | undefined;

  constructor(readonly aclCache: AclCache, options: NodeStoreOptions = {}) {
    const { memory, initialCapacity = {} } = options;
    this.memory = memory;
    const nodes = Math.max(1, initialCapacity.nodes ?? initialCapacityDefault);
    this.czxid = new Float64Array(nodes);
    this.ctime = new Float64Array(nodes);
    this.statRecord = new Int32Array(nodes);
    this.aclIndex = new Int32Array(nodes);
    this.dataPlace = new Int32Array(nodes);
    this.dataLength = new Int32Array(nodes);
    this.stats = new ChangedStats(initialCapacity.statRecords);
    this.links = new ChildIndex({
      stats: this.stats,
      recordOf: (id) => this.statRecord[id]!,
      recordFor: (id) => this.statRecordOf(id),
    }, { memory, initialSlots: initialCapacity.childSlots });
    this.links.grow(nodes);
  }

  /** A number for a new node, with its stat fields set and no data, parent or children. */
  allocate(stat: StatPersisted, aclIndex: number): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.next++;
    if (id >= this.czxid.length) this.grow();
    this.links.reset(id);
    this.dataPlace[id] = emptyPlace;
    this.statRecord[id] = -1;
    this.setFields(id, stat, aclIndex);
    return id;
  }

  /** Sets the stat fields and ACL, and clears the data (a node replaced in place keeps its number and links). */
  setFields(id: number, stat: StatPersisted, aclIndex: number): void {
    this.czxid[id] = stat.czxid;
    this.ctime[id] = stat.ctime;
    const fresh = stat.mzxid === stat.czxid && stat.pzxid === stat.czxid && stat.mtime === stat.ctime && stat.version === 0 &&
      stat.cversion === 0 && stat.aversion === 0 && stat.ephemeralOwner === 0n;
    // A node replaced in place keeps its record while it has children (the record holds them).
    if (fresh && this.links.childCountOf(id) === 0) this.dropStatRecord(id);
    else {
      const record = this.statRecordOf(id);
      const { stats } = this;
      stats.setMzxid(record, stat.mzxid);
      stats.setMtime(record, stat.mtime);
      stats.setPzxid(record, stat.pzxid);
      stats.setVersion(record, stat.version);
      stats.setCversion(record, stat.cversion);
      stats.setAversion(record, stat.aversion);
      stats.setOwner(record, stat.ephemeralOwner);
    }
    this.aclIndex[id] = aclIndex;
    this.dropData(id);
    this.dataLength[id] = 0;
  }

  /** Frees the number of a node already unlinked from its parent (once no walk has it pinned). */
  release(id: number): void {
    this.dropData(id);
    this.dropStatRecord(id);
    if (this.links.release(id)) this.free.push(id);
  }

  /** The node's ChangedStats record, made on first need with a fresh node's fields. */
  private statRecordOf(id: number): number {
    let record = this.statRecord[id]!;
    if (record < 0) this.statRecord[id] = record = this.stats.allocate(this.czxid[id]!, this.ctime[id]!);
    return record;
  }

  private dropStatRecord(id: number): void {
    const record = this.statRecord[id]!;
    if (record < 0) return;
    this.stats.release(record);
    this.statRecord[id] = -1;
  }

  czxidOf(id: number): number {
    return this.czxid[id]!;
  }

  ctimeOf(id: number): number {
    return this.ctime[id]!;
  }

  mzxidOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? this.czxid[id]! : this.stats.mzxidAt(record);
  }

  mtimeOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? this.ctime[id]! : this.stats.mtimeAt(record);
  }

  pzxidOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? this.czxid[id]! : this.stats.pzxidAt(record);
  }

  versionOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? 0 : this.stats.versionAt(record);
  }

  /** Child creations (see data-tree.ts on cversion). */
  cversionOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? 0 : this.stats.cversionAt(record);
  }

  aversionOf(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? 0 : this.stats.aversionAt(record);
  }

  aclIndexOf(id: number): number {
    return this.aclIndex[id]!;
  }

  dataLengthOf(id: number): number {
    return this.dataLength[id]!;
  }

  // The setters below hand statRecordOf's record (made first, which may grow the records' columns)
  // to a ChangedStats method; never `column[this.statRecordOf(id)] = value` (changed-stats.ts).

  setMzxid(id: number, value: number): void {
    this.stats.setMzxid(this.statRecordOf(id), value);
  }

  setMtime(id: number, value: number): void {
    this.stats.setMtime(this.statRecordOf(id), value);
  }

  setPzxid(id: number, value: number): void {
    this.stats.setPzxid(this.statRecordOf(id), value);
  }

  setVersion(id: number, value: number): void {
    this.stats.setVersion(this.statRecordOf(id), value);
  }

  setCversion(id: number, value: number): void {
    this.stats.setCversion(this.statRecordOf(id), value);
  }

  setAversion(id: number, value: number): void {
    this.stats.setAversion(this.statRecordOf(id), value);
  }

  setAclIndex(id: number, aclIndex: number): void {
    this.aclIndex[id] = aclIndex;
  }

  /** See ChildIndex.pin. */
  pin(id: number): void {
    this.links.pin(id);
  }

  unpin(id: number): void {
    if (this.links.unpin(id)) this.free.push(id);
  }

  dataOf(id: number): NodeData {
    const place = this.dataPlace[id]!;
    if (place < 0) return place === emptyPlace ? emptyData : place === nullPlace ? null : this.held[heldPlace(place)]!;
    const at = place & (arenaChunkBytes - 1);
    return this.chunks[place >>> 20]!.subarray(at, at + this.dataLength[id]!);
  }

  /** The running CRC-32 (crc32.ts) fed with the node's data. */
  crcData(crc: number, id: number): number {
    const length = this.dataLength[id]!;
    if (length === 0) return crc;
    const place = this.dataPlace[id]!;
    if (place < 0) return crcBytes(crc, this.held[heldPlace(place)]!, 0, length);
    const at = place & (arenaChunkBytes - 1);
    return crcBytes(crc, this.chunks[place >>> 20]!, at, at + length);
  }

  /** Most owners are 0 (persistent nodes): that one needs no BigInt made. */
  ownerOf(id: number): bigint {
    const record = this.statRecord[id]!;
    if (record < 0) return 0n;
    const { stats } = this;
    return stats.ownerWordAt(record, 0) === 0 && stats.ownerWordAt(record, 1) === 0 ? 0n : stats.ownerAt(record);
  }

  ownerHigh(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? 0 : this.stats.ownerWordAt(record, highWord);
  }

  ownerLow(id: number): number {
    const record = this.statRecord[id]!;
    return record < 0 ? 0 : this.stats.ownerWordAt(record, 1 - highWord);
  }

  /**
   * Keeps a copy of a txn's data, in a slab slot (see the header), as the node's data. Not the data as
   * given: a txn's data is a view into the request's socket read, and holding it would pin that whole
   * read buffer (measured: ~1.5 KB held per 100-byte znode set over the network).
   */
  holdData(id: number, data: NodeData): void {
    this.dropData(id);
    if (data === null) {
      this.dataLength[id] = 0;
      this.dataPlace[id] = nullPlace;
      return;
    }
    const length = data.length;
    this.dataLength[id] = length;
    if (length === 0) return;
    const place = length > arenaDataBytesMax ? -1 : this.slabSlot(slabClassByEighths[(length + 7) >> 3]!);
    if (place < 0) {
      this.hold(id, new Uint8Array(data));
      return;
    }
    const target = this.chunks[place >>> 20]!;
    copyBytes(target, place & (arenaChunkBytes - 1), data, 0, length);
    this.dataPlace[id] = place;
  }

  /** A free slot of slab class `klass` (its place), or -1 when no chunk can be added. */
  private slabSlot(klass: number): number {
    const free = this.slabFree[klass]!;
    if (free.length > 0) return free.pop()!;
    const size = slabSlotBytes[klass]!;
    let chunk = this.slabChunk[klass]!;
    if (chunk < 0 || this.slabCut[klass]! + size > this.chunks[chunk]!.length) {
      const bytes = chunk < 0 ? Math.max(slabChunkBytesMin, 4 * size) : 2 * this.chunks[chunk]!.length;
      chunk = this.addChunk(new Uint8Array(Math.min(arenaChunkBytes, bytes)), klass);
      if (chunk < 0) return -1;
      this.slabChunk[klass] = chunk;
      this.slabCut[klass] = 0;
    }
    const place = chunk * arenaChunkBytes + this.slabCut[klass]!;
    this.slabCut[klass]! += size;
    return place;
  }

  /** Copies `source[dataStart, dataEnd)` in as the node's data, or null data (the caller may reuse `source`). */
  copyData(id: number, range: DataRange): void {
    this.dropData(id);
    const { source, dataStart, dataEnd } = range;
    const length = dataEnd - dataStart;
    this.dataLength[id] = length;
    if (range.dataIsNull) {
      assert(length === 0, 'null data has an empty range');
      this.dataPlace[id] = nullPlace;
      return;
    }
    if (length === 0) return;
    if (length > arenaDataBytesMax || (this.fillUsed + length > arenaChunkBytes && !this.startChunk())) {
      // A copy: `source` is a read buffer the caller reuses, and Buffer's slice() would be a view of it.
      this.hold(id, Uint8Array.prototype.slice.call(source, dataStart, dataEnd));
      return;
    }
    const target = this.chunks[this.fillChunk]!;
    const at = this.fillUsed;
    copyBytes(target, at, source, dataStart, dataEnd);
    this.placeData(id, this.fillChunk, at);
    this.fillUsed += length;
  }

  private hold(id: number, data: Uint8Array): void {
    const slot = this.freeHeld.length > 0 ? this.freeHeld.pop()! : this.held.length;
    this.held[slot] = data;
    this.dataPlace[id] = heldPlace(slot);
  }

  /** Adds `bytes` as a chunk (arena: class -1, or a slab class); its number, or -1 when arenaChunksMax are live. */
  private addChunk(bytes: Uint8Array, klass: number): number {
    const chunk = this.freeChunks.length > 0 ? this.freeChunks.pop()! : this.chunks.length;
    if (chunk >= arenaChunksMax) {
      if (chunk < this.chunks.length) this.freeChunks.push(chunk);
      return -1;
    }
    this.chunks[chunk] = bytes;
    this.chunkNodes[chunk] = 0;
    this.chunkClass[chunk] = klass;
    return chunk;
  }

  /** A new arena chunk to fill; false when arenaChunksMax chunks are live. */
  private startChunk(): boolean {
    const previous = this.fillChunk;
    const chunk = this.addChunk(this.memory?.chunk() ?? new Uint8Array(arenaChunkBytes), -1);
    if (chunk < 0) return false;
    this.fillChunk = chunk;
    this.fillUsed = 0;
    if (previous >= 0 && this.chunkNodes[previous] === 0) this.dropChunk(previous);
    return true;
  }

  private placeData(id: number, chunk: number, offset: number): void {
    this.dataPlace[id] = chunk * arenaChunkBytes + offset;
    this.chunkNodes[chunk]!++;
  }

  private dropData(id: number): void {
    const place = this.dataPlace[id]!;
    if (place === emptyPlace) return;
    this.dataPlace[id] = emptyPlace;
    if (place === nullPlace) return;
    if (place < 0) {
      this.held[heldPlace(place)] = undefined;
      this.freeHeld.push(heldPlace(place));
      return;
    }
    const chunk = place >>> 20;
    const klass = this.chunkClass[chunk]!;
    if (klass >= 0) {
      this.slabFree[klass]!.push(place);
      return;
    }
    // The arena chunk being filled stays: new data goes into it.
    if (--this.chunkNodes[chunk]! === 0 && chunk !== this.fillChunk) this.dropChunk(chunk);
  }

  private dropChunk(chunk: number): void {
    this.chunks[chunk] = undefined;
    this.freeChunks.push(chunk);
  }

  /**
   * Makes room for about `count` nodes in all (an estimate: the columns get reserveMargin more), so a
   * snapshot's load grows them once.
   */
  reserve(count: number): void {
    const capacity = Math.ceil(count * reserveMargin);
    if (capacity > this.czxid.length) this.grow(capacity, count);
    this.links.reserve(capacity);
  }

  /** Grows the columns to `capacity`, of which about `likely` are expected to be used (TreeMemory.column). */
  private grow(capacity = this.czxid.length * 2, likely = capacity): void {
    const { memory } = this;
    this.czxid = grownColumn(this.czxid, capacity, Float64Array, memory, likely);
    this.ctime = grownColumn(this.ctime, capacity, Float64Array, memory, likely);
    this.statRecord = grownColumn(this.statRecord, capacity, Int32Array, memory, likely);
    this.aclIndex = grownColumn(this.aclIndex, capacity, Int32Array, memory, likely);
    this.dataPlace = grownColumn(this.dataPlace, capacity, Int32Array, memory, likely);
    this.dataLength = grownColumn(this.dataLength, capacity, Int32Array, memory, likely);
    this.links.grow(capacity, likely);
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
    return this.store.czxidOf(this.at);
  }

  get mzxid(): number {
    return this.store.mzxidOf(this.at);
  }

  get ctime(): number {
    return this.store.ctimeOf(this.at);
  }

  get mtime(): number {
    return this.store.mtimeOf(this.at);
  }

  get version(): number {
    return this.store.versionOf(this.at);
  }

  get aversion(): number {
    return this.store.aversionOf(this.at);
  }

  get ephemeralOwner(): bigint {
    return this.store.ownerOf(this.at);
  }

  get cversion(): number {
    return this.store.cversionOf(this.at);
  }

  get pzxid(): number {
    return this.store.pzxidOf(this.at);
  }

  /** Null for a node created or set with no data (not empty data). */
  get data(): NodeData {
    return this.store.dataOf(this.at);
  }

  get aclIndex(): number {
    return this.store.aclIndexOf(this.at);
  }

  get acl(): Acl[] {
    return this.store.aclCache.aclAt(this.store.aclIndexOf(this.at));
  }

  get childCount(): number {
    return this.store.links.childCountOf(this.at);
  }

  /** Child names. */
  get children(): ChildNames {
    return new ChildNameView(this.store.links, this.at);
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
