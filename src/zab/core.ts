// ZabCore: one server's ZAB as a pure, synchronous state machine (etcd-raft style). Inputs are
// tick(), step(from, message), propose(txn), persisted(zxid), compacted(zxid) and disconnected(peer);
// the output is ready(), to be taken after every input and processed as its doc comment says.
// No I/O, no timers, no randomness: the same inputs give the same outputs.
//
// Roles: looking (Election) → following (Following) or leading (Leading) → back to looking when a
// role gives up (timeouts, lost quorum, a refused epoch, a broken connection to the leader).

import { type Id, QuorumPacketType, ServerState, type QuorumPacket } from '../proto/index.js';
import { assert, zxidToHex } from '../util/index.js';
import { ZabContext } from './context.js';
import { Election } from './election.js';
import { Following } from './follower.js';
import { Leading } from './leader.js';
import type {
  DurableState, ForwardResult, LearnerView, LogEntry, ProposalSizes, ProposeResult, Ready, Role, ZabConfig, ZabMessage, ZabPhase,
} from './types.js';

export const emptyDurableState: DurableState = { acceptedEpoch: 0, currentEpoch: 0, snapshotZxid: 0, log: [] };

export interface ZabStatus {
  role: Role;
  leader: number;
  /** Epoch being established or led (-1 while looking or before LEADERINFO). */
  epoch: number;
  established: boolean;
  acceptedEpoch: number;
  currentEpoch: number;
  lastZxid: number;
  persistedZxid: number;
  committedZxid: number;
  appliedZxid: number;
  electionEpoch: number;
}

export class ZabCore {
  private readonly context: ZabContext;
  private readonly election: Election;
  private role: Leading | Following | null = null;
  /** FOLLOWERINFO that arrived while we were still looking: a leader-to-be processes it on taking office. */
  private readonly earlyFollowerInfo = new Map<number, QuorumPacket>();

  constructor(config: ZabConfig, durable: DurableState = emptyDurableState) {
    const observers = config.observers ?? [];
    assert(config.voters.includes(config.id) !== observers.includes(config.id), `server ${config.id} must be either a voter or an observer`);
    assert(!config.voters.some((id) => observers.includes(id)), 'a server cannot be both a voter and an observer');
    for (const key of ['initLimitTicks', 'syncLimitTicks', 'pingIntervalTicks', 'finalizeWaitTicks', 'electionResendTicks', 'connectRetryTicks'] as const) {
      assert(Number.isInteger(config[key]) && config[key] > 0, `${key} must be a positive integer`);
    }
    this.context = new ZabContext(config, durable);
    this.election = new Election(this.context);
    this.becomeLooking('started');
  }

  tick(): void {
    this.context.now += 1;
    if (this.role === null) {
      const decision = this.election.tick();
      if (decision !== null) this.decide(decision.leader);
    } else {
      this.role.tick();
    }
    this.settle();
  }

  step(from: number, message: ZabMessage): void {
    if (message.kind === 'notification') {
      if (this.role === null) {
        const decision = this.election.receive(from, message.notification);
        if (decision !== null) this.decide(decision.leader);
      } else {
        const state = this.role instanceof Leading ? ServerState.leading : this.context.isObserver ? ServerState.observing : ServerState.following;
        const roleEpoch = this.role.established ? this.role.epoch : -1;
        this.election.answerWhileDecided(from, { asked: message.notification, state, roleEpoch });
      }
    } else {
      this.receivePacket(from, message.packet);
    }
    this.settle();
  }

  private receivePacket(from: number, packet: QuorumPacket): void {
    if (this.role instanceof Leading) this.role.receive(from, packet);
    else if (this.role instanceof Following) {
      if (from === this.role.leader) this.role.receive(packet);
    } else if (packet.type === QuorumPacketType.followerInfo) {
      this.earlyFollowerInfo.set(from, packet);
    }
  }

  propose(data: Uint8Array): ProposeResult {
    if (!(this.role instanceof Leading)) return { ok: false, reason: 'not-leader' };
    const result = this.role.propose(data);
    this.settle();
    return result;
  }

  /** Learner: sends a client request to the leader over the quorum connection (REQUEST packet). */
  forward(data: Uint8Array, authinfo: readonly Id[] = []): ForwardResult {
    if (!(this.role instanceof Following)) return { ok: false, reason: 'not-following' };
    return this.role.forward(data, authinfo) ? { ok: true } : { ok: false, reason: 'not-established' };
  }

  /** Learner: asks the leader whether a reattaching session lives (REVALIDATE); the answer comes in Ready.fromLeader. */
  revalidate(data: Uint8Array): ForwardResult {
    if (!(this.role instanceof Following)) return { ok: false, reason: 'not-following' };
    return this.role.revalidate(data) ? { ok: true } : { ok: false, reason: 'not-established' };
  }

  /** Leader: the answer to a learner's REVALIDATE. */
  answerRevalidation(learner: number, data: Uint8Array): void {
    if (this.role instanceof Leading) this.role.answerRevalidation(learner, data);
  }

  /** Learner: the session liveness report for the next PING reply (replaces an unsent one). */
  setPingPayload(data: Uint8Array | null): void {
    this.context.pingPayload = data;
  }

  /**
   * The zxid propose() would assign now (a leader's prep stamps the txn header with it). When the
   * epoch's counter is used up the leader steps down, as propose() would, so a new epoch starts.
   */
  nextZxid(): ProposeResult {
    if (!(this.role instanceof Leading)) return { ok: false, reason: 'not-leader' };
    const next = this.role.nextZxid();
    this.settle();
    return next;
  }

  /** The driver made every txn up to zxid durable. */
  persisted(zxid: number): void {
    const { context } = this;
    assert(zxid <= context.log.lastZxid, `persisted 0x${zxidToHex(zxid)} beyond the log's end 0x${zxidToHex(context.log.lastZxid)}`);
    if (zxid <= context.persistedZxid) return;
    context.persistedZxid = zxid;
    this.role?.persisted();
    this.settle();
  }

  /** The driver holds a durable snapshot at zxid (applied state): the log window may drop entries up to it. */
  compacted(zxid: number): void {
    assert(zxid <= this.context.appliedZxid, 'compacting beyond the applied state');
    this.context.log.compact(zxid);
  }

  /** The connection to peer broke: messages sent to it since may be lost, so its protocol state is void. */
  disconnected(peer: number): void {
    this.earlyFollowerInfo.delete(peer);
    if (this.role instanceof Leading) this.role.disconnected(peer);
    else if (this.role instanceof Following && this.role.leader === peer) this.context.requestLooking(`follower: connection to leader ${peer} lost`);
    this.settle();
  }

  ready(): Ready {
    return this.context.takeReady();
  }

  hasReady(): boolean {
    return this.context.hasReady();
  }

  status(): ZabStatus {
    const { context, role } = this;
    return {
      role: role === null ? 'looking' : role instanceof Leading ? 'leading' : context.isObserver ? 'observing' : 'following',
      leader: role === null ? -1 : role instanceof Leading ? context.id : role.leader,
      epoch: role === null ? -1 : role.epoch,
      established: role?.established ?? false,
      acceptedEpoch: context.acceptedEpoch,
      currentEpoch: context.currentEpoch,
      lastZxid: context.log.lastZxid,
      persistedZxid: context.persistedZxid,
      committedZxid: context.committedZxid,
      appliedZxid: context.appliedZxid,
      electionEpoch: this.election.electionEpoch,
    };
  }

  /** ZooKeeper's ZabState: election while looking, then the role's phase. */
  zabPhase(): ZabPhase {
    return this.role === null ? 'election' : this.role.zabPhase;
  }

  /** Leader only: the learners connected to it, with their phase; empty on any other role. */
  learners(): LearnerView[] {
    return this.role instanceof Leading ? this.role.learnerViews() : [];
  }

  /** Leader only: sizes of the txns proposed in this term; all -1 on any other role. */
  proposalSizes(): ProposalSizes {
    return this.role instanceof Leading ? this.role.proposalSizes : { last: -1, min: -1, max: -1 };
  }

  /** The in-memory log window (entries after its base: the last snapshot or the last txn its bounds dropped), for checkers and tests. */
  logEntries(): LogEntry[] {
    return this.context.log.range(-1, Number.MAX_SAFE_INTEGER);
  }

  private decide(leader: number): void {
    const { context } = this;
    if (leader === context.id) {
      context.roleChange({ role: 'leading', leader, epoch: -1, established: false, reason: 'elected' });
      const leading = new Leading(context);
      this.role = leading;
      for (const [from, packet] of this.earlyFollowerInfo) leading.receive(from, packet);
    } else {
      this.role = new Following(context, leader);
      context.roleChange({ role: context.isObserver ? 'observing' : 'following', leader, epoch: -1, established: false, reason: 'elected' });
    }
    this.earlyFollowerInfo.clear();
  }

  private becomeLooking(reason: string): void {
    const { context } = this;
    context.lookingRequest = null;
    if (this.role instanceof Following) context.closeConnection(this.role.leader);
    else if (this.role instanceof Leading) for (const peer of this.role.learnerIds()) context.closeConnection(peer);
    this.role = null;
    context.roleChange({ role: 'looking', leader: -1, epoch: context.currentEpoch, established: false, reason });
    this.election.start();
  }

  /** A role asked to give up during the last input: start a new election round. */
  private settle(): void {
    const reason = this.context.lookingRequest;
    if (reason !== null) this.becomeLooking(reason);
  }
}
