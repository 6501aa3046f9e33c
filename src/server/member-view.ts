// What operators see of an ensemble member, read-only: its ZAB role and phase as ZooKeeper names
// them, the leader's learners, the membership from zoo.cfg, and the digest comparison's counters.
// The four-letter words and the AdminServer (admin/) print it; nothing here changes the replica.

import type { LearnerView, ProposalSizes, RoleChange } from '../zab/index.js';
import type { EnsembleMembership } from './config.js';
import type { DigestComparison } from './digest-comparison.js';
import type { Replica } from './replica.js';
import type { Clock } from './server-core.js';

type Member = EnsembleMembership['members'][number];

/** ZooKeeper's ServerState names, as `zk_peer_state` prints them (lower case). */
const peerStateNames = { looking: 'looking', leading: 'leading', following: 'following', observing: 'observing' } as const;

export class MemberView {
  /** Clock time the current leadership was established; null unless leading an established epoch. */
  private leadingSinceMs: number | null = null;

  constructor(private readonly parts: { replica: Replica; membership: EnsembleMembership; clock: Clock }) {}

  /** Tell the view of each role change (ReplicaEvents.roleChanged), for the leader's uptime. */
  roleChanged(change: RoleChange): void {
    this.leadingSinceMs = change.role === 'leading' && change.established ? this.parts.clock.now() : null;
  }

  get myId(): number {
    return this.parts.membership.myId;
  }

  get me(): Member {
    return this.member(this.myId)!;
  }

  get members(): readonly Member[] {
    return this.parts.membership.members;
  }

  member(id: number): Member | undefined {
    return this.parts.membership.members.find((member) => member.id === id);
  }

  /**
   * Serving clients (ZooKeeper: its ZooKeeperServer is running): in an established epoch, a leader
   * with its log applied — or cut off from its quorum in read-only mode (ReadOnlyZooKeeperServer).
   */
  get serving(): boolean {
    return this.parts.replica.serving || this.parts.replica.core.serverState === 'read-only';
  }

  get isLeader(): boolean {
    return this.parts.replica.zab.status().role === 'leading';
  }

  /** The leader followed or led; -1 while looking. */
  get leaderId(): number {
    return this.parts.replica.zab.status().leader;
  }

  /** `zk_peer_state`: ZooKeeper's getDetailedPeerState, e.g. "following - broadcast", "looking". */
  get peerState(): string {
    const zab = this.parts.replica.zab;
    const phase = zab.zabPhase();
    const role = peerStateNames[zab.status().role];
    return phase === 'election' ? role : `${role} - ${phase}`;
  }

  get zabPhase(): string {
    return this.parts.replica.zab.zabPhase();
  }

  /** `zk_quorum_size`: the voting members (ZooKeeper's QuorumVerifier.getVotingMembers().size()). */
  get quorumSize(): number {
    return this.members.filter((member) => member.role === 'participant').length;
  }

  /** Leader only: its learners (empty elsewhere). */
  learners(): LearnerView[] {
    return this.parts.replica.zab.learners();
  }

  /** Leader only: voting learners that receive every proposal (ZooKeeper's getForwardingFollowers). */
  get syncedFollowers(): number {
    return this.learners().filter((learner) => !learner.observer && learner.phase === 'synced').length;
  }

  /** Leader only: observers past sync (ZooKeeper's getObservingLearners). */
  get syncedObservers(): number {
    return this.learners().filter((learner) => learner.observer && learner.phase === 'synced').length;
  }

  /** Leader only: milliseconds since the epoch was established (0 elsewhere). */
  get leaderUptimeMs(): number {
    return this.leadingSinceMs === null ? 0 : this.parts.clock.now() - this.leadingSinceMs;
  }

  get proposalSizes(): ProposalSizes {
    return this.parts.replica.zab.proposalSizes();
  }

  /**
   * The zxid ZooKeeper reports as last processed (srvr's Zxid, zabstate's last_zxid): the applied
   * one, except that an established leader reports at least its epoch's zxid 0, as ZooKeeper's leader
   * sets its database's zxid to (epoch, 0) on taking office.
   */
  get reportedZxid(): number {
    const { replica } = this.parts;
    const status = replica.zab.status();
    const applied = replica.core.lastZxid;
    if (status.role !== 'leading' || !status.established) return applied;
    return Math.max(applied, status.epoch * 2 ** 32);
  }

  get digests(): DigestComparison {
    return this.parts.replica.digests;
  }
}
