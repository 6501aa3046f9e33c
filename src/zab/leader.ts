// The leader side of ZAB after an election chose this server:
//   discovery: collect FOLLOWERINFO from a quorum; newEpoch = max(acceptedEpoch) + 1; persist it as our
//              acceptedEpoch; LEADERINFO to each learner; ACKEPOCH from a quorum (a learner more recent
//              than us makes us give up, as in ZooKeeper's waitForEpochAck)
//   sync:      per learner DIFF | TRUNC | SNAP + PROPOSAL/COMMIT of the missing history + NEWLEADER;
//              the epoch is established when a quorum (us included, once our history is durable and
//              our currentEpoch written) ACKed NEWLEADER; then COMMIT the history and send UPTODATE
//   broadcast: PROPOSAL to every learner past sync; COMMIT in zxid order once a quorum ACKed
//   liveness:  PING every pingIntervalTicks; drop a silent learner; give up without a synced quorum,
//              or once established when a learner accepted a higher epoch (it could never follow us)

import { QuorumPacketType as Type, decodeIntPayload, encodeIntPayload, quorumProtocolVersion, type QuorumPacket } from '../proto/index.js';
import { assert, epochMax, makeZxid, zxidCounter, zxidEpoch } from '../util/index.js';
import type { ZabContext } from './context.js';
import type { LearnerView, ProposalSizes, ProposeResult, ZabPhase } from './types.js';

type LearnerPhase = LearnerView['phase'];

interface Learner {
  id: number;
  /** Registered with OBSERVERINFO: gets INFORM, never counts in a quorum. */
  observer: boolean;
  phase: LearnerPhase;
  acceptedEpoch: number;
  lastZxid: number;
  /** Sync stream sent: the learner now receives every PROPOSAL and COMMIT. */
  forwarding: boolean;
  /** Last zxid of the history sent in its sync stream. */
  syncEnd: number;
  /** Highest zxid it acknowledged (cumulative: it persists and ACKs in order). */
  acked: number;
  /** Highest zxid it has been told is committed. */
  commitSent: number;
  lastHeardAt: number;
}

const counterLast = 0xfffffffe;

export class Leading {
  private phase: 'discovery' | 'epoch-decided' | 'established' = 'discovery';
  private readonly learners = new Map<number, Learner>();
  private readonly epochAcks = new Set<number>();
  private readonly newLeaderAcks = new Set<number>();
  private newEpoch = -1;
  private selfSynced = false;
  private readonly startedAt: number;
  private nextPingAt: number;
  /** Our state when leading began, against which ACKEPOCH checks that no learner is ahead. */
  private readonly initialEpoch: number;
  private readonly initialZxid: number;
  private readonly sizes: ProposalSizes = { last: -1, min: -1, max: -1 };

  constructor(private readonly context: ZabContext) {
    this.startedAt = context.now;
    this.nextPingAt = context.now;
    this.initialEpoch = context.currentEpoch;
    this.initialZxid = context.log.lastZxid;
    this.maybeDecideEpoch();
  }

  get established(): boolean {
    return this.phase === 'established';
  }

  get epoch(): number {
    return this.newEpoch;
  }

  /** ZooKeeper's ZabState of a leader: discovery until the epoch is decided, then sync, then broadcast. */
  get zabPhase(): ZabPhase {
    return this.phase === 'discovery' ? 'discovery' : this.phase === 'epoch-decided' ? 'synchronization' : 'broadcast';
  }

  /** The connected learners, in connection order (a copy: operators read it, nothing writes it). */
  learnerViews(): LearnerView[] {
    return [...this.learners.values()].map(({ id, observer, phase, acked }) => ({ id, observer, phase, ackedZxid: acked }));
  }

  get proposalSizes(): ProposalSizes {
    return { ...this.sizes };
  }

  private send(to: number, packet: { type: number; zxid: number; data?: Uint8Array }): void {
    this.context.sendPacket(to, { type: packet.type, zxid: packet.zxid, data: packet.data ?? null, authinfo: null });
  }

  private sendLeaderInfo(to: number): void {
    this.send(to, { type: Type.leaderInfo, zxid: makeZxid(this.newEpoch, 0), data: encodeIntPayload(quorumProtocolVersion) });
  }

  receive(from: number, packet: QuorumPacket): void {
    if (packet.type === Type.followerInfo || packet.type === Type.observerInfo) return this.onFollowerInfo(from, packet);
    const learner = this.learners.get(from);
    if (learner === undefined) return;
    learner.lastHeardAt = this.context.now;
    if (packet.type === Type.ackEpoch) this.onAckEpoch(learner, packet);
    else if (packet.type === Type.ack) this.onAck(learner, packet.zxid);
    else if (packet.data !== null && packet.data.length > 0 && learner.phase === 'synced' && this.established) {
      if (packet.type === Type.request) this.context.fromLearner({ from, kind: 'request', data: packet.data, authinfo: packet.authinfo ?? [] });
      else if (packet.type === Type.ping) this.context.fromLearner({ from, kind: 'ping', data: packet.data, authinfo: [] });
      else if (packet.type === Type.revalidate) this.context.fromLearner({ from, kind: 'revalidate', data: packet.data, authinfo: [] });
    }
  }

  /** Answers a learner's REVALIDATE (ZooKeeper: QuorumPacket(REVALIDATE, -1, answer)). */
  answerRevalidation(to: number, data: Uint8Array): void {
    const learner = this.learners.get(to);
    if (learner !== undefined && learner.phase === 'synced') this.send(to, { type: Type.revalidate, zxid: -1, data });
  }

  disconnected(peer: number): void {
    this.learners.delete(peer);
  }

  learnerIds(): number[] {
    return [...this.learners.keys()];
  }

  private onFollowerInfo(from: number, packet: QuorumPacket): void {
    const acceptedEpoch = zxidEpoch(packet.zxid);
    if (this.established && acceptedEpoch > this.newEpoch && this.context.isMember(from)) return this.giveUpForLearnerAhead(from, acceptedEpoch);
    const existing = this.learners.get(from);
    if (existing !== undefined && existing.phase === 'info') {
      // A retried FOLLOWERINFO on the same connection: LEADERINFO again (the learner uses the first).
      if (this.phase !== 'discovery') this.sendLeaderInfo(from);
      return;
    }
    const learner: Learner = {
      id: from, observer: packet.type === Type.observerInfo, phase: 'info', acceptedEpoch, lastZxid: -1, forwarding: false,
      syncEnd: -1, acked: -1, commitSent: -1, lastHeardAt: this.context.now,
    };
    this.learners.set(from, learner);
    if (this.phase === 'discovery') this.maybeDecideEpoch();
    else this.sendLeaderInfo(from);
  }

  /**
   * A learner that accepted an epoch above ours (from a leader that decided it but never established
   * it) refuses our LEADERINFO, and would keep refusing it for as long as we hold our quorum: it can
   * never follow us. ZooKeeper's established leader answers it with its own epoch and the learner
   * goes back to looking, only to find us again. We give up instead, so that a new discovery decides
   * an epoch the learner can take. Before that we raise our acceptedEpoch to the learner's (a server
   * may always refuse more: it is then counted for fewer epochs, never for one twice): any discovery
   * whose quorum includes us then decides an epoch above the learner's. Each such step-down adds one
   * voter to the servers whose acceptedEpoch covers the learner's, and established epochs strictly
   * increase, so without new faults the ensemble converges within min(epoch gap, minority + 1)
   * elections (docs/zab.md, "Learners ahead of the leader's epoch"). An equal acceptedEpoch is the
   * normal case of a learner that reconnects to us (it took our epoch) and is synced as usual. Only
   * configured members can unseat us this way: a stranger naming ever higher epochs could otherwise
   * force an election at will.
   */
  private giveUpForLearnerAhead(from: number, acceptedEpoch: number): void {
    const { context } = this;
    context.setAcceptedEpoch(acceptedEpoch);
    context.closeConnection(from);
    context.requestLooking(`leader: learner ${from} accepted epoch ${acceptedEpoch}, above our established ${this.newEpoch}`);
  }

  private maybeDecideEpoch(): void {
    const { context } = this;
    const connecting = [context.id, ...this.learners.keys()];
    if (!context.quorum.containsQuorum(connecting)) return;
    let highest = context.acceptedEpoch;
    for (const learner of this.learners.values()) highest = Math.max(highest, learner.acceptedEpoch);
    this.newEpoch = highest + 1;
    assert(this.newEpoch <= epochMax, 'epochs exhausted');
    context.setAcceptedEpoch(this.newEpoch);
    this.phase = 'epoch-decided';
    for (const learner of this.learners.values()) this.sendLeaderInfo(learner.id);
    this.epochAcks.add(context.id);
    this.maybeSelfSynced();
  }

  /**
   * Until the epoch is established only learners that accepted it from us count: their FOLLOWERINFO
   * named an older acceptedEpoch. Each server moves its acceptedEpoch to a value once, from one
   * leader, so two leaders cannot both gather a quorum for one epoch. A learner that already had
   * our epoch (from another leader, or from us on an earlier connection) is synced once we are
   * established, when it can no longer tip any quorum.
   */
  private onAckEpoch(learner: Learner, packet: QuorumPacket): void {
    if (learner.phase !== 'info') return;
    const learnerEpoch = decodeIntPayload(packet.data);
    const counts = learner.acceptedEpoch < this.newEpoch;
    if (!this.established && counts && isMoreRecent({ epoch: learnerEpoch, zxid: packet.zxid }, { epoch: this.initialEpoch, zxid: this.initialZxid })) {
      this.context.requestLooking(`leader: learner ${learner.id} is ahead of us`);
      return;
    }
    learner.phase = 'epoch-acked';
    learner.lastZxid = packet.zxid;
    if (counts) this.epochAcks.add(learner.id);
    this.maybeSelfSynced();
    this.syncWaitingLearners();
  }

  private syncWaitingLearners(): void {
    const quorumAckedEpoch = this.context.quorum.containsQuorum(this.epochAcks);
    for (const learner of this.learners.values()) {
      if (learner.phase !== 'epoch-acked' || learner.forwarding) continue;
      if (this.established || (quorumAckedEpoch && learner.acceptedEpoch < this.newEpoch)) this.syncLearner(learner);
    }
  }

  /** Sends the learner what it lacks (DIFF, TRUNC+DIFF or SNAP), then NEWLEADER. */
  private syncLearner(learner: Learner): void {
    const { context } = this;
    const { log } = context;
    const peerLast = learner.lastZxid;
    let start: number;
    if (peerLast === log.lastZxid || log.has(peerLast)) {
      start = peerLast;
      this.send(learner.id, { type: Type.diff, zxid: log.lastZxid });
    } else if (peerLast < log.baseZxid) {
      start = context.appliedZxid;
      this.send(learner.id, { type: Type.snap, zxid: start });
    } else {
      start = log.floor(peerLast);
      if (context.config.injectedBugs?.skipTrunc) this.send(learner.id, { type: Type.diff, zxid: log.lastZxid });
      else this.send(learner.id, { type: Type.trunc, zxid: start });
    }
    // An observer gets committed txns only: the rest reaches it as INFORM once committed.
    const syncEnd = learner.observer ? Math.max(start, Math.min(context.committedZxid, log.lastZxid)) : log.lastZxid;
    // A restarted learner applies nothing from its own log until told: tell it what it already has
    // that is committed (ZooKeeper learners instead replay their whole log, committed or not).
    const committedHeld = Math.min(context.committedZxid, start);
    if (committedHeld > 0) this.send(learner.id, { type: Type.commit, zxid: committedHeld });
    for (const entry of log.range(start, syncEnd)) {
      this.send(learner.id, { type: Type.proposal, zxid: entry.zxid, data: entry.data });
      if (entry.zxid <= context.committedZxid) this.send(learner.id, { type: Type.commit, zxid: entry.zxid });
    }
    this.send(learner.id, { type: Type.newLeader, zxid: makeZxid(this.newEpoch, 0) });
    learner.forwarding = true;
    learner.syncEnd = syncEnd;
    // An observer holds only committed txns up to syncEnd; INFORM starts after them.
    learner.commitSent = learner.observer ? syncEnd : Math.min(context.committedZxid, log.lastZxid);
  }

  private onAck(learner: Learner, zxid: number): void {
    if (zxidCounter(zxid) === 0) {
      if (zxid !== makeZxid(this.newEpoch, 0) || learner.phase !== 'epoch-acked' || !learner.forwarding) return;
      learner.phase = 'synced';
      learner.acked = learner.syncEnd;
      this.newLeaderAcks.add(learner.id);
      if (this.established) {
        this.send(learner.id, { type: Type.upToDate, zxid: -1 });
        this.advanceCommit();
      } else {
        this.maybeEstablish();
      }
      return;
    }
    if (learner.phase !== 'synced') return;
    learner.acked = Math.max(learner.acked, Math.min(zxid, this.context.log.lastZxid));
    this.advanceCommit();
  }

  /**
   * Our own NEWLEADER ACK: once a quorum acknowledged the epoch (as ZooKeeper's lead() waits for
   * waitForEpochAck) and the history we lead with is durable, write currentEpoch (rule 3). Waiting for
   * the quorum matters: two leaders may decide the same epoch, but only one gathers its ACKEPOCHs, so
   * only one can write that currentEpoch over its history, and (currentEpoch, zxid) keeps ordering
   * histories correctly in elections and in the ahead-of-leader check.
   */
  private maybeSelfSynced(): void {
    const { context } = this;
    if (this.selfSynced || this.phase === 'discovery' || !context.quorum.containsQuorum(this.epochAcks)) return;
    if (context.persistedZxid < context.log.lastZxid) return;
    context.setCurrentEpoch(this.newEpoch);
    this.selfSynced = true;
    this.newLeaderAcks.add(context.id);
    this.maybeEstablish();
  }

  private maybeEstablish(): void {
    const { context } = this;
    if (this.established || !this.selfSynced || !context.quorum.containsQuorum(this.newLeaderAcks)) return;
    this.phase = 'established';
    context.roleChange({ role: 'leading', leader: context.id, epoch: this.newEpoch, established: true, reason: 'quorum ACKed NEWLEADER' });
    this.advanceCommit();
    for (const learner of this.learners.values()) {
      if (learner.phase === 'synced') this.send(learner.id, { type: Type.upToDate, zxid: -1 });
    }
    this.syncWaitingLearners();
  }

  /** Commits, in zxid order, everything a quorum has acknowledged. */
  private advanceCommit(): void {
    const { context } = this;
    if (!this.established) return;
    const acked = new Map<number, number>([[context.id, context.persistedZxid]]);
    for (const learner of this.learners.values()) if (learner.phase === 'synced') acked.set(learner.id, learner.acked);
    const highest = context.config.injectedBugs?.commitOnMinority ? context.persistedZxid : context.quorum.quorumHighest(acked);
    if (highest <= context.committedZxid) return;
    const newlyCommitted = context.log.range(context.committedZxid, highest);
    context.commitUpTo(highest);
    for (const learner of this.learners.values()) {
      if (!learner.forwarding) continue;
      for (const entry of newlyCommitted) {
        if (entry.zxid <= learner.commitSent) continue;
        if (learner.observer) this.send(learner.id, { type: Type.inform, zxid: entry.zxid, data: entry.data });
        else this.send(learner.id, { type: Type.commit, zxid: entry.zxid });
      }
      learner.commitSent = Math.max(learner.commitSent, highest);
    }
  }

  persisted(): void {
    this.maybeSelfSynced();
    this.advanceCommit();
  }

  /** The zxid the next proposal gets, or why there is none (prep stamps txns with it). */
  nextZxid(): ProposeResult {
    const { context } = this;
    if (!this.established) return { ok: false, reason: 'not-established' };
    const last = context.log.lastZxid;
    if (zxidEpoch(last) < this.newEpoch) return { ok: true, zxid: makeZxid(this.newEpoch, context.config.firstCounter ?? 1) };
    // The counter would wrap (ZOOKEEPER-1277): the leader must give up so that a new epoch starts.
    if (zxidCounter(last) >= counterLast) {
      this.context.requestLooking('leader: zxid counter exhausted, forcing a new epoch');
      return { ok: false, reason: 'epoch-exhausted' };
    }
    return { ok: true, zxid: last + 1 };
  }

  propose(data: Uint8Array): ProposeResult {
    const next = this.nextZxid();
    if (!next.ok) return next;
    this.context.logTxn({ zxid: next.zxid, data });
    this.sizes.last = data.length;
    this.sizes.min = this.sizes.min === -1 ? data.length : Math.min(this.sizes.min, data.length);
    this.sizes.max = Math.max(this.sizes.max, data.length);
    for (const learner of this.learners.values()) {
      if (learner.forwarding && !learner.observer) this.send(learner.id, { type: Type.proposal, zxid: next.zxid, data });
    }
    return next;
  }

  tick(): void {
    const { context } = this;
    const { initLimitTicks, syncLimitTicks, pingIntervalTicks } = context.config;
    if (context.now >= this.nextPingAt) {
      this.nextPingAt = context.now + pingIntervalTicks;
      for (const learner of this.learners.values()) this.send(learner.id, { type: Type.ping, zxid: context.committedZxid });
    }
    for (const learner of [...this.learners.values()]) {
      const limit = learner.phase === 'synced' ? syncLimitTicks : initLimitTicks;
      if (context.now - learner.lastHeardAt > limit) {
        this.learners.delete(learner.id);
        context.closeConnection(learner.id);
      }
    }
    if (!this.established) {
      if (context.now - this.startedAt > initLimitTicks) context.requestLooking('leader: no quorum for the new epoch within initLimit');
      return;
    }
    const synced = [context.id];
    for (const learner of this.learners.values()) if (learner.phase === 'synced') synced.push(learner.id);
    if (!context.quorum.containsQuorum(synced)) context.requestLooking('leader: lost its synced quorum');
  }
}

interface StateSummary {
  epoch: number;
  zxid: number;
}

/** ZooKeeper's StateSummary.isMoreRecentThan: a higher currentEpoch, or the same and a higher zxid. */
function isMoreRecent(state: StateSummary, than: StateSummary): boolean {
  return state.epoch > than.epoch || (state.epoch === than.epoch && state.zxid > than.zxid);
}
