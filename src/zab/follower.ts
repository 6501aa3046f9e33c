// The learner side of ZAB (follower, or observer when this server does not vote) after an election
// chose another server as leader. An observer registers with OBSERVERINFO, never ACKs proposals and
// receives each committed txn as one INFORM packet instead of PROPOSAL + COMMIT. The phases:
//   discovery: FOLLOWERINFO(acceptedEpoch) → LEADERINFO(newEpoch) → persist acceptedEpoch, ACKEPOCH
//   sync:      DIFF | TRUNC | SNAP, then PROPOSAL/COMMIT of the missing history, then NEWLEADER;
//              once every synced txn is durable: persist currentEpoch, then ACK(NEWLEADER)
//   broadcast: UPTODATE; PROPOSAL → log → (persisted) → ACK; COMMIT → apply; PING → PING
// Relies on the driver's per-connection FIFO and its disconnect report: a gap is a broken invariant.

import {
  type Id, QuorumPacketType as Type, encodeIntPayload, encodeLearnerInfo, quorumProtocolVersion,
  type QuorumPacket,
} from '../proto/index.js';
import { assert, makeZxid, zxidCounter, zxidEpoch, zxidToHex } from '../util/index.js';
import type { ZabContext } from './context.js';
import type { ZabPhase } from './types.js';

type Phase = 'connecting' | 'syncing' | 'acked-newleader' | 'broadcast';

const learnerPacketTypes: ReadonlySet<number> = new Set([Type.followerInfo, Type.observerInfo, Type.ackEpoch, Type.ack, Type.request]);
// REVALIDATE goes both ways: a learner asks, its leader answers (the answer is what a follower receives).

export class Following {
  private phase: Phase = 'connecting';
  private readonly startedAt: number;
  private lastHeardAt: number;
  private nextConnectAt: number;
  private newEpoch = -1;
  /** NEWLEADER's zxid while its ACK waits for the synced history to be durable. */
  private pendingNewLeader: number | null = null;
  /** Our last zxid when NEWLEADER arrived: its ACK covers the history up to there. */
  private newLeaderSyncEnd = -1;
  /** Highest zxid ACKed to the leader on this connection. */
  private lastAcked = -1;

  constructor(
    private readonly context: ZabContext,
    readonly leader: number,
  ) {
    this.startedAt = context.now;
    this.lastHeardAt = context.now;
    this.nextConnectAt = context.now;
    this.sendFollowerInfo();
  }

  get established(): boolean {
    return this.phase === 'broadcast';
  }

  get epoch(): number {
    return this.newEpoch;
  }

  /** ZooKeeper's ZabState of a learner: discovery until LEADERINFO, sync until UPTODATE, then broadcast. */
  get zabPhase(): ZabPhase {
    return this.phase === 'connecting' ? 'discovery' : this.phase === 'broadcast' ? 'broadcast' : 'synchronization';
  }

  private send(packet: { type: number; zxid: number; data?: Uint8Array; authinfo?: Id[] }): void {
    this.context.sendPacket(this.leader, { type: packet.type, zxid: packet.zxid, data: packet.data ?? null, authinfo: packet.authinfo ?? null });
  }

  private sendFollowerInfo(): void {
    const { context } = this;
    const info = encodeLearnerInfo({ serverId: context.id, protocolVersion: quorumProtocolVersion, configVersion: 0 });
    this.send({ type: context.isObserver ? Type.observerInfo : Type.followerInfo, zxid: makeZxid(context.acceptedEpoch, 0), data: info });
    this.nextConnectAt = context.now + context.config.connectRetryTicks;
  }

  tick(): void {
    const { context } = this;
    const { initLimitTicks, syncLimitTicks } = context.config;
    if (this.phase === 'connecting' && context.now >= this.nextConnectAt) this.sendFollowerInfo();
    if (this.phase !== 'broadcast' && context.now - this.startedAt > initLimitTicks) {
      context.requestLooking(`follower: no sync with leader ${this.leader} within initLimit`);
    } else if (this.phase === 'broadcast' && context.now - this.lastHeardAt > syncLimitTicks) {
      context.requestLooking(`follower: leader ${this.leader} silent beyond syncLimit`);
    }
  }

  receive(packet: QuorumPacket): void {
    // The server we follow may itself be following us (elections raced): what it sends as a learner
    // is not for us, as a ZooKeeper follower accepts no learner connections. initLimit sorts it out.
    if (learnerPacketTypes.has(packet.type)) return;
    this.lastHeardAt = this.context.now;
    if (this.phase === 'connecting') {
      assert(packet.type === Type.leaderInfo || packet.type === Type.ping, `follower: packet ${packet.type} before LEADERINFO`);
    }
    switch (packet.type) {
      case Type.leaderInfo: return this.onLeaderInfo(packet);
      case Type.diff: return this.onSyncHead(packet);
      case Type.trunc: return this.onSyncHead(packet);
      case Type.snap: return this.onSyncHead(packet);
      case Type.proposal: return this.onProposal(packet);
      case Type.commit: return this.onCommit(packet.zxid);
      case Type.inform: return this.onInform(packet);
      case Type.newLeader: return this.onNewLeader(packet.zxid);
      case Type.upToDate: return this.onUpToDate();
      case Type.ping: return this.replyToPing();
      case Type.revalidate:
        if (this.phase === 'broadcast' && packet.data !== null) this.context.fromLeader(packet.data);
        return;
      default: return;
    }
  }

  /** The PING reply carries the driver's session report, once (ZooKeeper's touched-sessions list). */
  private replyToPing(): void {
    const { context } = this;
    const data = this.phase === 'broadcast' ? context.pingPayload : null;
    if (data !== null) context.pingPayload = null;
    this.send({ type: Type.ping, zxid: context.log.lastZxid, ...(data === null ? {} : { data }) });
  }

  /** Asks the leader whether a session reattaching here lives (REVALIDATE, ordered with this learner's REQUESTs). */
  revalidate(data: Uint8Array): boolean {
    if (this.phase !== 'broadcast') return false;
    this.send({ type: Type.revalidate, zxid: -1, data });
    return true;
  }

  /** Sends a client request up to the leader (REQUEST), on the connection that carries everything else. */
  forward(data: Uint8Array, authinfo: readonly Id[]): boolean {
    if (this.phase !== 'broadcast') return false;
    this.send({ type: Type.request, zxid: 0, data, authinfo: [...authinfo] });
    return true;
  }

  private onLeaderInfo(packet: QuorumPacket): void {
    if (this.phase !== 'connecting') return;
    const { context } = this;
    const epoch = zxidEpoch(packet.zxid);
    if (epoch > context.acceptedEpoch) {
      context.setAcceptedEpoch(epoch);
    } else if (epoch < context.acceptedEpoch) {
      context.requestLooking(`follower: leader ${this.leader} proposed epoch ${epoch} below our accepted ${context.acceptedEpoch}`);
      return;
    }
    // An epoch equal to acceptedEpoch is accepted, as in ZooKeeper; the leader does not count such a
    // learner towards establishing its epoch (see Leading.onAckEpoch).
    this.newEpoch = epoch;
    this.phase = 'syncing';
    // ZooKeeper sends -1 when the epoch was already accepted; we always send currentEpoch so the
    // leader can always check that it is not behind us.
    this.send({ type: Type.ackEpoch, zxid: context.log.lastZxid, data: encodeIntPayload(context.currentEpoch) });
  }

  private onSyncHead(packet: QuorumPacket): void {
    assert(this.phase === 'syncing', `follower: sync packet ${packet.type} in phase ${this.phase}`);
    const { context } = this;
    if (packet.type === Type.trunc) {
      context.truncateAfter(packet.zxid);
    } else if (packet.type === Type.snap) {
      assert(packet.data !== null, 'SNAP without a snapshot');
      context.installSnapshot(packet.zxid, packet.data);
    }
    // DIFF needs no action: the missing txns follow as PROPOSAL packets.
  }

  private onProposal(packet: QuorumPacket): void {
    const { context } = this;
    assert(this.phase !== 'connecting', 'follower: PROPOSAL before LEADERINFO');
    assert(packet.data !== null, 'PROPOSAL without a txn');
    context.logTxn({ zxid: packet.zxid, data: packet.data });
    if (context.config.injectedBugs?.ackBeforePersist && this.phase !== 'syncing') this.ack(packet.zxid);
  }

  /** An observer's committed txn: log it and apply it (a quorum of voters already has it durable). */
  private onInform(packet: QuorumPacket): void {
    const { context } = this;
    assert(context.isObserver && this.phase !== 'connecting', `INFORM in phase ${this.phase}`);
    assert(packet.data !== null, 'INFORM without a txn');
    context.logTxn({ zxid: packet.zxid, data: packet.data });
    context.commitUpTo(packet.zxid);
  }

  private onCommit(zxid: number): void {
    const { context } = this;
    assert(zxid <= context.log.lastZxid, `COMMIT of 0x${zxidToHex(zxid)} which is not in the log`);
    context.commitUpTo(zxid);
  }

  private onNewLeader(zxid: number): void {
    assert(this.phase === 'syncing', `follower: NEWLEADER in phase ${this.phase}`);
    assert(zxidEpoch(zxid) === this.newEpoch && zxidCounter(zxid) === 0, 'NEWLEADER of another epoch');
    this.pendingNewLeader = zxid;
    this.newLeaderSyncEnd = this.context.log.lastZxid;
    this.tryAckNewLeader();
  }

  /** Rules 2 and 3: every synced txn durable, then currentEpoch, then ACK(NEWLEADER). */
  private tryAckNewLeader(): void {
    const { context } = this;
    if (this.pendingNewLeader === null || context.persistedZxid < this.newLeaderSyncEnd) return;
    context.setCurrentEpoch(this.newEpoch, this.newLeaderSyncEnd);
    this.send({ type: Type.ack, zxid: this.pendingNewLeader });
    this.pendingNewLeader = null;
    this.lastAcked = this.newLeaderSyncEnd;
    this.phase = 'acked-newleader';
    // Live txns that arrived while we waited are ACKed now if durable, else when they are.
    this.persisted();
  }

  private onUpToDate(): void {
    assert(this.phase === 'acked-newleader', `follower: UPTODATE in phase ${this.phase}`);
    this.phase = 'broadcast';
    const role = this.context.isObserver ? 'observing' : 'following';
    this.context.roleChange({ role, leader: this.leader, epoch: this.newEpoch, established: true, reason: 'UPTODATE' });
  }

  /** The driver made the log durable up to context.persistedZxid. */
  persisted(): void {
    if (this.pendingNewLeader !== null) return this.tryAckNewLeader();
    if (this.context.isObserver || (this.phase !== 'acked-newleader' && this.phase !== 'broadcast')) return;
    for (const entry of this.context.log.range(this.lastAcked, this.context.persistedZxid)) this.ack(entry.zxid);
  }

  private ack(zxid: number): void {
    this.context.assertAckable(zxid);
    if (zxid <= this.lastAcked) return;
    this.send({ type: Type.ack, zxid });
    this.lastAcked = zxid;
  }
}
