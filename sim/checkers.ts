// The simulator's checkers, fed with every apply, snapshot install, role change and sent message:
//  - at most one established leader per epoch;
//  - every txn committed in an earlier epoch is in the history of each newly established leader;
//  - one txn per zxid; each replica applies in zxid order without skipping a committed zxid
//    (prefix agreement and primary order); every replica's tree digest after a zxid is the same;
//  - rule 1: an ACK names a durable zxid; rules 2-3: ACK(NEWLEADER) only with the whole log synced
//    and currentEpoch on disk;
//  - acknowledged writes respect real time: a write sent after another was acknowledged follows it;
//  - (at the end) every acknowledged write is applied on the final leader.
// A violation throws SimViolation; the run stops there with its seed.

import { QuorumPacketType } from '../src/proto/index.js';
import { zxidCounter, zxidEpoch, zxidToHex } from '../src/util/index.js';
import type { LogEntry, ZabMessage } from '../src/zab/index.js';
import type { SimDisk } from './disk.js';

export class SimViolation extends Error {
  override name = 'SimViolation';
}

const hex = (zxid: number): string => `0x${zxidToHex(zxid)}`;
const text = (data: Uint8Array): string => Buffer.from(data).toString('latin1');

/** A message as it leaves or reaches `server`, with that server's disk. */
export interface ServerMessage {
  server: number;
  message: ZabMessage;
  disk: SimDisk;
}

interface ReplicaView {
  applied: Map<number, string>;
  lastApplied: number;
}

export class Checkers {
  /** zxid → txn, for every txn some replica applied. */
  readonly committed = new Map<number, string>();
  private committedSorted: number[] = [];
  readonly leaderByEpoch = new Map<number, number>();
  private readonly digestAfter = new Map<number, bigint>();
  private readonly replicas = new Map<number, ReplicaView>();
  /** Writes a leader applied after proposing them (the client heard "ok"): label → zxid and txn. */
  readonly acknowledged = new Map<string, { zxid: number; text: string }>();

  private replica(id: number): ReplicaView {
    let view = this.replicas.get(id);
    if (view === undefined) {
      view = { applied: new Map(), lastApplied: 0 };
      this.replicas.set(id, view);
    }
    return view;
  }

  /** A replica's state machine was reset to a snapshot (restart or SNAP from the leader). */
  resetReplica(id: number, entries: readonly LogEntry[]): void {
    const view: ReplicaView = { applied: new Map(), lastApplied: 0 };
    this.replicas.set(id, view);
    for (const entry of entries) this.applied(id, { entry });
  }

  /** A replica applied a txn; `digest` is its tree digest after it (absent when replaying a snapshot). */
  applied(id: number, applied: { entry: LogEntry; digest?: bigint }): void {
    const { entry, digest } = applied;
    const view = this.replica(id);
    const data = text(entry.data);
    if (entry.zxid <= view.lastApplied) throw new SimViolation(`server ${id} applied ${hex(entry.zxid)} after ${hex(view.lastApplied)}`);
    const known = this.committed.get(entry.zxid);
    if (known !== undefined && known !== data) {
      throw new SimViolation(`two txns committed at ${hex(entry.zxid)}: ${JSON.stringify(known)} and ${JSON.stringify(data)} (server ${id})`);
    }
    const skipped = this.firstCommittedAfter(view.lastApplied);
    if (skipped !== undefined && skipped < entry.zxid) {
      throw new SimViolation(`server ${id} applied ${hex(entry.zxid)} but skipped committed ${hex(skipped)}`);
    }
    if (known === undefined) this.newlyCommitted(id, { zxid: entry.zxid, data });
    if (digest !== undefined) {
      const expected = this.digestAfter.get(entry.zxid);
      if (expected !== undefined && expected !== digest) {
        throw new SimViolation(`server ${id}'s tree digest after ${hex(entry.zxid)} differs from another replica's`);
      }
      this.digestAfter.set(entry.zxid, digest);
    }
    view.applied.set(entry.zxid, data);
    view.lastApplied = entry.zxid;
  }

  private newlyCommitted(by: number, txn: { zxid: number; data: string }): void {
    const { zxid, data } = txn;
    for (const [other, view] of this.replicas) {
      if (other !== by && view.lastApplied > zxid && !view.applied.has(zxid)) {
        throw new SimViolation(`server ${by} committed ${hex(zxid)} but server ${other} already applied past it without it`);
      }
    }
    this.committed.set(zxid, data);
    const sorted = this.committedSorted;
    let index = sorted.length;
    while (index > 0 && sorted[index - 1]! > zxid) index--;
    sorted.splice(index, 0, zxid);
  }

  private firstCommittedAfter(zxid: number): number | undefined {
    const sorted = this.committedSorted;
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle]! <= zxid) low = middle + 1;
      else high = middle;
    }
    return sorted[low];
  }

  /**
   * A leader established its epoch; `history` looks up a txn in its snapshot, state or log. It must
   * hold every txn committed in an earlier epoch. (A later epoch may already have committed txns:
   * a leader paused while establishing finishes after its successor; it can no longer commit.)
   */
  leaderEstablished(id: number, epoch: number, history: (zxid: number) => string | undefined): void {
    const previous = this.leaderByEpoch.get(epoch);
    if (previous !== undefined && previous !== id) {
      throw new SimViolation(`two leaders established epoch ${epoch}: servers ${previous} and ${id}`);
    }
    this.leaderByEpoch.set(epoch, id);
    for (const [zxid, data] of this.committed) {
      if (zxidEpoch(zxid) >= epoch) continue;
      const held = history(zxid);
      if (held !== data) throw new SimViolation(`leader ${id} of epoch ${epoch} lacks committed ${hex(zxid)}`);
    }
  }

  /** The history each server had written when NEWLEADER reached it: its ACK(NEWLEADER) vouches for it. */
  private readonly historyAtNewLeader = new Map<number, number>();

  messageDelivered(event: ServerMessage): void {
    const { server, message, disk } = event;
    if (message.kind === 'packet' && message.packet.type === QuorumPacketType.newLeader) this.historyAtNewLeader.set(server, disk.lastWrittenZxid());
  }

  /** Durability rules, checked on each message as it leaves a server. */
  messageSent(event: ServerMessage): void {
    const { server: from, message, disk } = event;
    if (message.kind !== 'packet' || message.packet.type !== QuorumPacketType.ack) return;
    const zxid = message.packet.zxid;
    if (zxidCounter(zxid) !== 0) {
      if (!disk.durablyHas(zxid)) throw new SimViolation(`server ${from} ACKed ${hex(zxid)} before it was durable (rule 1)`);
      return;
    }
    if (!disk.durableThrough(this.historyAtNewLeader.get(from) ?? Number.MAX_SAFE_INTEGER)) throw new SimViolation(`server ${from} ACKed NEWLEADER with unsynced txns (rule 2)`);
    if (disk.currentEpoch !== zxidEpoch(zxid)) throw new SimViolation(`server ${from} ACKed NEWLEADER before writing currentEpoch (rule 3)`);
  }

  /** Highest zxid of an acknowledged write so far. */
  lastAcknowledgedZxid = 0;

  /**
   * A client heard "ok" for a write it sent when `floor` was the last acknowledged zxid: real-time
   * order (linearizability of writes) demands that it comes after that one.
   */
  writeAcknowledged(write: { label: string; zxid: number; floor: number }): void {
    const { label, zxid, floor } = write;
    if (zxid <= floor) {
      throw new SimViolation(`write ${label} (${hex(zxid)}) was sent after ${hex(floor)} was acknowledged but is ordered before it`);
    }
    const text = this.committed.get(zxid);
    if (text === undefined) throw new SimViolation(`write ${label} was acknowledged at ${hex(zxid)}, which no server applied`);
    this.acknowledged.set(label, { zxid, text });
    this.lastAcknowledgedZxid = Math.max(this.lastAcknowledgedZxid, zxid);
  }

  /** At the end: every acknowledged write is on the final leader, and replicas agree on a prefix. */
  finalCheck(leader: number): void {
    const leaderView = this.replica(leader);
    for (const [label, { zxid, text }] of this.acknowledged) {
      if (leaderView.applied.get(zxid) !== text) {
        throw new SimViolation(`acknowledged write ${label} at ${hex(zxid)} is not on the final leader ${leader}`);
      }
    }
    for (const [id, view] of this.replicas) {
      for (const [zxid, data] of view.applied) {
        if (zxid <= leaderView.lastApplied && leaderView.applied.get(zxid) !== data) {
          throw new SimViolation(`server ${id} applied ${hex(zxid)} which the final leader ${leader} did not`);
        }
      }
    }
  }

  lastApplied(id: number): number {
    return this.replica(id).lastApplied;
  }
}
