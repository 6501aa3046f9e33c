// Simulated disk of one server: epochs, one snapshot, and a txn log whose tail stays volatile until
// an fsync completes (after a random latency; slower while the disk is "slow"). A crash loses every
// write not yet synced. Epoch files, truncations and snapshot installs are synchronous, as the
// core's Ready contract asks.

import type { DurableState, LogEntry, PersistRecord } from '../src/zab/index.js';
import type { EventQueue } from './event-queue.js';
import type { Prng } from './prng.js';

export interface Snapshot {
  zxid: number;
  /** The snapshot file's bytes (null: the empty state at zxid 0). */
  data: Uint8Array | null;
  /** The applied history up to zxid, kept beside the bytes for the checkers (not read by the server). */
  entries: LogEntry[];
}

export class SimDisk {
  acceptedEpoch = 0;
  currentEpoch = 0;
  snapshot: Snapshot = { zxid: 0, data: null, entries: [] };
  log: LogEntry[] = [];
  /** Entries of `log` (a prefix) that are durable. */
  synced = 0;
  slow = false;
  private generation = 0;
  private syncInFlight = false;

  private readonly queue: EventQueue;
  private readonly random: Prng;
  /** Called when an fsync completes, with the last durable zxid. */
  private readonly onSynced: (zxid: number) => void;

  constructor(options: { queue: EventQueue; random: Prng; onSynced: (zxid: number) => void }) {
    this.queue = options.queue;
    this.random = options.random;
    this.onSynced = options.onSynced;
  }

  /** `historyOf`: the checkers' applied history of a snapshot being installed. */
  write(record: PersistRecord, historyOf: (data: Uint8Array) => LogEntry[]): void {
    switch (record.kind) {
      case 'txn':
        this.log.push(record.entry);
        this.scheduleSync();
        return;
      case 'truncate':
        this.log = this.log.filter((entry) => entry.zxid <= record.zxid);
        this.synced = Math.min(this.synced, this.log.length);
        this.restartSync();
        return;
      case 'snapshot':
        this.snapshot = { zxid: record.zxid, data: record.data, entries: historyOf(record.data) };
        this.log = [];
        this.synced = 0;
        this.restartSync();
        return;
      case 'acceptedEpoch':
        this.acceptedEpoch = record.epoch;
        return;
      case 'currentEpoch':
        this.currentEpoch = record.epoch;
        return;
    }
  }

  /** A snapshot the server took of its own applied state (compaction). */
  takeSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
  }

  private restartSync(): void {
    this.generation += 1;
    this.syncInFlight = false;
    this.scheduleSync();
  }

  private scheduleSync(): void {
    if (this.syncInFlight || this.synced >= this.log.length) return;
    this.syncInFlight = true;
    const generation = this.generation;
    const count = this.log.length;
    const latency = this.slow ? this.random.int(30, 300) : this.random.int(1, 4);
    this.queue.after(latency, () => {
      if (generation !== this.generation) return;
      this.syncInFlight = false;
      this.synced = Math.max(this.synced, count);
      this.onSynced(this.lastDurableZxid());
      this.scheduleSync();
    });
  }

  lastDurableZxid(): number {
    const last = this.synced > 0 ? this.log[this.synced - 1]!.zxid : 0;
    return Math.max(this.snapshot.zxid, last);
  }

  /** Is every written txn up to zxid durable (synced, or covered by the snapshot)? */
  durableThrough(zxid: number): boolean {
    for (let i = this.synced; i < this.log.length; i++) {
      const entry = this.log[i]!;
      if (entry.zxid > this.snapshot.zxid && entry.zxid <= zxid) return false;
    }
    return true;
  }

  lastWrittenZxid(): number {
    return this.log.length === 0 ? this.snapshot.zxid : Math.max(this.snapshot.zxid, this.log[this.log.length - 1]!.zxid);
  }

  /** Is this zxid in the durable history (snapshot or synced log)? */
  durablyHas(zxid: number): boolean {
    if (zxid <= this.snapshot.zxid) return zxid === 0 || this.snapshot.entries.some((entry) => entry.zxid === zxid);
    for (let i = 0; i < this.synced; i++) if (this.log[i]!.zxid === zxid) return true;
    return false;
  }

  crash(): void {
    this.log.length = this.synced;
    this.generation += 1;
    this.syncInFlight = false;
    this.slow = false;
  }

  recover(): DurableState {
    return {
      acceptedEpoch: this.acceptedEpoch,
      currentEpoch: this.currentEpoch,
      snapshotZxid: this.snapshot.zxid,
      log: this.log.filter((entry) => entry.zxid > this.snapshot.zxid),
    };
  }
}
