// The state one server's roles share: durable epochs, the log window, what the driver has reported
// persisted, the commit and apply watermarks, and the outbox that becomes the next Ready. Role
// objects (election, leader, follower) change state only through these methods, which is where the
// durability rules of DESIGN.md are asserted.

import { type Notification, type QuorumPacket } from '../proto/index.js';
import { assert, limits, zxidToHex } from '../util/index.js';
import { MajorityQuorum } from './quorum-verifier.js';
import { ZabLog } from './zab-log.js';
import type { DurableState, LearnerPayload, LogEntry, Ready, RoleChange, ZabConfig } from './types.js';

export class ZabContext {
  readonly quorum: MajorityQuorum;
  readonly log: ZabLog;
  /** Ticks since the core was created: the only clock. */
  now = 0;
  acceptedEpoch: number;
  currentEpoch: number;
  /** Highest zxid the driver reported durable (it never exceeds the log's last zxid). */
  persistedZxid: number;
  /** Highest zxid known committed. */
  committedZxid: number;
  /** Highest zxid handed to the driver to apply. */
  appliedZxid: number;
  /** Set by a role that must give up; the core then starts looking. */
  lookingRequest: string | null = null;
  private ready: Ready = emptyReady();
  /** Learner only: the session report the next PING reply carries (set by the driver). */
  pingPayload: Uint8Array | null = null;

  constructor(
    readonly config: ZabConfig,
    durable: DurableState,
  ) {
    this.quorum = new MajorityQuorum(config.voters);
    assert(durable.currentEpoch <= durable.acceptedEpoch, 'currentEpoch is above acceptedEpoch');
    const bounds = config.logWindow ?? { appliedTxnsMax: limits.zabLogAppliedTxnsMax, appliedBytesMax: limits.zabLogAppliedBytesMax };
    this.log = new ZabLog({ baseZxid: durable.snapshotZxid, entries: durable.log, bounds });
    this.acceptedEpoch = durable.acceptedEpoch;
    this.currentEpoch = durable.currentEpoch;
    this.persistedZxid = this.log.lastZxid;
    this.committedZxid = durable.snapshotZxid;
    this.appliedZxid = durable.snapshotZxid;
  }

  get id(): number {
    return this.config.id;
  }

  /** Voters other than this server: the servers an election notification goes to. */
  get peers(): number[] {
    return this.config.voters.filter((id) => id !== this.config.id);
  }

  get isObserver(): boolean {
    return !this.quorum.isVoter(this.config.id);
  }

  isMember(id: number): boolean {
    return this.quorum.isVoter(id) || (this.config.observers ?? []).includes(id);
  }

  sendPacket(to: number, packet: QuorumPacket): void {
    this.ready.messages.push({ to, message: { kind: 'packet', packet } });
  }

  sendNotification(to: number, notification: Notification): void {
    this.ready.messages.push({ to, message: { kind: 'notification', notification } });
  }

  /** Appends a txn to the log and asks the driver to write it. */
  logTxn(entry: LogEntry): void {
    this.log.append(entry);
    this.ready.persist.push({ kind: 'txn', entry });
  }

  /** Rule 4: never truncate a committed zxid. */
  truncateAfter(zxid: number): void {
    assert(zxid >= this.committedZxid, `truncate to 0x${zxidToHex(zxid)} below committed 0x${zxidToHex(this.committedZxid)}`);
    this.log.truncateAfter(zxid);
    this.persistedZxid = Math.min(this.persistedZxid, zxid);
    this.ready.persist.push({ kind: 'truncate', zxid });
  }

  /** Replaces the state machine and the log by a leader's snapshot (synchronous record). */
  installSnapshot(zxid: number, data: Uint8Array): void {
    assert(zxid >= this.committedZxid, `snapshot 0x${zxidToHex(zxid)} below committed 0x${zxidToHex(this.committedZxid)}`);
    this.log.reset(zxid);
    this.persistedZxid = zxid;
    this.committedZxid = zxid;
    this.appliedZxid = zxid;
    this.ready.persist.push({ kind: 'snapshot', zxid, data });
  }

  setAcceptedEpoch(epoch: number): void {
    assert(epoch >= this.acceptedEpoch, `acceptedEpoch would go back from ${this.acceptedEpoch} to ${epoch}`);
    this.acceptedEpoch = epoch;
    this.ready.persist.push({ kind: 'acceptedEpoch', epoch });
  }

  /** Rule 3: currentEpoch is written only once the history up to `syncedZxid` is durable. */
  setCurrentEpoch(epoch: number, syncedZxid = this.log.lastZxid): void {
    assert(this.persistedZxid >= syncedZxid, 'currentEpoch written before the synced history is durable');
    assert(epoch <= this.acceptedEpoch && epoch >= this.currentEpoch, `bad currentEpoch ${epoch}`);
    this.currentEpoch = epoch;
    this.ready.persist.push({ kind: 'currentEpoch', epoch });
  }

  /** Rule 1: an ACK names a durable zxid (the test-only bug switch skips the check). */
  assertAckable(zxid: number): void {
    if (this.config.injectedBugs?.ackBeforePersist) return;
    assert(zxid <= this.persistedZxid, `ACK of 0x${zxidToHex(zxid)} before it is persisted (0x${zxidToHex(this.persistedZxid)})`);
  }

  /**
   * Marks everything up to zxid committed and hands the logged part of it to the driver to apply;
   * the log window then drops the applied entries beyond its bounds.
   */
  commitUpTo(zxid: number): void {
    if (zxid > this.committedZxid) this.committedZxid = zxid;
    const target = Math.min(this.committedZxid, this.log.lastZxid);
    if (target <= this.appliedZxid) return;
    for (const entry of this.log.range(this.appliedZxid, target)) this.ready.commits.push(entry);
    this.appliedZxid = target;
    this.log.trimApplied(target);
  }

  /** Ends the protocol session with peer by closing its connection. */
  closeConnection(peer: number): void {
    if (!this.ready.disconnects.includes(peer)) this.ready.disconnects.push(peer);
  }

  roleChange(change: RoleChange): void {
    this.ready.roleChanges.push(change);
  }

  fromLearner(payload: LearnerPayload): void {
    this.ready.fromLearners.push(payload);
  }

  fromLeader(data: Uint8Array): void {
    this.ready.fromLeader.push(data);
  }

  requestLooking(reason: string): void {
    this.lookingRequest ??= reason;
  }

  takeReady(): Ready {
    const ready = this.ready;
    this.ready = emptyReady();
    return ready;
  }

  hasReady(): boolean {
    const r = this.ready;
    return r.persist.length + r.commits.length + r.disconnects.length + r.messages.length + r.roleChanges.length + r.fromLearners.length + r.fromLeader.length > 0;
  }
}

function emptyReady(): Ready {
  return { persist: [], commits: [], disconnects: [], messages: [], roleChanges: [], fromLearners: [], fromLeader: [] };
}
