// The in-memory window of a server's txn history that the core needs: entries after `baseZxid`.
// Invariants: zxids strictly increase and have no gaps inside an epoch (counter + 1); a new epoch may
// start at any counter. Every lookup is a binary search over the zxids (O(log n)); a range costs
// O(log n + k) for k entries returned.
//
// What the window keeps: every entry not yet applied (the core still has to apply, ACK or sync it),
// and, of the applied ones, the newest that fit in `LogWindowBounds` (txns and bytes). That applied
// tail is what a DIFF sync reads; a learner whose last zxid is below it gets a SNAP. The base moves
// up in two ways only, both dropping applied entries: the driver's snapshot (compact) and the bounds
// (trimApplied). The base always counts as part of the history: it is either a snapshot's zxid or
// the last dropped entry's.
//
// Layout: three parallel arrays indexed from `head` (zxids for the searches, the entries, and the
// cumulative data bytes for the byte bound). Dropping from the front advances `head`; the arrays are
// copied down once the dropped prefix is as long as the live part, so a drop costs O(1) amortized and
// the arrays hold at most twice the live window.

import { assert, zxidCounter, zxidEpoch, zxidToHex } from '../util/index.js';
import type { LogEntry, LogWindowBounds } from './types.js';

/** True when `next` may directly follow `previous` in a history (no gap inside an epoch). */
export function isNextZxid(previous: number, next: number): boolean {
  const previousEpoch = zxidEpoch(previous);
  const nextEpoch = zxidEpoch(next);
  if (nextEpoch === previousEpoch) return zxidCounter(next) === zxidCounter(previous) + 1;
  return nextEpoch > previousEpoch && zxidCounter(next) > 0;
}

export interface ZabLogOptions {
  /** Zxid of the snapshot the history starts from (0: empty). */
  baseZxid: number;
  /** Entries after it, in order, without gaps. */
  entries?: readonly LogEntry[];
  /** How much applied history to keep for DIFF syncs (default: unbounded). */
  bounds?: LogWindowBounds;
}

const unbounded: LogWindowBounds = { appliedTxnsMax: Number.POSITIVE_INFINITY, appliedBytesMax: Number.POSITIVE_INFINITY };

export class ZabLog {
  private base: number;
  private readonly bounds: LogWindowBounds;
  private head = 0;
  private zxids: number[] = [];
  private entries: LogEntry[] = [];
  /** byteEnds[i]: data bytes of entries[0..i], counted from the last copy-down. */
  private byteEnds: number[] = [];

  constructor(options: ZabLogOptions) {
    this.base = options.baseZxid;
    this.bounds = options.bounds ?? unbounded;
    assert(this.bounds.appliedTxnsMax >= 0 && this.bounds.appliedBytesMax >= 0, 'log window bounds must not be negative');
    for (const entry of options.entries ?? []) this.append(entry);
  }

  get baseZxid(): number {
    return this.base;
  }

  get lastZxid(): number {
    return this.zxids.length === this.head ? this.base : this.zxids[this.zxids.length - 1]!;
  }

  get length(): number {
    return this.zxids.length - this.head;
  }

  /** Data bytes of the entries in the window. */
  get bytes(): number {
    return this.bytesBefore(this.zxids.length) - this.bytesBefore(this.head);
  }

  /** Array slots held: the live entries plus the dropped ones not yet copied down (at most twice the live). */
  get slots(): number {
    return this.zxids.length;
  }

  append(entry: LogEntry): void {
    const last = this.lastZxid;
    assert(isNextZxid(last, entry.zxid), `zxid gap: 0x${zxidToHex(entry.zxid)} after 0x${zxidToHex(last)}`);
    this.byteEnds.push(this.bytesBefore(this.zxids.length) + entry.data.length);
    this.zxids.push(entry.zxid);
    this.entries.push(entry);
  }

  /** True when the history has this zxid: the base counts, entries below it are unknown (false). */
  has(zxid: number): boolean {
    return zxid === this.base || this.indexOf(zxid) >= 0;
  }

  get(zxid: number): LogEntry | undefined {
    const index = this.indexOf(zxid);
    return index < 0 ? undefined : this.entries[index];
  }

  /** The largest zxid of the history that is <= zxid, or -1 when that lies below the base. */
  floor(zxid: number): number {
    if (zxid < this.base) return -1;
    const index = this.firstAfter(zxid) - 1;
    return index < this.head ? this.base : this.zxids[index]!;
  }

  /** Entries with after < zxid <= upTo, in order. */
  range(after: number, upTo: number): LogEntry[] {
    const from = this.firstAfter(after);
    const to = this.firstAfter(upTo);
    return from < to ? this.entries.slice(from, to) : [];
  }

  /** Drops every entry after zxid; zxid must be in the history. */
  truncateAfter(zxid: number): void {
    assert(this.has(zxid), `truncate to 0x${zxidToHex(zxid)}, which is not in the log`);
    const end = this.firstAfter(zxid);
    this.zxids.length = end;
    this.entries.length = end;
    this.byteEnds.length = end;
    this.copyDownIfSparse();
  }

  /** Forgets entries up to zxid (they are in a snapshot now). */
  compact(zxid: number): void {
    if (zxid <= this.base) return;
    assert(zxid <= this.lastZxid, `compact past the end of the log: 0x${zxidToHex(zxid)}`);
    this.dropBefore(this.firstAfter(zxid));
    this.base = zxid;
  }

  /**
   * Everything up to appliedZxid is applied: drops the oldest applied entries beyond the bounds
   * (fewest dropped such that at most appliedTxnsMax entries and appliedBytesMax bytes remain).
   */
  trimApplied(appliedZxid: number): void {
    const appliedEnd = this.firstAfter(appliedZxid);
    let keepFrom = Math.max(this.head, appliedEnd - this.bounds.appliedTxnsMax);
    const appliedBytesEnd = this.bytesBefore(appliedEnd);
    if (appliedBytesEnd - this.bytesBefore(keepFrom) > this.bounds.appliedBytesMax) {
      // The smallest index whose applied suffix fits the byte bound (cumulative bytes only grow).
      let low = keepFrom + 1;
      let high = appliedEnd;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (appliedBytesEnd - this.bytesBefore(middle) > this.bounds.appliedBytesMax) low = middle + 1;
        else high = middle;
      }
      keepFrom = low;
    }
    if (keepFrom === this.head) return;
    this.base = this.zxids[keepFrom - 1]!;
    this.dropBefore(keepFrom);
  }

  /** Replaces the whole history by a snapshot at zxid. */
  reset(zxid: number): void {
    this.head = 0;
    this.zxids = [];
    this.entries = [];
    this.byteEnds = [];
    this.base = zxid;
  }

  /** Index of the entry with this zxid, or -1. */
  private indexOf(zxid: number): number {
    const index = this.firstAfter(zxid) - 1;
    return index >= this.head && this.zxids[index] === zxid ? index : -1;
  }

  /** The first index in [head, end] whose zxid is above `zxid` (end when there is none). */
  private firstAfter(zxid: number): number {
    const { zxids } = this;
    let low = this.head;
    let high = zxids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (zxids[middle]! <= zxid) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private bytesBefore(index: number): number {
    return index === 0 ? 0 : this.byteEnds[index - 1]!;
  }

  private dropBefore(index: number): void {
    this.head = index;
    this.copyDownIfSparse();
  }

  /** Copies the live part down once the dropped prefix is at least as long (amortized O(1) per drop). */
  private copyDownIfSparse(): void {
    if (this.head === 0 || this.head < this.length) return;
    const dropped = this.bytesBefore(this.head);
    this.zxids = this.zxids.slice(this.head);
    this.entries = this.entries.slice(this.head);
    this.byteEnds = this.byteEnds.slice(this.head).map((end) => end - dropped);
    this.head = 0;
  }
}
