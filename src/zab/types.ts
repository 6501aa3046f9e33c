// The vocabulary of the ZAB core: its configuration, its inputs (messages) and its output (Ready).
// The core is a synchronous object with no I/O: everything it wants done comes out in a Ready.

import type { Id, Notification, QuorumPacket } from '../proto/index.js';

export interface ZabConfig {
  /** This server's id (myid). */
  id: number;
  /** Ids of the voting members, including this one when it votes. */
  voters: readonly number[];
  /** Ids of the non-voting members (observers), including this one when it observes. */
  observers?: readonly number[];
  /** Ticks a follower may take to connect and sync, and a new leader to establish its epoch. */
  initLimitTicks: number;
  /** Ticks without hearing from the other side before a follower or leader gives up on it. */
  syncLimitTicks: number;
  /** A leader pings each learner this often (ZooKeeper pings every half tickTime). */
  pingIntervalTicks: number;
  /** Once a quorum agrees on a vote, wait this long for a better one before deciding. */
  finalizeWaitTicks: number;
  /** A looking server re-sends its vote after this many ticks of silence (doubling up to 8x). */
  electionResendTicks: number;
  /** A follower re-sends FOLLOWERINFO this often until LEADERINFO arrives. */
  connectRetryTicks: number;
  /** Test-only: the counter of a new epoch's first zxid (ZooKeeper's testingonly.initialZxid). */
  firstCounter?: number;
  /** How much applied history the log window keeps for DIFF syncs (default: limits.ts; tests shrink it). */
  logWindow?: LogWindowBounds;
  /** Test-only: deliberately broken behaviour, to prove that the simulator's checkers bite. */
  injectedBugs?: InjectedBugs;
}

/**
 * Bounds of the applied tail of the in-memory log window (zab-log.ts). Entries not yet applied are
 * always kept; of the applied ones, the oldest go first once either bound is exceeded. A learner
 * whose last zxid is below what is kept gets a SNAP instead of a DIFF.
 */
export interface LogWindowBounds {
  appliedTxnsMax: number;
  appliedBytesMax: number;
}

export interface InjectedBugs {
  /** A follower ACKs a proposal as soon as it receives it, before it is persisted. */
  ackBeforePersist?: boolean;
  /** The leader commits a proposal as soon as it has its own ACK. */
  commitOnMinority?: boolean;
  /** The leader sends DIFF where it should send TRUNC, leaving the learner's divergent txns in place. */
  skipTrunc?: boolean;
}

/** What a server has on disk when its core is created (after a restart, or on first start). */
export interface DurableState {
  acceptedEpoch: number;
  currentEpoch: number;
  /** Zxid of the snapshot the state machine was restored from (0: empty). Everything up to it is applied. */
  snapshotZxid: number;
  /** Durable log entries after snapshotZxid, in zxid order, without gaps. */
  log: readonly LogEntry[];
}

export interface LogEntry {
  zxid: number;
  /** Opaque txn bytes (TxnHeader + txn record in ZooKeeper's PROPOSAL payload). */
  data: Uint8Array;
}

export type ZabMessage = { kind: 'notification'; notification: Notification } | { kind: 'packet'; packet: QuorumPacket };

export interface Outbound {
  to: number;
  message: ZabMessage;
}

/**
 * Records to persist, in list order.
 * - `txn` may be written lazily (group commit): the driver reports durability with persisted(zxid).
 * - `truncate`, `snapshot`, `acceptedEpoch` and `currentEpoch` are synchronous: the driver makes them
 *   durable before it sends any message of the same Ready and before it gives the core another input.
 *   A `truncate` or `snapshot` also drops every txn after its zxid, written or not.
 */
export type PersistRecord =
  | { kind: 'txn'; entry: LogEntry }
  | { kind: 'truncate'; zxid: number }
  | { kind: 'snapshot'; zxid: number; data: Uint8Array }
  | { kind: 'acceptedEpoch'; epoch: number }
  | { kind: 'currentEpoch'; epoch: number };

export type Role = 'looking' | 'following' | 'leading' | 'observing';

/** ZooKeeper's ZabState: where a server is in the protocol (what `zk_peer_state` prints after its role). */
export type ZabPhase = 'election' | 'discovery' | 'synchronization' | 'broadcast';

/**
 * A leader's read-only view of one connected learner, for operators (`mntr`, the AdminServer):
 * `info` sent FOLLOWERINFO/OBSERVERINFO, `epoch-acked` is being synced, `synced` ACKed NEWLEADER and
 * receives every proposal (observers: every INFORM).
 */
export interface LearnerView {
  id: number;
  observer: boolean;
  phase: 'info' | 'epoch-acked' | 'synced';
  /** Highest zxid it acknowledged (-1: none yet; an observer ACKs no proposal: the end of its sync). */
  ackedZxid: number;
}

/** Sizes in bytes of the txns this leader proposed in its current term (-1 before the first). */
export interface ProposalSizes {
  last: number;
  min: number;
  max: number;
}

export interface RoleChange {
  role: Role;
  /** The leader followed or led; -1 while looking. */
  leader: number;
  /** The epoch being established (following/leading) or the last currentEpoch (looking). */
  epoch: number;
  /** True once the epoch is established: a leader has a quorum ACK of NEWLEADER, a learner got UPTODATE. */
  established: boolean;
  reason: string;
}

/**
 * Everything the core wants done since the last input; take it with ready() after every input. The
 * driver processes one Ready in this order:
 *  1. `persist`, in order. Synchronous records are durable before step 4 (see PersistRecord); txns
 *     are written now and synced later, reported by persisted(zxid).
 *  2. `commits`, applied to the state machine in order (each is already in the log).
 *  3. `disconnects`: close the connection to each of these peers, dropping whatever is still queued
 *     on it (a protocol session ends with its connection, as in ZooKeeper). Do not report these
 *     closes back through disconnected(); later messages to the peer go on a new connection.
 *  4. `messages`, sent in order (per-destination FIFO). A SNAP packet has null data: the driver puts
 *     its serialized state machine there, whose applied zxid is then exactly packet.zxid.
 * Durability order: the core emits an ACK only for zxids the driver has reported persisted, emits
 * ACKEPOCH in the same Ready as (after) the acceptedEpoch record it depends on, and ACK(NEWLEADER)
 * only after every synced txn is reported persisted and after the currentEpoch record. So "persist
 * BEFORE sending" is the whole durability contract the driver must keep. Its transport contract is
 * TCP's: per connection, messages arrive in order and without holes, and a connection that breaks
 * is reported with disconnected(peer) before anything sent on its successor is delivered.
 */
export interface Ready {
  persist: PersistRecord[];
  commits: LogEntry[];
  disconnects: number[];
  messages: Outbound[];
  roleChanges: RoleChange[];
  /**
   * Leader only: opaque payloads learners sent up, in arrival order — `request`: a client request a
   * learner forwarded (REQUEST packet); `ping`: a learner's session liveness report (PING data). The
   * driver handles them after the rest of the Ready; the core gives them no meaning.
   */
  fromLearners: LearnerPayload[];
  /** Learner only: the leader's answers to this learner's REVALIDATE packets (their data), in order. */
  fromLeader: Uint8Array[];
}

export interface LearnerPayload {
  from: number;
  /** `revalidate`: a learner asks whether a session reattaching to it lives (answer with ZabCore.answerRevalidation). */
  kind: 'request' | 'ping' | 'revalidate';
  data: Uint8Array;
  /** A REQUEST's auth ids (the session's, as the learner's server holds them); empty for a PING. */
  authinfo: Id[];
}

export type ForwardResult = { ok: true } | { ok: false; reason: 'not-following' | 'not-established' };

export type ProposeResult = { ok: true; zxid: number } | { ok: false; reason: 'not-leader' | 'not-established' | 'epoch-exhausted' };
