// The in-memory window of a server's txn history that the core needs: entries after `baseZxid` (the
// zxid of the latest snapshot, below which the driver has compacted). Invariants: zxids strictly
// increase and have no gaps inside an epoch (counter + 1); a new epoch may start at any counter.

import { assert, zxidCounter, zxidEpoch, zxidToHex } from '../util/index.js';
import type { LogEntry } from './types.js';

/** True when `next` may directly follow `previous` in a history (no gap inside an epoch). */
export function isNextZxid(previous: number, next: number): boolean {
  const previousEpoch = zxidEpoch(previous);
  const nextEpoch = zxidEpoch(next);
  if (nextEpoch === previousEpoch) return zxidCounter(next) === zxidCounter(previous) + 1;
  return nextEpoch > previousEpoch && zxidCounter(next) > 0;
}

export class ZabLog {
  private entries: LogEntry[];

  constructor(
    private base: number,
    entries: readonly LogEntry[],
  ) {
    this.entries = [];
    for (const entry of entries) this.append(entry);
  }

  get baseZxid(): number {
    return this.base;
  }

  get lastZxid(): number {
    return this.entries.length === 0 ? this.base : this.entries[this.entries.length - 1]!.zxid;
  }

  get length(): number {
    return this.entries.length;
  }

  append(entry: LogEntry): void {
    const last = this.lastZxid;
    assert(isNextZxid(last, entry.zxid), `zxid gap: 0x${zxidToHex(entry.zxid)} after 0x${zxidToHex(last)}`);
    this.entries.push(entry);
  }

  /** Index of the entry with this zxid, or -1. */
  private indexOf(zxid: number): number {
    let low = 0;
    let high = this.entries.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const value = this.entries[middle]!.zxid;
      if (value === zxid) return middle;
      if (value < zxid) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
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
    let result = this.base;
    for (const entry of this.entries) {
      if (entry.zxid > zxid) break;
      result = entry.zxid;
    }
    return result;
  }

  /** Entries with after < zxid <= upTo, in order. */
  range(after: number, upTo: number): LogEntry[] {
    return this.entries.filter((entry) => entry.zxid > after && entry.zxid <= upTo);
  }

  /** Drops every entry after zxid; zxid must be in the history. */
  truncateAfter(zxid: number): void {
    assert(this.has(zxid), `truncate to 0x${zxidToHex(zxid)}, which is not in the log`);
    this.entries = this.entries.filter((entry) => entry.zxid <= zxid);
  }

  /** Forgets entries up to zxid (they are in a snapshot now). */
  compact(zxid: number): void {
    if (zxid <= this.base) return;
    assert(zxid <= this.lastZxid, `compact past the end of the log: 0x${zxidToHex(zxid)}`);
    this.entries = this.entries.filter((entry) => entry.zxid > zxid);
    this.base = zxid;
  }

  /** Replaces the whole history by a snapshot at zxid. */
  reset(zxid: number): void {
    this.entries = [];
    this.base = zxid;
  }
}
