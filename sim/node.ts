// One simulated server process: the real Replica (src/server/replica.ts: ZabCore, ServerCore, the
// Ready driver, snapshots in the real file format) over a SimDisk and the simulated network. This
// file adds only what a process is to the simulator: starting from what the disk kept, crashing,
// pausing (inputs wait, in order, and run when it resumes), and the checkers' view — each server's
// applied history, kept beside its state (and beside each snapshot) for the checkers alone.

import { QuorumPacketType } from '../src/proto/index.js';
import { type Clock, type Replica as ReplicaType, Replica, type ServerConfig } from '../src/server/index.js';
import type { InitialCapacity } from '../src/tree/index.js';
import { assert } from '../src/util/index.js';
import type { LogEntry, Outbound, RoleChange, ZabConfig, ZabCore } from '../src/zab/index.js';
import type { Checkers } from './checkers.js';
import type { SimClientLink } from './client-link.js';
import { snapshotKey } from './wire.js';
import { SimDisk } from './disk.js';
import type { EventQueue } from './event-queue.js';
import type { Prng } from './prng.js';

export interface NodeEnvironment {
  queue: EventQueue;
  random: Prng;
  checkers: Checkers;
  send(from: number, outbound: Outbound): void;
  close(from: number, to: number): void;
  onRoleChange(id: number, change: RoleChange): void;
  /** The checkers' history of each SNAP sent, by its body (wire.ts snapshotKey), for the server that installs it. */
  snapshotHistories: Map<string, LogEntry[]>;
}

export class SimNode {
  replica: ReplicaType | null = null;
  /** Bumped by each start; -1 while down. */
  incarnation = -1;
  private restarts = 0;
  readonly disk: SimDisk;
  /** The txns this incarnation's state holds, in order (the checkers' record, not the server's). */
  private applied: LogEntry[] = [];
  private pausedUntil = 0;
  private backlog: ((replica: ReplicaType) => void)[] = [];
  /** The most nodes this server's tree has held. */
  nodesMax = 0;
  /** Open client links to this process; they break when it dies. */
  readonly links = new Set<SimClientLink>();

  readonly id: number;
  private readonly environment: NodeEnvironment;
  private readonly snapshotEvery: number;
  private readonly treeCapacity: InitialCapacity | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly config: ZabConfig,
    options: { environment: NodeEnvironment; snapshotEvery: number; treeCapacity?: InitialCapacity; server: ServerConfig },
  ) {
    this.id = config.id;
    this.environment = options.environment;
    this.snapshotEvery = options.snapshotEvery;
    this.treeCapacity = options.treeCapacity;
    this.serverConfig = options.server;
    const { queue, random } = options.environment;
    this.clock = { now: () => queue.now };
    this.disk = new SimDisk({ queue, random, onSynced: (zxid) => this.input((replica) => replica.persisted(zxid)) });
  }

  private readonly serverConfig: ServerConfig;

  get up(): boolean {
    return this.replica !== null;
  }

  /** The ZAB core of the running incarnation (null while down). */
  get core(): ZabCore | null {
    return this.replica?.zab ?? null;
  }

  start(): void {
    assert(this.replica === null, `server ${this.id} is already up`);
    this.restarts += 1;
    this.incarnation = this.restarts;
    this.pausedUntil = 0;
    this.backlog = [];
    const { checkers, snapshotHistories } = this.environment;
    const snapshot = this.disk.snapshot;
    this.applied = snapshot.entries.slice();
    checkers.resetReplica(this.id, this.applied);
    this.replica = new Replica({
      zab: this.config,
      server: this.serverConfig,
      clock: this.clock,
      durable: this.disk.recover(),
      snapshot: snapshot.data,
      snapshotEveryTxns: this.snapshotEvery,
      ...(this.treeCapacity === undefined ? {} : { treeCapacity: this.treeCapacity }),
      disk: {
        // A SNAP's history was installed (events.installed) just before its record is written.
        write: (record) => this.disk.write(record, () => this.applied.slice()),
        saveSnapshot: (zxid, data) => this.disk.takeSnapshot({ zxid, data, entries: this.applied.slice() }),
      },
      peers: {
        send: (outbound) => this.send(outbound),
        close: (peer) => this.environment.close(this.id, peer),
      },
      events: {
        applied: (entry, digest) => {
          this.applied.push(entry);
          checkers.applied(this.id, { entry, digest });
          const nodes = this.replica?.core.tree.nodeCount ?? 0;
          if (nodes > this.nodesMax) this.nodesMax = nodes;
        },
        installed: (zxid, data) => {
          const history = snapshotHistories.get(snapshotKey(zxid, data));
          assert(history !== undefined, `server ${this.id} installed a SNAP the simulator did not see sent`);
          this.applied = history.slice();
          checkers.resetReplica(this.id, this.applied);
        },
        roleChanged: (change) => this.environment.onRoleChange(this.id, change),
        leaderEstablished: (change) => {
          const history = this.history();
          checkers.leaderEstablished(this.id, change.epoch, (zxid) => history.get(zxid));
        },
      },
    });
  }

  private send(outbound: Outbound): void {
    const { message } = outbound;
    if (message.kind === 'packet' && message.packet.type === QuorumPacketType.snap && message.packet.data !== null) {
      this.environment.snapshotHistories.set(snapshotKey(message.packet.zxid, message.packet.data), this.applied.slice());
    }
    this.environment.send(this.id, outbound);
  }

  crash(): void {
    for (const link of [...this.links]) link.serverDied();
    this.pausedUntil = 0;
    this.backlog = [];
    this.replica = null;
    this.incarnation = -1;
    this.disk.crash();
  }

  /** Gives the replica one input (a paused process takes it when it resumes). */
  input(action: (replica: ReplicaType) => void): void {
    if (this.replica === null) return;
    // A paused process (GC, SIGSTOP) handles its backlog, in arrival order, when it resumes.
    if (this.environment.queue.now < this.pausedUntil || this.backlog.length > 0) {
      this.backlog.push(action);
      return;
    }
    action(this.replica);
  }

  /** Freezes the process: inputs wait (ticks included), nothing is sent, the disk keeps going. */
  pause(untilMs: number): void {
    if (this.replica === null) return;
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
        if (this.replica === null) return;
        action(this.replica);
      }
    });
  }

  appliedZxid(): number {
    return this.replica?.core.lastZxid ?? 0;
  }

  /** The txns applied by this incarnation's state, in order (for the end checks). */
  appliedHistory(): readonly LogEntry[] {
    return this.applied;
  }

  /** This server's history: applied state plus the core's log window, zxid → txn. */
  history(): Map<number, string> {
    const history = new Map<number, string>();
    for (const entry of this.applied) history.set(entry.zxid, Buffer.from(entry.data).toString('latin1'));
    for (const entry of this.core?.logEntries() ?? []) history.set(entry.zxid, Buffer.from(entry.data).toString('latin1'));
    return history;
  }
}
