// One member of an ensemble, as a deterministic object: the ZAB core and the server core, and the
// driver between them that carries out each Ready in the order its contract demands (persist,
// apply, disconnect, send, role changes, then learners' requests). The simulator and the runtime
// both run this class; they differ only in the disk and peer links they give it and in when they
// call its inputs (tick, step, persisted, disconnected, and client frames through `input`).
//
// Roles: ZAB's role decides the server core's replication (ServerCore.setReplication) — a learner
// in an established epoch forwards writes; a leader prepares only once it has applied its whole log
// (prep validates against the applied tree plus its own pending changes), so learners' requests that
// arrive before then wait in `heldForPrep`; anything else serves no client.
//
// Snapshots: the state a SNAP carries and a periodic snapshot writes is the real snapshot file
// format (storage/snapshot-writer.ts): the tree and the applied sessions at the applied zxid.

import { QuorumPacketType, encodeTxnRecord } from '../proto/index.js';
import { loadSnapshot, serializeSnapshot, snapshotFileFromBody } from '../storage/index.js';
import { DataTree, type InitialCapacity } from '../tree/index.js';
import { assert, zxidToHex } from '../util/index.js';
import {
  type DurableState, type LearnerPayload, type LogEntry, type Outbound, type PersistRecord, type Ready, type RoleChange,
  type ZabConfig, type ZabMessage, ZabCore,
} from '../zab/index.js';
import type { ClientConnection } from './client-connection.js';
import type { ServerConfig } from './config.js';
import { DigestComparison } from './digest-comparison.js';
import { type Clock, ServerCore } from './server-core.js';

/**
 * Where a replica's durable state goes. Every record is written as PersistRecord's contract says: a
 * `txn` is written now and reported durable later (Replica.persisted); any other record is durable
 * when write() returns, or when the promise it returns resolves — until then the replica takes no
 * input and sends nothing (it holds the rest of the Ready). A snapshot record's data is a whole
 * snapshot file.
 */
export interface ReplicaDisk {
  write(record: PersistRecord): void | Promise<void>;
  /** A snapshot of the applied state at `zxid` (snapshot file bytes); ZAB's log window is cut once it is durable. */
  saveSnapshot(zxid: number, data: Uint8Array): void | Promise<void>;
}

/** The links to the other members. */
export interface ReplicaPeers {
  send(outbound: Outbound): void;
  close(peer: number): void;
}

/** What a replica tells its host (checkers, logs); every callback is optional. */
export interface ReplicaEvents {
  /** A committed txn was applied; `digest` is the tree's digest after it. */
  applied?(entry: LogEntry, digest: bigint): void;
  /** The state was replaced by a snapshot from the leader (SNAP); `body` is the SNAP's data. */
  installed?(zxid: number, body: Uint8Array): void;
  /** A periodic snapshot was taken. */
  snapshotTaken?(zxid: number, data: Uint8Array): void;
  roleChanged?(change: RoleChange): void;
  leaderEstablished?(change: RoleChange): void;
}

export interface ReplicaOptions {
  zab: ZabConfig;
  server: ServerConfig;
  clock: Clock;
  disk: ReplicaDisk;
  peers: ReplicaPeers;
  /** What the disk holds: epochs and the log after the snapshot. */
  durable: DurableState;
  /** The snapshot the durable state starts from (snapshot file bytes), or null for an empty tree. */
  snapshot: Uint8Array | null;
  /** Take a snapshot (and compact ZAB's log window) every this many applied txns. */
  snapshotEveryTxns: number;
  events?: ReplicaEvents;
  /** How small the tree's structures start (tests: tiny, to cross their growth). */
  treeCapacity?: InitialCapacity;
}

/** ZooKeeper's names for a member's state, as `srvr` and `mntr` print them. */
const serverStates = { looking: 'looking', leading: 'leader', following: 'follower', observing: 'observer' } as const;

export class Replica {
  readonly core: ServerCore;
  readonly zab: ZabCore;
  /** Digest comparison with the leader through its PINGs (digest-comparison.ts). */
  readonly digests: DigestComparison;
  private readonly options: ReplicaOptions;
  private readonly events: ReplicaEvents;
  private appliedSinceSnapshot = 0;
  /** Leading an established epoch whose log is not yet all applied: learners' requests wait here. */
  private heldForPrep: LearnerPayload[] | null = null;
  /** The Ready being carried out, and how many of its records are written. */
  private current: { ready: Ready; persisted: number } | null = null;
  /** A durable record being written: the rest of the Ready, and every input, wait for it. */
  private held: Promise<void> | null = null;
  private readonly waitingInputs: Array<() => void> = [];

  constructor(options: ReplicaOptions) {
    this.options = options;
    this.events = options.events ?? {};
    this.core = new ServerCore(options.server, options.clock);
    this.core.setReplication({ mode: 'offline' });
    if (options.snapshot !== null) this.install(options.snapshot, options.durable.snapshotZxid);
    assert(this.core.lastZxid === options.durable.snapshotZxid, 'a durable state past zxid 0 starts from a snapshot');
    this.zab = new ZabCore(options.zab, options.durable);
    this.digests = new DigestComparison({ core: this.core, zab: this.zab });
    this.drain();
  }

  get id(): number {
    return this.options.zab.id;
  }

  /** Serving clients: in an established epoch, and as leader with its log applied. */
  get serving(): boolean {
    return this.core.replication.mode !== 'offline';
  }

  /** Runs one input of the server core (a client frame, a closed connection), then what it set off. */
  input(action: (core: ServerCore) => void): void {
    this.whenUnblocked(() => action(this.core));
  }

  tick(): void {
    this.whenUnblocked(() => {
      this.zab.tick();
      this.core.tick();
      if (this.core.replication.mode === 'learner') this.zab.setPingPayload(this.core.sessionReport());
    });
  }

  step(from: number, message: ZabMessage): void {
    this.whenUnblocked(() => {
      this.digests.check(from, message);
      this.zab.step(from, message);
    });
  }

  /** The disk made every txn up to `zxid` durable. */
  persisted(zxid: number): void {
    this.whenUnblocked(() => this.zab.persisted(zxid));
  }

  disconnected(peer: number): void {
    this.whenUnblocked(() => this.zab.disconnected(peer));
  }

  reapContainers(): void {
    this.whenUnblocked(() => this.core.reapContainers());
  }

  /** Inputs wait, in order, while a durable record is being written (ReplicaDisk). */
  private whenUnblocked(input: () => void): void {
    if (this.held !== null) {
      this.waitingInputs.push(input);
      return;
    }
    input();
    this.drain();
  }

  private drain(): void {
    while (this.held === null) {
      if (this.current === null) {
        if (!this.zab.hasReady()) break;
        this.current = { ready: this.zab.ready(), persisted: 0 };
      }
      if (!this.persist(this.current)) return;
      const { ready } = this.current;
      this.current = null;
      this.finish(ready);
    }
    while (this.held === null && this.waitingInputs.length > 0) {
      this.waitingInputs.shift()!();
      this.drain();
    }
  }

  /** Writes the Ready's records from where it stopped; false when one must finish first (held). */
  private persist(current: { ready: Ready; persisted: number }): boolean {
    const { persist } = current.ready;
    while (current.persisted < persist.length) {
      let record = persist[current.persisted++]!;
      if (record.kind === 'snapshot') {
        const file = snapshotFileFromBody(record.data);
        this.install(file, record.zxid);
        this.events.installed?.(record.zxid, record.data);
        record = { kind: 'snapshot', zxid: record.zxid, data: file };
      }
      const written = this.options.disk.write(record);
      if (written !== undefined) {
        this.held = written.then(() => {
          this.held = null;
          this.drain();
        });
        return false;
      }
    }
    return true;
  }

  private finish(ready: Ready): void {
    const { peers } = this.options;
    this.apply(ready.commits);
    for (const peer of ready.disconnects) peers.close(peer);
    for (const outbound of ready.messages) peers.send(this.digests.stamp(this.withSnapshot(outbound)));
    for (const change of ready.roleChanges) this.roleChanged(change);
    for (const payload of ready.fromLearners) this.fromLearner(payload);
    for (const answer of ready.fromLeader) if (this.core.replication.mode === 'learner') this.core.revalidated(answer);
    this.openPrepWhenApplied();
  }

  private apply(commits: readonly LogEntry[]): void {
    if (commits.length === 0) return;
    const applied = this.events.applied;
    if (applied === undefined) {
      this.core.committed(commits);
    } else {
      for (const entry of commits) {
        this.core.committed([entry]);
        applied(entry, this.core.tree.digest());
      }
    }
    this.appliedSinceSnapshot += commits.length;
    if (this.appliedSinceSnapshot >= this.options.snapshotEveryTxns) this.takeSnapshot();
  }

  /** Replaces the state by a snapshot (the initial one, or a SNAP from the leader). */
  private install(data: Uint8Array, zxid: number): void {
    const tree = new DataTree<ClientConnection>({ withSystemNodes: false, initialCapacity: this.options.treeCapacity });
    const loaded = loadSnapshot(`snapshot at 0x${zxidToHex(zxid)}`, data, tree);
    assert(loaded.digest === null || loaded.digest.zxid === zxid, `a snapshot of 0x${zxidToHex(loaded.digest?.zxid ?? 0)} installed as 0x${zxidToHex(zxid)}`);
    tree.lastProcessedZxid = zxid;
    this.core.restore(tree, loaded.sessions);
    this.appliedSinceSnapshot = 0;
  }

  private serialize(options: { bodyOnly: boolean }): Uint8Array {
    const sessions = this.core.appliedSessions;
    return Buffer.concat([...serializeSnapshot(this.core.tree, { sessions, zxid: this.core.lastZxid, bodyOnly: options.bodyOnly })]);
  }

  private takeSnapshot(): void {
    const zxid = this.core.lastZxid;
    const data = this.serialize({ bodyOnly: false });
    this.appliedSinceSnapshot = 0;
    const saved = this.options.disk.saveSnapshot(zxid, data);
    if (saved === undefined) this.zab.compacted(zxid);
    else void saved.then(() => this.zab.compacted(zxid));
    this.events.snapshotTaken?.(zxid, data);
  }

  /** A SNAP packet leaves with this server's state, which must be exactly at its zxid. */
  private withSnapshot(outbound: Outbound): Outbound {
    const { message } = outbound;
    if (message.kind !== 'packet' || message.packet.type !== QuorumPacketType.snap) return outbound;
    assert(this.core.lastZxid === message.packet.zxid, `SNAP at 0x${zxidToHex(message.packet.zxid)} but applied 0x${zxidToHex(this.core.lastZxid)}`);
    return { to: outbound.to, message: { kind: 'packet', packet: { ...message.packet, data: this.serialize({ bodyOnly: true }) } } };
  }

  private roleChanged(change: RoleChange): void {
    this.events.roleChanged?.(change);
    this.core.serverState = change.established ? serverStates[change.role] : this.options.server.readOnlyModeEnabled ? 'read-only' : 'looking';
    this.heldForPrep = null;
    if (!change.established || change.role === 'looking') {
      this.core.setReplication({ mode: 'offline' });
      return;
    }
    if (change.role === 'leading') {
      this.core.setReplication({ mode: 'offline' });
      this.heldForPrep = [];
      this.events.leaderEstablished?.(change);
      return;
    }
    const zab = this.zab;
    this.core.setReplication({
      mode: 'learner',
      forwarder: { forward: (data, authIds) => zab.forward(data, authIds).ok, revalidate: (data) => zab.revalidate(data).ok },
    });
  }

  /**
   * Prep validates against the applied tree plus its own pending changes, so a new leader starts
   * it only once it has applied its whole log (its last txns commit when its own disk has them).
   */
  private openPrepWhenApplied(): void {
    const held = this.heldForPrep;
    if (held === null || this.core.lastZxid !== this.zab.status().lastZxid) return;
    this.heldForPrep = null;
    const zab = this.zab;
    this.core.setReplication({
      mode: 'leader',
      sequencer: {
        nextZxid: () => {
          const next = zab.nextZxid();
          return next.ok ? next.zxid : null;
        },
        propose: (header, txn) => {
          const result = zab.propose(encodeTxnRecord(header, txn));
          assert(result.ok && result.zxid === header.zxid, `prep stamped 0x${zxidToHex(header.zxid)} but ZAB did not take it there`);
        },
      },
    });
    for (const payload of held) this.fromLearner(payload);
  }

  private fromLearner(payload: LearnerPayload): void {
    if (this.heldForPrep !== null) {
      this.heldForPrep.push(payload);
      return;
    }
    if (this.core.replication.mode !== 'leader') return;
    if (payload.kind === 'request') this.core.forwardedRequest(payload.data, { authIds: payload.authinfo, from: payload.from });
    else if (payload.kind === 'revalidate') this.zab.answerRevalidation(payload.from, this.core.revalidation(payload.from, payload.data));
    else this.core.sessionsReported(payload.data);
  }
}
