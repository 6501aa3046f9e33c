// Fast leader election (ZooKeeper's FastLeaderElection) as a tick-driven state machine.
// A looking server proposes itself, adopts any better vote (higher peerEpoch, then zxid, then server
// id), and decides once a quorum holds its vote and no better vote arrived during the finalize wait.
// It also joins an ensemble that already has a leader when a quorum reports FOLLOWING/LEADING that
// leader and the leader itself says LEADING (checkLeader). Election epochs (logicalclock) live in
// memory only, as in ZooKeeper.

import { ServerState, notificationVersion, type Notification } from '../proto/index.js';
import type { ZabContext } from './context.js';

export interface Vote {
  leader: number;
  zxid: number;
  electionEpoch: number;
  peerEpoch: number;
  state: ServerState;
}

export interface Decision {
  leader: number;
  vote: Vote;
}

/** ZooKeeper's totalOrderPredicate: is (leader, zxid, peerEpoch) `a` better than `b`? */
export function isBetterVote(a: Pick<Vote, 'leader' | 'zxid' | 'peerEpoch'>, b: Pick<Vote, 'leader' | 'zxid' | 'peerEpoch'>): boolean {
  if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

/** Vote.equals: votes of servers out of the election match on leader and peerEpoch only. */
function sameVote(a: Vote, b: Vote): boolean {
  if (a.state === ServerState.looking || b.state === ServerState.looking) {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}

const resendBackoffMax = 8;

export class Election {
  /** ZooKeeper's logicalclock: the round of election this server is in. */
  electionEpoch = 0;
  /** This server's vote: its proposal while looking, the decided leader afterwards. */
  vote: Vote;
  private received = new Map<number, Vote>();
  private outOfElection = new Map<number, Vote>();
  private finalizeAt: number | null = null;
  private silentTicks = 0;
  private resendTicks: number;

  constructor(private readonly context: ZabContext) {
    this.vote = this.selfVote(ServerState.looking);
    this.resendTicks = context.config.electionResendTicks;
  }

  /** An observer proposes nobody (ZooKeeper: Long.MIN_VALUE), so any voter's vote is better. */
  private selfVote(state: ServerState): Vote {
    const { context } = this;
    if (context.isObserver) return { leader: -1, zxid: -1, electionEpoch: this.electionEpoch, peerEpoch: -1, state };
    return { leader: context.id, zxid: context.log.lastZxid, electionEpoch: this.electionEpoch, peerEpoch: context.currentEpoch, state };
  }

  /** Starts a new round (lookForLeader): vote for ourselves and tell everyone. */
  start(): void {
    this.electionEpoch += 1;
    this.received.clear();
    this.outOfElection.clear();
    this.finalizeAt = null;
    this.silentTicks = 0;
    this.resendTicks = this.context.config.electionResendTicks;
    this.propose(this.selfVote(ServerState.looking));
    // A one-voter ensemble is its own quorum.
    if (this.hasQuorumFor(this.received, this.vote)) this.finalizeAt = this.context.now + this.context.config.finalizeWaitTicks;
  }

  private propose(vote: Vote): void {
    this.vote = { ...vote, electionEpoch: this.electionEpoch, state: ServerState.looking };
    this.received.set(this.context.id, this.vote);
    this.finalizeAt = null;
    for (const peer of this.context.peers) this.notify(peer);
  }

  private notify(peer: number): void {
    this.context.sendNotification(peer, toNotification(this.vote));
  }

  /**
   * A notification while this server is following or leading: tell a looking sender who leads.
   * Once the leader's new epoch is known we report it as peerEpoch (ZooKeeper reports the epoch of
   * the election that chose the leader): servers that joined the leader through different rounds
   * then still agree, so a late server sees a quorum for the leader and joins it.
   */
  answerWhileDecided(from: number, answer: { asked: Notification; state: ServerState; roleEpoch: number }): void {
    const { asked, state, roleEpoch } = answer;
    if (asked.state !== ServerState.looking || !this.context.isMember(from)) return;
    const peerEpoch = roleEpoch >= 0 ? roleEpoch : this.vote.peerEpoch;
    this.context.sendNotification(from, toNotification({ ...this.vote, peerEpoch, electionEpoch: this.electionEpoch, state }));
  }

  /** A notification while looking; returns the decision when this one completes the election. */
  receive(from: number, notification: Notification): Decision | null {
    if (from === this.context.id || !this.context.isMember(from)) return null;
    if (!this.context.quorum.isVoter(from)) {
      // An observer asks who leads; its own vote never counts (WorkerReceiver answers it the same way).
      if (notification.state === ServerState.looking) this.notify(from);
      return null;
    }
    this.silentTicks = 0;
    const { leader, zxid, electionEpoch, peerEpoch, state } = notification;
    const vote: Vote = { leader, zxid, electionEpoch, peerEpoch, state };
    if (notification.state === ServerState.looking) return this.receiveLooking(from, vote);
    if (notification.state === ServerState.observing) return null;
    return this.receiveDecided(from, vote);
  }

  private receiveLooking(from: number, vote: Vote): Decision | null {
    if (vote.electionEpoch < this.electionEpoch) {
      // The sender is behind: bring it to our round (WorkerReceiver does this in ZooKeeper).
      this.notify(from);
      return null;
    }
    if (vote.electionEpoch > this.electionEpoch) {
      this.electionEpoch = vote.electionEpoch;
      this.received.clear();
      const own = this.selfVote(ServerState.looking);
      this.propose(isBetterVote(vote, own) ? vote : own);
    } else if (isBetterVote(vote, this.vote)) {
      this.propose(vote);
    } else if (isBetterVote(this.vote, vote)) {
      // The sender has not seen our better vote (lost while a connection was down). ZooKeeper waits
      // for its own resend timeout, which the sender's notifications keep resetting: tell it now.
      this.notify(from);
    }
    this.received.set(from, vote);
    if (!this.hasQuorumFor(this.received, this.vote)) this.finalizeAt = null;
    else this.finalizeAt ??= this.context.now + this.context.config.finalizeWaitTicks;
    return null;
  }

  private receiveDecided(from: number, vote: Vote): Decision | null {
    if (vote.electionEpoch === this.electionEpoch) {
      this.received.set(from, vote);
      if (this.hasQuorumFor(this.received, vote) && this.leaderConfirmed(this.received, vote)) return this.decide(vote);
    }
    this.outOfElection.set(from, vote);
    if (this.hasQuorumFor(this.outOfElection, vote) && this.leaderConfirmed(this.outOfElection, vote)) {
      this.electionEpoch = vote.electionEpoch;
      return this.decide(vote);
    }
    return null;
  }

  /** checkLeader: a leader other than us must itself say it is leading; if it is us, the round must match. */
  private leaderConfirmed(votes: Map<number, Vote>, vote: Vote): boolean {
    if (vote.leader !== this.context.id) return votes.get(vote.leader)?.state === ServerState.leading;
    return vote.electionEpoch === this.electionEpoch;
  }

  private hasQuorumFor(votes: Map<number, Vote>, vote: Vote): boolean {
    const agreeing: number[] = [];
    for (const [id, other] of votes) if (sameVote(other, vote)) agreeing.push(id);
    return this.context.quorum.containsQuorum(agreeing);
  }

  private decide(vote: Vote): Decision {
    this.vote = { ...vote, electionEpoch: this.electionEpoch };
    this.finalizeAt = null;
    return { leader: vote.leader, vote: this.vote };
  }

  /** A tick while looking: decide after a quiet finalize wait, re-send the vote after silence. */
  tick(): Decision | null {
    if (this.finalizeAt !== null && this.context.now >= this.finalizeAt) return this.decide(this.vote);
    this.silentTicks += 1;
    if (this.silentTicks >= this.resendTicks) {
      this.silentTicks = 0;
      this.resendTicks = Math.min(this.resendTicks * 2, this.context.config.electionResendTicks * resendBackoffMax);
      for (const peer of this.context.peers) this.notify(peer);
    }
    return null;
  }
}

function toNotification(vote: Vote): Notification {
  return {
    state: vote.state,
    leader: vote.leader,
    zxid: vote.zxid,
    electionEpoch: vote.electionEpoch,
    peerEpoch: vote.peerEpoch,
    version: notificationVersion,
    config: new Uint8Array(0),
  };
}
