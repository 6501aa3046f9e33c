// One simulated server: the real ZabCore, a SimDisk, and the real DataTree as its state machine
// (state-machine.ts). It is the driver of its core: after every input it drains ready() in the order
// the Ready contract prescribes (persist, apply, send), and reports what happened to the checkers.

import { JuteReader, JuteWriter, QuorumPacketType } from '../src/proto/index.js';
import { assert, zxidToHex } from '../src/util/index.js';
import {
  ZabCore, type LearnerPayload, type LogEntry, type Outbound, type Ready, type RoleChange, type ZabConfig, type ZabMessage,
} from '../src/zab/index.js';
import type { Checkers } from './checkers.js';
import { SimDisk } from './disk.js';
import { type AppliedTxn, TreeStateMachine } from './state-machine.js';
import type { InitialCapacity } from '../src/tree/index.js';
import type { EventQueue } from './event-queue.js';
import type { Prng } from './prng.js';

export interface NodeEnvironment {
  queue: EventQueue;
  random: Prng;
  checkers: Checkers;
  send(from: number, outbound: Outbound): void;
  close(from: number, to: number): void;
  /** A txn this server applied: its client layer answers the request it completes. */
  onApplied(id: number, entry: LogEntry, applied: AppliedTxn): void;
  onRoleChange(id: number, change: RoleChange): void;
  /** Leader only: requests and session reports its learners sent up. */
  onFromLearners(id: number, payloads: readonly LearnerPayload[]): void;
}

export function encodeStateMachine(entries: readonly LogEntry[]): Buffer {
  const writer = new JuteWriter(64);
  writer.vector(entries, (w, entry) => w.long(entry.zxid).buffer(entry.data));
  return writer.toBuffer();
}

export function decodeStateMachine(data: Uint8Array): LogEntry[] {
  return new JuteReader(data).vector((reader) => ({ zxid: reader.long(), data: reader.buffer() ?? new Uint8Array(0) })) ?? [];
}

export class SimNode {
  core: ZabCore | null = null;
  /** Bumped by each start; -1 while down. */
  incarnation = -1;
  private restarts = 0;
  readonly disk: SimDisk;
  readonly stateMachine: TreeStateMachine;
  private appliedSinceSnapshot = 0;
  private pausedUntil = 0;
  private backlog: ((core: ZabCore) => void)[] = [];

  readonly id: number;
  private readonly environment: NodeEnvironment;
  /** Take a snapshot (and compact the core's log) every this many applied txns. */
  private readonly snapshotEvery: number;

  constructor(
    private readonly config: ZabConfig,
    options: { environment: NodeEnvironment; snapshotEvery: number; treeCapacity?: InitialCapacity },
  ) {
    this.id = config.id;
    this.stateMachine = new TreeStateMachine(options.treeCapacity);
    this.environment = options.environment;
    this.snapshotEvery = options.snapshotEvery;
    const { queue, random } = options.environment;
    this.disk = new SimDisk({ queue, random, onSynced: (zxid) => this.input((core) => core.persisted(zxid)) });
  }

  get up(): boolean {
    return this.core !== null;
  }

  start(): void {
    assert(this.core === null, `server ${this.id} is already up`);
    this.restarts += 1;
    this.incarnation = this.restarts;
    this.pausedUntil = 0;
    this.backlog = [];
    this.stateMachine.reset(this.disk.snapshot.entries);
    this.appliedSinceSnapshot = 0;
    this.environment.checkers.resetReplica(this.id, this.stateMachine.applied);
    this.core = new ZabCore(this.config, this.disk.recover());
    this.drain();
  }

  crash(): void {
    this.pausedUntil = 0;
    this.backlog = [];
    this.core = null;
    this.incarnation = -1;
    this.disk.crash();
  }

  /** Gives the core one input, then processes what it produced. */
  input(action: (core: ZabCore) => void): void {
    if (this.core === null) return;
    // A paused process (GC, SIGSTOP) handles its backlog, in arrival order, when it resumes.
    if (this.environment.queue.now < this.pausedUntil || this.backlog.length > 0) {
      this.backlog.push(action);
      return;
    }
    action(this.core);
    this.drain();
  }

  /** Freezes the process: inputs wait (ticks included), nothing is sent, the disk keeps going. */
  pause(untilMs: number): void {
    if (this.core === null) return;
    const paused = this.environment.queue.now < this.pausedUntil;
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
    if (!paused) this.scheduleResume();
  }

  private scheduleResume(): void {
    const { queue } = this.environment;
    const incarnation = this.incarnation;
    queue.at(this.pausedUntil, () => {
      if (this.incarnation !== incarnation) return;
      if (queue.now < this.pausedUntil) return this.scheduleResume();
      const backlog = this.backlog;
      this.backlog = [];
      for (const action of backlog) {
        if (this.core === null) return;
        action(this.core);
        this.drain();
      }
    });
  }

  private drain(): void {
    const core = this.core;
    if (core === null) return;
    while (core.hasReady()) this.process(core.ready());
  }

  private process(ready: Ready): void {
    const { checkers } = this.environment;
    for (const record of ready.persist) {
      this.disk.write(record, decodeStateMachine);
      if (record.kind === 'snapshot') {
        this.stateMachine.reset(this.disk.snapshot.entries);
        this.appliedSinceSnapshot = 0;
        checkers.resetReplica(this.id, this.stateMachine.applied);
      }
    }
    for (const entry of ready.commits) {
      const applied = this.stateMachine.apply(entry);
      this.appliedSinceSnapshot += 1;
      checkers.applied(this.id, { entry, digest: applied.digest });
      this.environment.onApplied(this.id, entry, applied);
    }
    if (this.appliedSinceSnapshot >= this.snapshotEvery) this.takeSnapshot();
    for (const peer of ready.disconnects) this.environment.close(this.id, peer);
    for (const { to, message } of ready.messages) {
      this.environment.send(this.id, { to, message: this.withSnapshot(message) });
    }
    for (const change of ready.roleChanges) {
      this.environment.onRoleChange(this.id, change);
      if (change.role === 'leading' && change.established) {
        const history = this.history();
        checkers.leaderEstablished(this.id, change.epoch, (zxid) => history.get(zxid));
      }
    }
    if (ready.fromLearners.length > 0) this.environment.onFromLearners(this.id, ready.fromLearners);
  }

  /** A SNAP packet leaves with this server's state machine, which must be exactly at its zxid. */
  private withSnapshot(message: ZabMessage): ZabMessage {
    if (message.kind !== 'packet' || message.packet.type !== QuorumPacketType.snap) return message;
    const appliedZxid = this.appliedZxid();
    assert(appliedZxid === message.packet.zxid, `SNAP at 0x${zxidToHex(message.packet.zxid)} but applied 0x${zxidToHex(appliedZxid)}`);
    return { kind: 'packet', packet: { ...message.packet, data: encodeStateMachine(this.stateMachine.applied) } };
  }

  private takeSnapshot(): void {
    const zxid = this.appliedZxid();
    this.disk.takeSnapshot({ zxid, entries: this.stateMachine.applied.slice() });
    this.appliedSinceSnapshot = 0;
    this.core?.compacted(zxid);
  }

  appliedZxid(): number {
    return this.stateMachine.appliedZxid;
  }

  /** This server's history: applied state plus the core's log window, zxid → txn. */
  history(): Map<number, string> {
    const history = new Map<number, string>();
    for (const entry of this.stateMachine.applied) history.set(entry.zxid, Buffer.from(entry.data).toString('latin1'));
    for (const entry of this.core?.logEntries() ?? []) history.set(entry.zxid, Buffer.from(entry.data).toString('latin1'));
    return history;
  }
}
