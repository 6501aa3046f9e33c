// The tree's shape: each node's parent, its name and its children in order, by node number. No string,
// Map or Set per node: names are UTF-8 bytes in 1 MiB arena chunks, one hash table keyed by (parent
// number, name bytes) finds any child, and each parent's children form a doubly linked list in the
// order they were added (what getChildren lists and snapshots write), circular backwards: the first
// child's previous sibling is the last child, so no column holds each node's last child. A parent's
// first child and child count are kept in its ChangedStats record (changed-stats.ts; a node with
// children has had a child created, so it has a record anyway): leaves, most nodes, need no column. A million znodes are a few
// typed arrays and a few MB of names, and loading a snapshot makes no garbage per node.
//
// The table is open addressing with linear probing over node numbers, with 8 bits of each node's
// hash beside it, so a probe rarely reads a node that is not the one sought (loading a snapshot looks
// every name up once, mostly in vain); a candidate is compared by parent, then name bytes. Lookups take a name as a range of a path string (ASCII is hashed and
// compared by character, without making bytes) or of a byte buffer (a snapshot's record).
//
// Walks that span changes (a fuzzy snapshot is written between txns) pin the nodes they stand on: a
// pinned node's number is not reused, and once unlinked its next-sibling link is kept pointing at the
// next linked sibling (and at a child appended after it), so the walk goes on from where it was.
//
// Invariants: a linked node (parent >= 0) is in the table and in its parent's list, and owns its name
// record; the root and unattached nodes have parent -1 and no name; a released number has parent -2.
// A pinned unlinked node's next sibling is linked, or -1. Deterministic: no clock, no I/O.

import { assert, assertionFailed } from '../util/index.js';
import type { ChangedStats } from './changed-stats.js';
import { type TreeMemory, grownColumn } from './tree-memory.js';

/** How the index reaches the records that hold parents' first child and child count. */
export interface ChildHeads {
  readonly stats: ChangedStats;
  /** The node's record, or -1. */
  recordOf(id: number): number;
  /** The node's record, made if it has none. */
  recordFor(id: number): number;
}

const nameChunkBytes = 1 << 20;
/**
 * A name's place is packed into 32 bits: chunk × 2^20 + offset. A name longer than a chunk gets a
 * chunk of its own at offset 0, so offsets stay below 2^20 and 4,096 live chunks (4 GiB of names) fit.
 */
const nameChunksMax = 4096;
const noNode = -1;
const releasedNode = -2;
const emptySlot = -1;
const deletedSlot = -2;
/** The table grows (or drops its deleted slots) past this share of used slots. */
const tableLoadMax = 0.7;
const initialTableSlots = 1024;
/** Names up to this long are decoded by character when ASCII (see nameOf). */
const shortNameBytes = 32;

function fnvStart(parent: number): number {
  return Math.imul(parent ^ 0x811c9dc5, 0x01000193);
}

function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

/** Spreads FNV's low bits (the table is indexed by them). */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/** Where a probe for a mixed hash starts in a table of `slots` (its low 31 bits, modulo the size). */
function firstSlot(mixed: number, slots: number): number {
  return (mixed & 0x7fffffff) % slots;
}

/** The probe's next slot, wrapping at the table's end. */
function nextSlot(slot: number, slots: number): number {
  return slot + 1 === slots ? 0 : slot + 1;
}

export class ChildIndex {
  // Columns by node number, grown by grow() (node-store.ts calls it before it hands out a number past
  // them); private, so no caller can hold one across a growth (see changed-stats.ts).
  private parent = new Int32Array(0);
  private nextSibling = new Int32Array(0);
  /** The first child's is the last child. */
  private previousSibling = new Int32Array(0);
  private namePlace = new Uint32Array(0);
  private slots: Int32Array;
  /** The top 8 bits of each slot's node's hash. */
  private tags: Uint8Array;
  /** The table never shrinks below this many slots. */
  private readonly slotsMin: number;
  /** Slots holding a node or a deleted mark. */
  private slotsUsed = 0;
  private linked = 0;
  private readonly chunks: Array<Buffer | undefined> = [];
  /** Names living in each chunk; a chunk is dropped when its last name goes. */
  private readonly chunkNames: number[] = [];
  private readonly freeChunks: number[] = [];
  private fillChunk = -1;
  private fillUsed = nameChunkBytes;
  /** Pinned nodes, once per pin: few at a time (a walk pins two nodes per level), so a list. */
  private readonly pins: number[] = [];
  /** Pinned nodes unlinked since, with the parent they had. */
  private readonly unlinkedPinned = new Map<number, number>();
  /** Pinned numbers released since: free once unpinned. */
  private readonly releasedPinned = new Set<number>();
  /** Where nameRange() found a name: chunk bytes [nameStart, nameEnd). */
  private nameStart = 0;
  private nameEnd = 0;

  private readonly memory: TreeMemory | undefined;

  /** `memory` supplies the columns' buffers (node-store.ts); `initialSlots` sizes the table before it first grows. */
  constructor(private readonly heads: ChildHeads, options: { memory?: TreeMemory; initialSlots?: number } = {}) {
    this.memory = options.memory;
    this.slotsMin = Math.max(2, options.initialSlots ?? initialTableSlots);
    this.slots = new Int32Array(this.slotsMin).fill(emptySlot);
    this.tags = new Uint8Array(this.slotsMin);
  }

  /** Makes room for node numbers below `capacity`, of which about `likely` are expected to be used. */
  grow(capacity: number, likely = capacity): void {
    const { memory } = this;
    this.parent = grownColumn(this.parent, capacity, Int32Array, memory, likely);
    this.nextSibling = grownColumn(this.nextSibling, capacity, Int32Array, memory, likely);
    this.previousSibling = grownColumn(this.previousSibling, capacity, Int32Array, memory, likely);
    this.namePlace = grownColumn(this.namePlace, capacity, Uint32Array, memory, likely);
  }

  /** Sizes the table for `count` linked nodes, so a snapshot's load does not rehash. */
  reserve(count: number): void {
    if (count > this.slots.length * tableLoadMax) this.rehash(this.slotsFor(count));
  }

  /** A new number: no parent, no children. */
  reset(id: number): void {
    this.parent[id] = noNode;
  }

  /** The node is gone (unlinked before). False while it is pinned: its number is free once unpinned. */
  release(id: number): boolean {
    if (this.parent[id] !== noNode || this.childCountOf(id) !== 0) assertionFailed(`releasing node ${id} while linked`);
    this.parent[id] = releasedNode;
    if (!this.pins.includes(id)) return true;
    this.releasedPinned.add(id);
    return false;
  }

  /** Keeps the node's number and its way to its next sibling while a walk stands on it. */
  pin(id: number): void {
    this.pins.push(id);
  }

  /** True when the node was released while pinned and its number is free now. */
  unpin(id: number): boolean {
    const { pins } = this;
    const at = pins.lastIndexOf(id);
    assert(at >= 0, `unpinning node ${id}, which is not pinned`);
    pins[at] = pins[pins.length - 1]!;
    pins.pop();
    if (pins.includes(id)) return false;
    this.unlinkedPinned.delete(id);
    return this.releasedPinned.delete(id);
  }

  isLinkedUnder(id: number, parent: number): boolean {
    return this.parent[id] === parent;
  }

  /** The child of `parent` named `path[start, end)`, or -1. */
  childByName(parent: number, path: string, start: number, end: number): number {
    let hash = fnvStart(parent);
    for (let i = start; i < end; i++) {
      const code = path.charCodeAt(i);
      if (code >= 0x80) {
        const bytes = Buffer.from(path.slice(start, end), 'utf8');
        return this.childByBytes(parent, bytes, 0, bytes.length);
      }
      hash = fnvStep(hash, code);
    }
    const { slots, tags } = this;
    const count = slots.length;
    const length = end - start;
    const mixed = mix(hash);
    const tag = mixed >>> 24;
    for (let slot = firstSlot(mixed, count); ; slot = nextSlot(slot, count)) {
      const id = slots[slot]!;
      if (id === emptySlot) return noNode;
      if (id < 0 || tags[slot] !== tag || this.parent[id] !== parent) continue;
      const chunk = this.nameRange(id);
      if (this.nameEnd - this.nameStart !== length) continue;
      let same = true;
      for (let i = 0, at = this.nameStart; i < length; i++, at++) {
        if (chunk[at] !== path.charCodeAt(start + i)) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  /** The child of `parent` named by the UTF-8 bytes `bytes[start, end)`, or -1. */
  childByBytes(parent: number, bytes: Uint8Array, start: number, end: number): number {
    const { slots, tags } = this;
    const count = slots.length;
    const length = end - start;
    const mixed = mix(this.hashBytes(parent, bytes, start, end));
    const tag = mixed >>> 24;
    for (let slot = firstSlot(mixed, count); ; slot = nextSlot(slot, count)) {
      const id = slots[slot]!;
      if (id === emptySlot) return noNode;
      if (id < 0 || tags[slot] !== tag || this.parent[id] !== parent) continue;
      const chunk = this.nameRange(id);
      if (this.nameEnd - this.nameStart !== length) continue;
      let same = true;
      for (let i = 0, at = this.nameStart; i < length; i++, at++) {
        if (chunk[at] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  /** Adds `child` (unattached) as the last child of `parent`, named by `bytes[start, end)`. */
  link(parent: number, child: number, name: { bytes: Uint8Array; start: number; end: number }): void {
    if (this.parent[child] !== noNode) assertionFailed(`linking node ${child}, which has a parent`);
    if (this.slotsUsed + 1 > this.slots.length * tableLoadMax) this.rehash(this.slotsFor(2 * (this.linked + 1)));
    this.namePlace[child] = this.storeName(name.bytes, name.start, name.end);
    this.parent[child] = parent;
    // The record first: making it may grow the records' columns (changed-stats.ts).
    const record = this.heads.recordFor(parent);
    const { stats } = this.heads;
    const first = stats.firstChildAt(record);
    this.nextSibling[child] = noNode;
    if (first === noNode) {
      stats.setFirstChild(record, child);
      this.previousSibling[child] = child;
    } else {
      const last = this.previousSibling[first]!;
      this.nextSibling[last] = child;
      this.previousSibling[child] = last;
      this.previousSibling[first] = child;
    }
    stats.addChildCount(record, 1);
    if (this.unlinkedPinned.size > 0) {
      for (const [pinned, formerParent] of this.unlinkedPinned) {
        if (formerParent === parent && this.nextSibling[pinned] === noNode) this.nextSibling[pinned] = child;
      }
    }
    const { slots } = this;
    const count = slots.length;
    const mixed = mix(this.hashBytes(parent, name.bytes, name.start, name.end));
    let slot = firstSlot(mixed, count);
    while (slots[slot]! >= 0) slot = nextSlot(slot, count);
    if (slots[slot] === emptySlot) this.slotsUsed++;
    slots[slot] = child;
    this.tags[slot] = mixed >>> 24;
    this.linked++;
  }

  /** Takes `child` out of its parent's list and the table, and drops its name. */
  unlink(child: number): void {
    const parent = this.parent[child]!;
    if (parent < 0) assertionFailed(`unlinking node ${child}, which has no parent`);
    const chunk = this.nameRange(child);
    const { slots } = this;
    const count = slots.length;
    let slot = firstSlot(mix(this.hashBytes(parent, chunk, this.nameStart, this.nameEnd)), count);
    while (slots[slot] !== child) {
      if (slots[slot] === emptySlot) assertionFailed(`node ${child} is missing from the child table`);
      slot = nextSlot(slot, count);
    }
    slots[slot] = deletedSlot;
    this.linked--;
    const previous = this.previousSibling[child]!;
    const next = this.nextSibling[child]!;
    const { stats } = this.heads;
    const record = this.heads.recordOf(parent);
    const first = stats.firstChildAt(record);
    if (child === first) stats.setFirstChild(record, next);
    else this.nextSibling[previous] = next;
    // The next sibling, or else the (new) first child, takes `previous`: the last child when `child` was first.
    if (next !== noNode) this.previousSibling[next] = previous;
    else if (child !== first) this.previousSibling[first] = previous;
    stats.addChildCount(record, -1);
    this.parent[child] = noNode;
    this.dropName(this.namePlace[child]!);
    if (this.unlinkedPinned.size > 0) {
      for (const pinned of this.unlinkedPinned.keys()) if (this.nextSibling[pinned] === child) this.nextSibling[pinned] = next;
    }
    if (this.pins.includes(child)) this.unlinkedPinned.set(child, parent);
  }

  /** The node's name, decoded (a new string each call). */
  nameOf(id: number): string {
    if (this.parent[id]! < 0) return '';
    const chunk = this.nameRange(id);
    const { nameStart, nameEnd } = this;
    if (nameEnd - nameStart > shortNameBytes) return chunk.toString('utf8', nameStart, nameEnd);
    // Short ASCII names (the usual) by character: a native decode call costs more.
    let name = '';
    for (let i = nameStart; i < nameEnd; i++) {
      const byte = chunk[i]!;
      if (byte >= 0x80) return chunk.toString('utf8', nameStart, nameEnd);
      name += String.fromCharCode(byte);
    }
    return name;
  }

  /** The node's next sibling in its parent's list, or -1 after the last (see pin for unlinked pinned nodes). */
  nextSiblingOf(id: number): number {
    return this.nextSibling[id]!;
  }

  /** The node's first child, or -1; the next is nextSiblingOf's. */
  firstChildOf(id: number): number {
    const record = this.heads.recordOf(id);
    return record < 0 ? noNode : this.heads.stats.firstChildAt(record);
  }

  childCountOf(id: number): number {
    const record = this.heads.recordOf(id);
    return record < 0 ? 0 : this.heads.stats.childCountAt(record);
  }

  /** Slots for `count` nodes at the load limit: any number, not a power of two (a million nodes take 1.5M slots, not 2M). */
  private slotsFor(count: number): number {
    return Math.max(this.slotsMin, Math.ceil(count / tableLoadMax));
  }

  private hashBytes(parent: number, bytes: Uint8Array, start: number, end: number): number {
    let hash = fnvStart(parent);
    for (let i = start; i < end; i++) hash = fnvStep(hash, bytes[i]!);
    return hash;
  }

  /** The chunk holding the node's name; sets nameStart and nameEnd. */
  private nameRange(id: number): Buffer {
    const place = this.namePlace[id]!;
    const chunk = this.chunks[place >>> 20]!;
    let at = place & (nameChunkBytes - 1);
    // The length comes first, 7 bits a byte, low bits first.
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = chunk[at++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    this.nameStart = at;
    this.nameEnd = at + length;
    return chunk;
  }

  private storeName(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const recordBytes = length + (length < 0x80 ? 1 : length < 0x4000 ? 2 : 5);
    if (this.fillUsed + recordBytes > nameChunkBytes) {
      const previous = this.fillChunk;
      const chunk = this.addChunk(Math.max(nameChunkBytes, recordBytes));
      if (previous >= 0 && this.chunkNames[previous] === 0) this.dropChunk(previous);
      // A name too big to share a chunk fills its own.
      this.fillChunk = chunk;
      this.fillUsed = recordBytes > nameChunkBytes ? nameChunkBytes : 0;
      if (recordBytes > nameChunkBytes) return this.writeName(chunk, 0, { bytes, start, end });
    }
    const place = this.writeName(this.fillChunk, this.fillUsed, { bytes, start, end });
    this.fillUsed += recordBytes;
    return place;
  }

  private writeName(chunkIndex: number, offset: number, name: { bytes: Uint8Array; start: number; end: number }): number {
    const chunk = this.chunks[chunkIndex]!;
    let at = offset;
    let length = name.end - name.start;
    while (length >= 0x80) {
      chunk[at++] = (length & 0x7f) | 0x80;
      length = Math.floor(length / 0x80);
    }
    chunk[at++] = length;
    for (let i = name.start; i < name.end; i++) chunk[at++] = name.bytes[i]!;
    this.chunkNames[chunkIndex]!++;
    return chunkIndex * nameChunkBytes + offset;
  }

  private addChunk(bytes: number): number {
    const index = this.freeChunks.length > 0 ? this.freeChunks.pop()! : this.chunks.length;
    assert(index < nameChunksMax, `more than ${nameChunksMax} chunks of znode names`);
    this.chunks[index] = Buffer.allocUnsafeSlow(bytes);
    this.chunkNames[index] = 0;
    return index;
  }

  private dropName(place: number): void {
    const chunk = place >>> 20;
    // The chunk being filled stays: new names go into it.
    if (--this.chunkNames[chunk]! === 0 && chunk !== this.fillChunk) this.dropChunk(chunk);
  }

  private dropChunk(chunk: number): void {
    this.chunks[chunk] = undefined;
    this.freeChunks.push(chunk);
  }

  private rehash(slotCount: number): void {
    const old = this.slots;
    const slots = new Int32Array(slotCount).fill(emptySlot);
    const tags = new Uint8Array(slotCount);
    for (const id of old) {
      if (id < 0) continue;
      const chunk = this.nameRange(id);
      const mixed = mix(this.hashBytes(this.parent[id]!, chunk, this.nameStart, this.nameEnd));
      let slot = firstSlot(mixed, slotCount);
      while (slots[slot] !== emptySlot) slot = nextSlot(slot, slotCount);
      slots[slot] = id;
      tags[slot] = mixed >>> 24;
    }
    this.slots = slots;
    this.tags = tags;
    this.slotsUsed = this.linked;
  }
}
