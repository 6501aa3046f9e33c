// The request pipeline of one server, as a deterministic object: requests come in from connections,
// writes are sequenced into txns, and txns are applied in zxid order once they are durable (the
// final stage, which replies and fires watches). Reads are answered from the local tree, but never
// ahead of a write the same connection sent earlier (per-connection FIFO). Time comes from the
// injected clock. Where txns come from depends on the server's replication (setReplication):
//  - standalone: prep numbers them itself; the driver logs them (takeUnpersisted) and reports them
//    durable (persisted) — the local log is the commit;
//  - leader: prep stamps them with ZAB's next zxid and hands them to ZAB at once (LeaderSequencer);
//    ZAB's commits come back through committed();
//  - learner: writes, syncs and session create/close go to the leader (LearnerForwarder, a REQUEST
//    packet); the txns ZAB commits come back through committed() and answer the requests they match;
//  - offline: in no established epoch — no client is served.
//
// Durability order: a txn is applied (and so answered) only after the driver reports it durable
// (persisted) or committed by a quorum (committed); the driver must not report either early.
// Failed writes: standalone, prep's verdict is the answer (no txn; released once the txns it rests on
// are applied, see settleVerdict). Replicated, a failed write is an error txn, as ZooKeeper logs it,
// so no answer rests on a pending txn that a new leader may drop.

import {
  type ConnectRequest, ErrorCode, type Id, JuteReader, KeeperState, type MultiResult, OpCode, type Request,
  type Response, SpecialXid, type Txn, type TxnHeader, readTxn, readTxnHeader, writeConnectResponse, writeWatcherEvent,
} from '../proto/index.js';
import { assert, limits } from '../util/index.js';
import { DataTree, type ApplyResult, type WatchEvent, applyTxn, digestFor } from '../tree/index.js';
import { ClientConnection, type QueuedRequest, type Transport, encodeReply, encodeServerFrame } from './client-connection.js';
import type { AnsweredRequest } from './connection-stats.js';
import { type ServerConfig, negotiateSessionTimeout } from './config.js';
import { OutputBudget } from './output-budget.js';
import { PendingChanges, committedRecordOf } from './pending-changes.js';
import {
  type ForwardedRequest, decodeForwardedRequest, decodeRevalidation, decodeRevalidationAnswer, decodeSessionReport, encodeForwardedRequest,
  encodeRevalidation, encodeRevalidationAnswer, encodeSessionReport,
} from './learner-payloads.js';
import {
  type PrepContext, type QuotaEnforcement, type WriteRequest, failedWriteTxn, prepareCloseSession, prepareDeleteContainer, prepareWrite,
} from './prep.js';
import { type ReadContext, performRead, readOpCodes } from './reads.js';
import { passwordMatches, sessionPassword, sessionPasswordBytes } from './session-password.js';
import { SessionTracker } from './session-tracker.js';
import { RequestThrottle } from './request-throttle.js';
import { ServerStats } from './server-stats.js';
import type { LogEntry } from '../zab/index.js';

export interface Clock {
  now(): number;
}

/** Who is waiting for a txn, and what happens once it is applied. */
type ProposalOrigin =
  | { kind: 'client'; connection: ClientConnection; entry: QueuedRequest }
  | { kind: 'createSession'; connection: ClientConnection; timeoutMs: number; readOnly: boolean }
  | { kind: 'closeSession'; connection: ClientConnection; entry: QueuedRequest }
  | { kind: 'expire' }
  | { kind: 'reaper' }
  /** Leader: a request a learner forwarded; the learner holding the connection answers it. */
  | { kind: 'remote' };

/** Leader: where prepared txns go (ZAB). Prep stamps a txn with nextZxid(), then proposes it at once. */
export interface LeaderSequencer {
  /** The zxid the next proposal gets; null when none can be proposed (the leader is stepping down). */
  nextZxid(): number | null;
  propose(header: TxnHeader, txn: Txn): void;
}

/** Learner: sends to the leader (REQUEST, REVALIDATE packets); false when it cannot now. */
export interface LearnerForwarder {
  forward(data: Uint8Array, authIds: readonly Id[]): boolean;
  revalidate(data: Uint8Array): boolean;
}

/** Where this server's txns come from (see the file comment). */
export type Replication =
  | { mode: 'standalone' }
  | { mode: 'leader'; sequencer: LeaderSequencer }
  | { mode: 'learner'; forwarder: LearnerForwarder }
  | { mode: 'offline' };

/** Learner: a request sent to the leader, answered when the txn it becomes is committed. */
interface AwaitedTxn {
  sessionId: bigint;
  cxid: number;
  origin: ProposalOrigin;
}

/** The no-op txn a replicated sync is sequenced as: its commit shows a quorum still follows the leader. */
const syncTxn: Txn = { type: OpCode.check, path: '/', version: -1 };

/** A txn prepared and waiting to be logged and applied. */
interface Proposal {
  header: TxnHeader;
  txn: Txn;
  origin: ProposalOrigin;
}

/** A queue entry; `ready` false while its txn is not yet applied. */
function queued(
  xid: number,
  type: number,
  fields: { read?: Request; err?: number; response?: Response; ready?: boolean; closeAfter?: boolean },
): QueuedRequest {
  return {
    xid, type, read: fields.read ?? null, write: null, ready: fields.ready ?? true, err: fields.err ?? 0, zxid: -1,
    response: fields.response, closeAfter: fields.closeAfter ?? false, receivedAtMs: 0,
  };
}

const closeSessionRequest: Request = { type: OpCode.closeSession };

export interface UnpersistedTxn {
  header: TxnHeader;
  txn: Txn;
}

/** Requests prep decides. A client's deleteContainer is one: ZooKeeper preps it (and refuses it there). */
const writeOpCodes: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.deleteContainer,
  OpCode.setData, OpCode.setACL, OpCode.multi, OpCode.check,
]);

export class ServerCore {
  tree = new DataTree<ClientConnection>();
  readonly sessions: SessionTracker;
  readonly stats = new ServerStats();
  readonly connections = new Set<ClientConnection>();
  /** Output produced and not yet taken, over all connections; transports keep it up to date. */
  readonly output: OutputBudget;
  /** Connections whose head read waits for the server-wide output to have room (not for their own). */
  private readonly heldForServerOutput = new Set<ClientConnection>();
  private readonly pending: PendingChanges;
  private readonly proposals: Proposal[] = [];
  /**
   * Answers decided by prep that wait for the txns prepared before them (see settleVerdict), sorted
   * by the zxid they wait for (addVerdict), so persisted() releases each right after that txn applies.
   */
  private readonly verdicts: Array<{ zxid: number; connection: ClientConnection; entry: QueuedRequest }> = [];
  /** Index in `proposals` of the first txn not yet handed out for persistence. */
  private unpersistedFrom = 0;
  private lastPreparedZxid: number;
  private readonly connectionBySession = new Map<bigint, ClientConnection>();
  private outstanding = 0;
  private nextConnectionId = 1;
  private readonly throttle: RequestThrottle;
  private admitting = false;
  /** What `srvr`, `mntr` and the AdminServer report as the server's state (ZooKeeper's names); the replica driver sets it. */
  serverState: 'standalone' | 'leader' | 'follower' | 'observer' | 'looking' | 'read-only' = 'standalone';
  /** Where txns come from; the replica driver changes it as its ZAB role changes. */
  private replicationState: Replication = { mode: 'standalone' };
  /** Sessions as the applied txns define them (id → timeout): what snapshots record and replicas agree on. */
  readonly appliedSessions = new Map<bigint, number>();
  /** Learner: requests sent to the leader, in the order sent, each answered when its txn is committed. */
  private readonly awaited: AwaitedTxn[] = [];
  /** Learner: reattaching connections waiting for the leader's REVALIDATE answer, by session. */
  private readonly revalidating = new Map<bigint, { connection: ClientConnection; readOnly: boolean }>();
  /** Leader: the server each session's requests must come from (ZooKeeper's session owner). */
  private readonly sessionOwners = new Map<bigint, number>();
  /** Set once the log failed: the server answers writes with SYSTEMERROR from then on. */
  writesRefused = false;
  /**
   * The request being answered, for statistics (reused; nothing keeps a reference): its type and
   * arrival are set by request() for answers given at once and by drain() for each queued one.
   */
  private readonly answering: AnsweredRequest = { type: 0, xid: 0, zxid: 0, startMs: 0, endMs: 0 };
  /** prep's context, filled in for each write (prep keeps no reference to it). */
  private readonly prepContext: PrepContext;
  /** Told a quota a write passes (ZooKeeper logs it as a warning); the runtime, which logs, replaces this. */
  quotaWarning: (message: string) => void = () => undefined;
  /** prep's quota context when enforceQuota is on; its tree follows `tree`. */
  private readonly quotaEnforcement: QuotaEnforcement;
  /** Told of bad input from a peer (the runtime, which logs, replaces this). */
  warn: (message: string) => void = () => undefined;
  /** Bytes in the data and log directories; the runtime, which owns the files, replaces this. */
  diskUsage: () => { dataDirBytes: number; logDirBytes: number } = () => ({ dataDirBytes: 0, logDirBytes: 0 });

  constructor(
    readonly config: ServerConfig,
    private readonly clock: Clock,
  ) {
    this.output = new OutputBudget(config);
    this.throttle = new RequestThrottle({ limit: config.requestThrottleLimit, waitMsMax: config.throttledOpWaitTimeMs });
    this.sessions = new SessionTracker({ tickTimeMs: config.tickTimeMs, serverId: config.serverId, nowMs: clock.now() });
    this.pending = new PendingChanges((path) => committedRecordOf(this.tree, path));
    this.prepContext = { sessionId: 0n, authIds: [], superDigest: config.superDigest, ttlNodesEnabled: config.ttlNodesEnabled, zxid: 0, quota: null };
    this.quotaEnforcement = { tree: this.tree, warn: (message) => this.quotaWarning(message) };
    this.lastPreparedZxid = this.tree.lastProcessedZxid;
  }

  /** Installs the state recovered from disk, before serving: the tree and the live sessions. */
  restore(tree: DataTree<ClientConnection>, sessions: ReadonlyMap<bigint, number>): void {
    assert(this.proposals.length === 0 && this.connections.size === 0, 'restore only before serving');
    this.tree = tree;
    this.quotaEnforcement.tree = tree;
    this.pending.clear();
    this.lastPreparedZxid = tree.lastProcessedZxid;
    const now = this.clock.now();
    this.appliedSessions.clear();
    for (const [id, timeoutMs] of sessions) {
      this.sessions.add(id, timeoutMs, now);
      this.appliedSessions.set(id, timeoutMs);
    }
  }

  get replication(): Replication {
    return this.replicationState;
  }

  /**
   * The replica driver moves the server between roles. Leaving a role drops every client
   * connection (ZooKeeper's clients then reconnect, possibly elsewhere) and everything in flight
   * with them: txns prepared or forwarded but not applied come back, if a quorum kept them, through
   * committed() like any other. The session tracker restarts from the applied sessions, each with a
   * full timeout (as a new ZooKeeper leader gives them).
   */
  setReplication(replication: Replication): void {
    assert(replication.mode !== 'standalone', 'a server becomes standalone only by being made so');
    assert(this.replicationState.mode !== 'standalone' || (this.connections.size === 0 && this.proposals.length === 0),
      'a standalone server joins an ensemble only before it serves');
    this.replicationState = replication;
    // Read-only sessions (offline with readonlymode.enabled) end too: their clients find a quorum's member.
    for (const connection of [...this.connections]) this.closeConnection(connection, `server is now ${replication.mode}`);
    this.proposals.length = 0;
    this.unpersistedFrom = 0;
    this.awaited.length = 0;
    this.revalidating.clear();
    this.sessionOwners.clear();
    this.verdicts.length = 0;
    this.pending.clear();
    this.lastPreparedZxid = this.tree.lastProcessedZxid;
    const now = this.clock.now();
    for (const session of [...this.sessions.all()]) this.sessions.remove(session.id);
    if (replication.mode === 'leader' && this.config.injectedBugs?.newLeaderForgetsSessions) return;
    for (const [id, timeoutMs] of this.appliedSessions) this.sessions.add(id, timeoutMs, now);
  }

  /**
   * The log could not be written: nothing prepared since the last durable batch may be acknowledged.
   * Every waiting write is answered with SYSTEMERROR, new writes are refused, reads go on.
   */
  storageFailed(): void {
    this.writesRefused = true;
    for (const proposal of this.proposals) {
      const origin = proposal.origin;
      if (origin.kind === 'client' || origin.kind === 'closeSession') {
        origin.entry.err = ErrorCode.systemError;
        origin.entry.ready = true;
        this.drain(origin.connection);
      } else if (origin.kind === 'createSession') {
        this.closeConnection(origin.connection, 'session could not be logged');
      }
    }
    this.proposals.length = 0;
    this.unpersistedFrom = 0;
    this.pending.clear();
    // Their basis will never be applied: the state they described is lost with the log.
    for (const { connection, entry } of this.verdicts) {
      entry.err = ErrorCode.systemError;
      entry.response = undefined;
      entry.ready = true;
      this.drain(connection);
    }
    this.verdicts.length = 0;
    this.lastPreparedZxid = this.tree.lastProcessedZxid;
  }

  get lastZxid(): number {
    return this.tree.lastProcessedZxid;
  }

  /** Requests received and not yet answered, over all connections (those the throttler holds included). */
  get outstandingRequests(): number {
    return this.outstanding + this.throttle.size;
  }


  // ---- connections ---------------------------------------------------------------------------

  openConnection(transport: Transport, remoteAddress: string, remotePort: number): ClientConnection {
    const connection = new ClientConnection({ id: this.nextConnectionId++, transport, remoteAddress, remotePort, nowMs: this.clock.now() });
    this.connections.add(connection);
    return connection;
  }

  /** The transport closed (or we closed it): forget its watches; its session lives on until expiry. */
  connectionClosed(connection: ClientConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection);
    this.heldForServerOutput.delete(connection);
    // Its pending writes still apply; only their replies are dropped.
    this.outstanding -= connection.queue.length;
    connection.queue.length = 0;
    connection.queuedReads = 0;
    connection.readsAheadOfWrite = 0;
    connection.writesWaiting = 0;
    this.tree.watches.removeWatcher(connection);
    this.admitThrottled();
    const session = connection.session;
    if (session !== null && this.connectionBySession.get(session.id) === connection) {
      this.connectionBySession.delete(session.id);
    }
  }

  private closeConnection(connection: ClientConnection, reason: string): void {
    if (connection.closed) return;
    connection.transport.close(reason);
    this.connectionClosed(connection);
  }

  /** The connect handshake (the first frame on a connection). */
  connect(connection: ClientConnection, request: ConnectRequest): void {
    // As ZooKeeper, the connect request counts as a packet received.
    connection.stats.packetsReceived++;
    this.stats.packetsReceived++;
    const readOnly = request.readOnly ?? false;
    if (this.replicationState.mode === 'offline') {
      if (this.config.readOnlyModeEnabled && readOnly) this.connectReadOnly(connection, request);
      else this.closeConnection(connection, 'not serving: this server is in no established epoch');
      return;
    }
    if (request.lastZxidSeen > this.lastZxid) {
      this.closeConnection(
        connection,
        `client has seen zxid 0x${request.lastZxidSeen.toString(16)}, ours is 0x${this.lastZxid.toString(16)}`,
      );
      return;
    }
    const now = this.clock.now();
    if (request.sessionId !== 0n && this.replicationState.mode === 'learner' && this.config.injectedBugs?.skipRevalidate !== true) {
      this.revalidate(connection, { sessionId: request.sessionId, passwd: request.passwd, readOnly });
      return;
    }
    if (request.sessionId !== 0n) {
      const session = this.sessions.get(request.sessionId);
      if (session === undefined || session.closing || !passwordMatches(request.sessionId, request.passwd)) {
        this.sendConnectResponse(connection, { timeOut: 0, sessionId: 0n, readOnly });
        this.closeConnection(connection, `session 0x${request.sessionId.toString(16)} expired or bad password`);
        return;
      }
      const previous = this.connectionBySession.get(session.id);
      if (previous !== undefined && previous !== connection) this.closeConnection(previous, 'session moved to a new connection');
      this.attach(connection, session, now);
      if (this.replicationState.mode === 'leader') this.sessionOwners.set(session.id, this.config.serverId);
      this.sendConnectResponse(connection, { timeOut: session.timeoutMs, sessionId: session.id, readOnly });
      this.holdBehindEarlierWrites(connection, session.id);
      return;
    }
    if (this.writesRefused) {
      this.closeConnection(connection, 'new sessions are refused: the txn log cannot be written');
      return;
    }
    const timeoutMs = negotiateSessionTimeout(this.config, request.timeOut);
    const sessionId = this.sessions.allocateId();
    const session = this.sessions.add(sessionId, timeoutMs, now);
    this.attach(connection, session, now);
    const origin: ProposalOrigin = { kind: 'createSession', connection, timeoutMs, readOnly };
    if (this.replicationState.mode === 'leader') this.sessionOwners.set(sessionId, this.config.serverId);
    const sequenced = this.replicationState.mode === 'learner'
      ? this.forward(connection, { sessionId, cxid: 0, type: OpCode.createSession, timeoutMs }, origin)
      : this.propose({ sessionId, cxid: 0 }, { type: OpCode.createSession, timeOut: timeoutMs }, origin);
    if (!sequenced) this.closeConnection(connection, 'the session cannot be created now (leader stepping down)');
  }

  /**
   * Read-only mode (a member cut off from its quorum, readonlymode.enabled): a client that allows it
   * gets a session local to this server, reads from its tree and NOTREADONLY for every write, as
   * ZooKeeper's ReadOnlyZooKeeperServer. Its connection ends when the member rejoins a quorum.
   */
  private connectReadOnly(connection: ClientConnection, request: ConnectRequest): void {
    const timeoutMs = negotiateSessionTimeout(this.config, request.timeOut);
    const known = request.sessionId === 0n ? undefined : this.sessions.get(request.sessionId);
    const session = known !== undefined && passwordMatches(known.id, request.passwd)
      ? known
      : this.sessions.add(this.sessions.allocateId(), timeoutMs, this.clock.now());
    this.attach(connection, session, this.clock.now());
    this.sendConnectResponse(connection, { timeOut: session.timeoutMs, sessionId: session.id, readOnly: true });
  }

  /**
   * Learner: a session reattaching here is alive only if the leader says so (REVALIDATE, as
   * ZooKeeper's Learner.validateSession); the leader then takes this server as the session's owner,
   * so requests still coming from its old server get SESSIONMOVED. The connection waits for the answer.
   */
  private revalidate(connection: ClientConnection, request: { sessionId: bigint; passwd: Uint8Array; readOnly: boolean }): void {
    const { sessionId, readOnly } = request;
    const replication = this.replicationState;
    assert(replication.mode === 'learner', 'only a learner revalidates');
    const timeoutMs = this.appliedSessions.get(sessionId) ?? 0;
    if (!passwordMatches(sessionId, request.passwd) || timeoutMs === 0) {
      this.sendConnectResponse(connection, { timeOut: 0, sessionId: 0n, readOnly });
      this.closeConnection(connection, `session 0x${sessionId.toString(16)} expired or bad password`);
      return;
    }
    const waiting = this.revalidating.get(sessionId);
    if (waiting !== undefined) this.closeConnection(waiting.connection, 'session moved to a new connection');
    if (!replication.forwarder.revalidate(encodeRevalidation({ id: sessionId, timeoutMs }))) {
      this.closeConnection(connection, 'the leader cannot be reached');
      return;
    }
    this.revalidating.set(sessionId, { connection, readOnly });
  }

  /** Learner: the leader's answer to a REVALIDATE. */
  revalidated(data: Uint8Array): void {
    const answer = decodeRevalidationAnswer(data);
    const waiting = this.revalidating.get(answer.id);
    if (waiting === undefined) return;
    this.revalidating.delete(answer.id);
    const { connection, readOnly } = waiting;
    if (connection.closed) return;
    const session = this.sessions.get(answer.id);
    if (!answer.valid || session === undefined) {
      this.sendConnectResponse(connection, { timeOut: 0, sessionId: 0n, readOnly });
      this.closeConnection(connection, `session 0x${answer.id.toString(16)} expired (the leader says)`);
      return;
    }
    const previous = this.connectionBySession.get(session.id);
    if (previous !== undefined && previous !== connection) this.closeConnection(previous, 'session moved to a new connection');
    this.attach(connection, session, this.clock.now());
    this.sendConnectResponse(connection, { timeOut: session.timeoutMs, sessionId: session.id, readOnly });
  }

  /** Leader: a learner's REVALIDATE; a live session now belongs to that learner. Returns the answer. */
  revalidation(from: number, data: Uint8Array): Uint8Array {
    const { id } = decodeRevalidation(data);
    const session = this.sessions.get(id);
    const valid = session !== undefined && !session.closing;
    if (valid) {
      this.sessionOwners.set(id, from);
      this.sessions.touch(session, this.clock.now());
    }
    return encodeRevalidationAnswer({ id, valid });
  }

  /**
   * Leader: whether a request of `sessionId` from `server` comes from a server the session left
   * (SESSIONMOVED). A session whose owner this leader does not know yet (it took office after the
   * session was created) is taken to belong to the first server that speaks for it.
   */
  private movedAway(sessionId: bigint, server: number): boolean {
    if (this.config.injectedBugs?.skipRevalidate === true) return false;
    const owner = this.sessionOwners.get(sessionId);
    if (owner === undefined) this.sessionOwners.set(sessionId, server);
    return owner !== undefined && owner !== server;
  }

  /**
   * A session that moved to a new connection may still have writes in the pipeline from the old one.
   * As ZooKeeper orders a session's requests (not a connection's), nothing on the new connection is
   * answered before they are applied: a silent barrier entry waits for the last of them.
   */
  private holdBehindEarlierWrites(connection: ClientConnection, sessionId: bigint): void {
    let basis = -1;
    for (const proposal of this.proposals) if (proposal.header.sessionId === sessionId) basis = proposal.header.zxid;
    if (basis < 0) return;
    const barrier = queued(0, 0, { ready: false });
    barrier.silent = true;
    this.enqueue(connection, barrier);
    this.addVerdict({ zxid: basis, connection, entry: barrier });
  }

  private attach(connection: ClientConnection, session: ReturnType<SessionTracker['add']>, now: number): void {
    connection.session = session;
    this.connectionBySession.set(session.id, connection);
    this.sessions.touch(session, now);
  }

  private sendConnectResponse(
    connection: ClientConnection,
    fields: { timeOut: number; sessionId: bigint; readOnly: boolean },
  ): void {
    const passwd = fields.sessionId === 0n ? new Uint8Array(sessionPasswordBytes) : sessionPassword(fields.sessionId);
    this.transmit(connection, encodeServerFrame((writer) => writeConnectResponse(writer, { protocolVersion: 0, passwd, ...fields })));
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request frame after the handshake, decoded. */
  request(connection: ClientConnection, xid: number, request: Request): void {
    connection.stats.packetsReceived++;
    this.stats.packetsReceived++;
    if (this.throttle.holds(connection, request, this.outstanding)) {
      this.throttle.hold(connection, { xid, request, atMs: this.clock.now() });
      return;
    }
    this.process(connection, xid, request);
  }

  /**
   * Admits requests held by the throttler while fewer than its limit are in process (after any
   * answer, and on every tick): each runs, or is answered THROTTLEDOP if it waited too long.
   */
  private admitThrottled(): void {
    if (this.admitting || this.throttle.size === 0) return;
    this.admitting = true;
    try {
      for (let next = this.throttle.next(this.outstanding, this.clock.now()); next !== null; next = this.throttle.next(this.outstanding, this.clock.now())) {
        const { connection, xid, request } = next.held;
        if (next.verdict === 'run') this.process(connection, xid, request);
        else this.enqueue(connection, queued(xid, request.type, { err: ErrorCode.throttledOp }));
      }
    } finally {
      this.admitting = false;
    }
  }

  private process(connection: ClientConnection, xid: number, request: Request): void {
    const session = connection.session;
    assert(session !== null, 'requests arrive only after the handshake');
    const now = this.clock.now();
    this.answering.type = request.type;
    this.answering.startMs = now;
    this.sessions.touch(session, now);

    if (this.replicationState.mode === 'offline') {
      this.readOnlyRequest(connection, xid, request);
      return;
    }
    switch (request.type) {
      case OpCode.auth:
        this.authenticate(connection, request.scheme, request.auth);
        return;
      case OpCode.ping:
        this.answer(connection, SpecialXid.ping, 0);
        return;
      case OpCode.closeSession:
        this.closeSession(connection, xid);
        return;
      case OpCode.reconfig:
        this.answer(connection, xid, ErrorCode.reconfigDisabled);
        return;
    }
    if (writeOpCodes.has(request.type) || (request.type === OpCode.sync && this.syncIsReplicated)) {
      this.write(connection, xid, request);
    } else if (readOpCodes.has(request.type)) {
      const replyXid = request.type === OpCode.setWatches || request.type === OpCode.setWatches2 ? SpecialXid.setWatches : xid;
      if (connection.queue.length === 0 && this.output.mayAnswerRead(connection.transport.outputBytes)) {
        this.performAndSend(connection, replyXid, request);
      } else {
        this.enqueue(connection, queued(replyXid, request.type, { read: request }));
      }
    } else {
      this.answer(connection, xid, ErrorCode.unimplemented);
    }
  }

  /** A request on a read-only connection: reads as usual; a write, sync or create gets NOTREADONLY. */
  private readOnlyRequest(connection: ClientConnection, xid: number, request: Request): void {
    if (request.type === OpCode.closeSession) {
      this.answer(connection, xid, 0);
      this.closeConnection(connection, 'session closed by client');
    } else if (request.type === OpCode.ping || request.type === OpCode.auth || (readOpCodes.has(request.type) && request.type !== OpCode.sync)) {
      if (request.type === OpCode.ping) this.answer(connection, SpecialXid.ping, 0);
      else if (request.type === OpCode.auth) this.authenticate(connection, request.scheme, request.auth);
      else this.enqueue(connection, queued(request.type === OpCode.setWatches || request.type === OpCode.setWatches2 ? SpecialXid.setWatches : xid, request.type, { read: request }));
    } else {
      this.answer(connection, xid, ErrorCode.notReadOnly);
    }
  }

  /** Answers a request whose type the decoder did not know, in order, with UNIMPLEMENTED. */
  unknownRequest(connection: ClientConnection, xid: number, type: number): void {
    connection.stats.packetsReceived++;
    this.stats.packetsReceived++;
    this.enqueue(connection, queued(xid, type, { err: ErrorCode.unimplemented }));
  }

  /** Answers the request being handled now if nothing is queued ahead on the connection, else in turn. */
  private answer(connection: ClientConnection, xid: number, err: number, response?: Response): void {
    if (connection.queue.length === 0) this.send(connection, xid, this.tree.lastProcessedZxid, err, response);
    else this.enqueue(connection, queued(xid, this.answering.type, { err, response }));
  }

  private performAndSend(connection: ClientConnection, xid: number, request: Request): void {
    const outcome = performRead(request, this.readContext(connection));
    this.send(connection, xid, this.tree.lastProcessedZxid, outcome.err, outcome.response);
  }

  private readContext(connection: ClientConnection): ReadContext {
    return { tree: this.tree, connection, superDigest: this.config.superDigest, notify: this.notify };
  }

  /**
   * A write is prepared at once unless reads sent before it are waiting in the queue in numbers, or
   * behind output at the soft bound: a read must be answered before any later write of its session is
   * applied (per-session order), so reads ahead of a prepared write are answered even past the
   * output bounds. Making such a write wait, unprepared, until the reads ahead are answered keeps
   * those exempt reads few (connectionReadsAheadOfWriteMax). Later writes wait behind it, in order.
   * A write still waiting when its connection closes is never prepared: like a request not yet read.
   */
  private writeMustWait(connection: ClientConnection): boolean {
    return connection.writesWaiting > 0 || connection.queuedReads > limits.connectionReadsAheadOfWriteMax ||
      (connection.queuedReads > 0 && connection.transport.outputBytes >= this.output.connectionSoftBytes);
  }

  private write(connection: ClientConnection, xid: number, request: Request): void {
    const entry = queued(xid, request.type, { ready: false });
    // A replicated sync is answered when its no-op txn is applied; the reply names its path.
    if (request.type === OpCode.sync) entry.response = { type: OpCode.sync, path: request.path };
    if (this.writeMustWait(connection)) {
      this.enqueueWaitingWrite(connection, entry, request);
      return;
    }
    this.enqueue(connection, entry);
    // Every read queued is ahead of it.
    if (this.sequenceInto(connection, entry, request)) connection.readsAheadOfWrite = connection.queuedReads;
    if (entry.ready) this.drain(connection);
  }

  /** Queues a write (or closeSession) to be prepared when it reaches the head of the queue. */
  private enqueueWaitingWrite(connection: ClientConnection, entry: QueuedRequest, request: Request): void {
    entry.write = request;
    entry.ready = true;
    connection.writesWaiting++;
    this.enqueue(connection, entry);
  }

  /**
   * Turns a write, sync or closeSession into a txn on its way (true: the entry waits for it to be
   * applied), or settles the entry at once (false): prepared here (standalone, leader) or sent to
   * the leader (learner).
   */
  private sequenceInto(connection: ClientConnection, entry: QueuedRequest, request: Request): boolean {
    const origin: ProposalOrigin = { kind: request.type === OpCode.closeSession ? 'closeSession' : 'client', connection, entry };
    if (this.replicationState.mode === 'learner') {
      const sessionId = connection.sessionId;
      const forwarded: ForwardedRequest = request.type === OpCode.closeSession
        ? { sessionId, cxid: entry.xid, type: OpCode.closeSession }
        : { sessionId, cxid: entry.xid, type: request.type, request };
      return this.forward(connection, forwarded, origin);
    }
    const fields = { sessionId: connection.sessionId, cxid: entry.xid };
    if (this.replicationState.mode === 'leader' && this.movedAway(fields.sessionId, this.config.serverId)) {
      return this.propose(fields, { type: OpCode.error, err: ErrorCode.sessionMoved }, origin);
    }
    if (request.type === OpCode.closeSession) return this.closeSessionInto(connection, entry);
    if (request.type === OpCode.sync) return this.propose(fields, syncTxn, origin);
    return this.prepareInto(connection, entry, request as WriteRequest);
  }

  /** Learner: sends a request to the leader; it is answered when its txn is committed (committed()). */
  private forward(connection: ClientConnection, forwarded: ForwardedRequest, origin: ProposalOrigin): boolean {
    const replication = this.replicationState;
    assert(replication.mode === 'learner', 'only a learner forwards');
    if (!replication.forwarder.forward(encodeForwardedRequest(forwarded), connection.authIds)) {
      this.closeConnection(connection, 'the leader cannot be reached');
      return false;
    }
    this.awaited.push({ sessionId: forwarded.sessionId, cxid: forwarded.cxid, origin });
    return true;
  }

  /**
   * Prepares a write into its queue entry: a txn proposed (true), or — standalone — prep's verdict
   * (see settleVerdict). Replicated, a failed write is proposed as the error txn ZooKeeper logs.
   */
  private prepareInto(connection: ClientConnection, entry: QueuedRequest, request: WriteRequest): boolean {
    const session = connection.session!;
    const standalone = this.replicationState.mode === 'standalone';
    const origin: ProposalOrigin = { kind: 'client', connection, entry };
    const fields = { sessionId: session.id, cxid: entry.xid };
    if (session.closing || this.writesRefused) {
      if (!standalone) return this.propose(fields, { type: OpCode.error, err: ErrorCode.sessionExpired }, origin);
      entry.err = this.writesRefused ? ErrorCode.systemError : ErrorCode.sessionExpired;
      entry.ready = true;
      return false;
    }
    const outcome = this.prepare(session.id, connection.authIds, request);
    if (outcome === null) return false;
    if (!outcome.ok) {
      if (!standalone) return this.propose(fields, failedWriteTxn(outcome), origin);
      const response: Response | undefined = 'multiResults' in outcome ? { type: OpCode.multi, results: outcome.multiResults } : undefined;
      this.settleVerdict(connection, entry, outcome.err, response);
      return false;
    }
    if (outcome.txn.type === OpCode.check && standalone) {
      // A standalone check (ZooKeeper 3.9) changes nothing: prep's verdict, in FIFO order, is the answer.
      this.settleVerdict(connection, entry, 0, undefined);
      return false;
    }
    return this.propose(fields, outcome.txn, origin);
  }

  /** Runs prep for a session's write against the pending overlay; null when no zxid can be had now. */
  private prepare(sessionId: bigint, authIds: readonly Id[], request: WriteRequest): ReturnType<typeof prepareWrite> | null {
    const zxid = this.nextZxid();
    if (zxid === null) return null;
    if (this.config.injectedBugs?.prepIgnoresPending) this.pending.clear();
    const context = this.prepContext;
    context.sessionId = sessionId;
    context.authIds = authIds;
    context.superDigest = this.config.superDigest;
    context.ttlNodesEnabled = this.config.ttlNodesEnabled;
    context.zxid = zxid;
    context.quota = this.config.enforceQuota ? this.quotaEnforcement : null;
    return prepareWrite(request, this.pending, context);
  }

  /**
   * Settles a write that prep decided without a txn (a failure, or a standalone check). The verdict
   * may rest on txns prepared but not yet applied (NODEEXISTS for a node another session is
   * creating): then the answer waits until they are applied, so that nothing this client reads
   * afterwards is older than the state its answer described (ZooKeeper gets the same order by
   * logging an error txn).
   */
  private settleVerdict(connection: ClientConnection, entry: QueuedRequest, err: number, response: Response | undefined): void {
    entry.err = err;
    entry.response = response;
    const basis = this.lastPreparedZxid;
    if (basis <= this.tree.lastProcessedZxid) entry.ready = true;
    else this.addVerdict({ zxid: basis, connection, entry });
  }

  /** Keeps `verdicts` sorted by zxid: a barrier may wait for an earlier txn than the verdicts before it. */
  private addVerdict(verdict: { zxid: number; connection: ClientConnection; entry: QueuedRequest }): void {
    const { verdicts } = this;
    let at = verdicts.length;
    while (at > 0 && verdicts[at - 1]!.zxid > verdict.zxid) at--;
    verdicts.splice(at, 0, verdict);
  }

  private closeSession(connection: ClientConnection, xid: number): void {
    const entry = queued(xid, OpCode.closeSession, { ready: false, closeAfter: true });
    if (this.writeMustWait(connection)) {
      this.enqueueWaitingWrite(connection, entry, closeSessionRequest);
      return;
    }
    this.enqueue(connection, entry);
    if (this.sequenceInto(connection, entry, closeSessionRequest)) connection.readsAheadOfWrite = connection.queuedReads;
    if (entry.ready) this.drain(connection);
  }

  /** Proposes the session's close for its queue entry (true), or settles it if already closing. */
  private closeSessionInto(connection: ClientConnection, entry: QueuedRequest): boolean {
    const session = connection.session!;
    if (session.closing) {
      entry.ready = true;
      return false;
    }
    if (!this.proposeCloseSession(session.id, entry.xid, { kind: 'closeSession', connection, entry })) return false;
    this.sessions.markClosing(session);
    return true;
  }

  private proposeCloseSession(sessionId: bigint, cxid: number, origin: ProposalOrigin): boolean {
    const zxid = this.nextZxid();
    if (zxid === null) return false;
    const ephemerals = new Set([...this.tree.getEphemerals(sessionId), ...this.pending.ephemeralsOf(sessionId)]);
    const txn = prepareCloseSession(ephemerals, this.pending, zxid);
    return this.propose({ sessionId, cxid }, txn, origin);
  }

  private authenticate(connection: ClientConnection, scheme: string, auth: Uint8Array): void {
    const text = Buffer.from(auth).toString('utf8');
    if (scheme === 'digest' && text.includes(':') && connection.authIds.length < limits.sessionAuthEntriesMax) {
      const user = text.slice(0, text.indexOf(':'));
      const id = digestFor(user, text.slice(text.indexOf(':') + 1));
      const newIds = [{ scheme: 'digest', id }];
      // As ZooKeeper: the super user's session holds both its digest id and the `super` id.
      if (this.config.superDigest !== null && id === this.config.superDigest) newIds.push({ scheme: 'super', id: '' });
      for (const newId of newIds) {
        if (!connection.authIds.some((existing) => existing.scheme === newId.scheme && existing.id === newId.id)) {
          connection.authIds.push(newId);
        }
      }
      this.transmit(connection, encodeReply({ xid: SpecialXid.auth, zxid: 0, err: 0 }));
      return;
    }
    this.stats.authFailed++;
    this.transmit(connection, encodeReply({ xid: SpecialXid.auth, zxid: 0, err: ErrorCode.authFailed }));
    this.closeConnection(connection, `authentication failed for scheme "${scheme}"`);
  }

  private enqueue(connection: ClientConnection, entry: QueuedRequest): void {
    if (connection.closed) return;
    entry.receivedAtMs = this.clock.now();
    this.outstanding++;
    if (entry.read !== null) connection.queuedReads++;
    connection.queue.push(entry);
    if (connection.queue.length === 1) this.drain(connection);
  }

  /**
   * Answers the requests at the head of the connection's queue that are ready, in order. A read is
   * not executed while the connection's output is over the bounds: it and everything behind it wait
   * (FIFO) until the transport reports output taken (`outputTaken`).
   */
  private drain(connection: ClientConnection): void {
    const queue = connection.queue;
    while (queue.length > 0 && queue[0]!.ready) {
      const head = queue[0]!;
      if (head.write !== null) {
        // Everything ahead of it is answered (no read is ahead): prepare it now, in place.
        const request = head.write;
        head.write = null;
        head.ready = false;
        connection.writesWaiting--;
        this.sequenceInto(connection, head, request);
        continue;
      }
      if (head.read !== null && connection.readsAheadOfWrite === 0) {
        const outputBytes = connection.transport.outputBytes;
        if (!this.output.mayAnswerRead(outputBytes)) {
          if (outputBytes < this.output.connectionHardBytes) this.heldForServerOutput.add(connection);
          return;
        }
      }
      const entry = queue.shift()!;
      this.outstanding--;
      if (entry.read !== null) {
        connection.queuedReads--;
        if (connection.readsAheadOfWrite > 0) connection.readsAheadOfWrite--;
      }
      if (entry.silent === true) continue;
      this.answering.type = entry.type;
      this.answering.startMs = entry.receivedAtMs;
      if (entry.read !== null) this.performAndSend(connection, entry.xid, entry.read);
      else this.send(connection, entry.xid, entry.zxid < 0 ? this.tree.lastProcessedZxid : entry.zxid, entry.err, entry.response);
      if (entry.closeAfter) this.closeConnection(connection, 'session closed by client');
    }
    this.admitThrottled();
  }

  private send(connection: ClientConnection, xid: number, zxid: number, err: number, response: Response | undefined): void {
    this.recordAnswer(connection, xid, zxid);
    const frame = encodeReply({ xid, zxid, err }, response);
    this.stats.recordResponseBytes(frame.length - 4);
    this.transmit(connection, frame);
  }

  /** Completes `answering` (its type and arrival already set) and records it, per connection and server-wide. */
  private recordAnswer(connection: ClientConnection, xid: number, zxid: number): void {
    const answer = this.answering;
    answer.xid = xid;
    answer.zxid = zxid;
    answer.endMs = this.clock.now();
    connection.stats.recordAnswer(answer);
    this.stats.recordLatency(answer.endMs - answer.startMs);
  }

  /** Sends a frame to a client; every one counts: replies, connect responses, notifications (as ZooKeeper). */
  private transmit(connection: ClientConnection, frame: Uint8Array): void {
    connection.stats.packetsSent++;
    this.stats.packetsSent++;
    connection.transport.send(frame);
  }

  /**
   * A transport's peer took output: answer the reads that waited for room on this connection, and,
   * once the server-wide total has room, those that waited for it on any connection.
   */
  outputTaken(connection: ClientConnection): void {
    if (!connection.closed) this.drain(connection);
    if (this.heldForServerOutput.size === 0 || !this.output.serverHasRoom) return;
    const held = [...this.heldForServerOutput];
    this.heldForServerOutput.clear();
    for (const waiting of held) this.drain(waiting);
  }

  /** Sends a watch event to a connection (a notification frame, xid -1, carrying the zxid). */
  readonly notify = (connection: ClientConnection, event: WatchEvent): void => {
    if (connection.closed) return;
    const frame = encodeServerFrame((writer) => {
      writer.int(SpecialXid.notification).long(event.zxid).int(0);
      writeWatcherEvent(writer, { type: event.type, state: KeeperState.syncConnected, path: event.path });
    });
    this.stats.recordResponseBytes(frame.length - 4);
    this.transmit(connection, frame);
  };

  // ---- txns: propose, persist, apply ---------------------------------------------------------

  /** The zxid the next txn gets: the local count standalone, ZAB's as leader; null when none can be had now. */
  private nextZxid(): number | null {
    const replication = this.replicationState;
    if (replication.mode === 'leader') return replication.sequencer.nextZxid();
    assert(replication.mode === 'standalone', `a ${replication.mode} prepares no txn`);
    return this.lastPreparedZxid + 1;
  }

  /** Stamps a txn and queues it for the log (standalone) or hands it to ZAB (leader); false if no zxid can be had now. */
  private propose(fields: { sessionId: bigint; cxid: number }, txn: Txn, origin: ProposalOrigin): boolean {
    const zxid = this.nextZxid();
    if (zxid === null) return false;
    const header: TxnHeader = { sessionId: fields.sessionId, cxid: fields.cxid, zxid, time: this.clock.now(), type: txn.type };
    this.lastPreparedZxid = zxid;
    this.proposals.push({ header, txn, origin });
    const replication = this.replicationState;
    if (replication.mode === 'leader') {
      this.unpersistedFrom = this.proposals.length;
      replication.sequencer.propose(header, txn);
    }
    return true;
  }

  get hasUnpersisted(): boolean {
    return this.unpersistedFrom < this.proposals.length;
  }

  /** Standalone: txns prepared since the last call, in zxid order, for the driver to append to the log. */
  takeUnpersisted(max = Infinity): readonly UnpersistedTxn[] {
    const end = Math.min(this.proposals.length, this.unpersistedFrom + max);
    const batch = this.proposals.slice(this.unpersistedFrom, end);
    this.unpersistedFrom = end;
    return batch;
  }

  /** Standalone: the driver reports every txn up to `zxid` durable: apply them in order, reply, fire watches. */
  persisted(zxid: number): void {
    let applied = 0;
    while (applied < this.proposals.length && this.proposals[applied]!.header.zxid <= zxid) {
      const proposal = this.proposals[applied]!;
      applied++;
      this.applyCommitted(proposal.header, proposal.txn, proposal.origin);
      // Before the next txn applies: a read queued behind a verdict must see the tree as it was then,
      // not with later writes of the same batch (a session's order; found by the differential test).
      if (this.verdicts.length > 0 && this.verdicts[0]!.zxid <= proposal.header.zxid) this.releaseVerdicts();
    }
    this.proposals.splice(0, applied);
    this.unpersistedFrom = Math.max(0, this.unpersistedFrom - applied);
    this.pending.applied(zxid);
    this.releaseVerdicts();
  }

  /**
   * Leader and learner: ZAB committed these txns, in zxid order. A leader's own proposals are
   * applied with what prep kept of them; any other txn is decoded from its bytes and answers the
   * request it completes if that request was sent from here (the head of `awaited`).
   */
  committed(entries: readonly LogEntry[]): void {
    let own = 0;
    for (const entry of entries) {
      const proposal = this.proposals[own];
      if (proposal !== undefined) {
        assert(proposal.header.zxid === entry.zxid, `committed 0x${entry.zxid.toString(16)} but the next proposal is 0x${proposal.header.zxid.toString(16)}`);
        own++;
        this.applyCommitted(proposal.header, proposal.txn, proposal.origin);
        continue;
      }
      const reader = new JuteReader(entry.data);
      const header = readTxnHeader(reader);
      assert(header.zxid === entry.zxid, `txn stamped 0x${header.zxid.toString(16)} committed at 0x${entry.zxid.toString(16)}`);
      const txn = readTxn(reader, header.type);
      this.applyCommitted(header, txn, this.awaitedOrigin(header));
    }
    if (own > 0) {
      this.proposals.splice(0, own);
      this.unpersistedFrom = this.proposals.length;
    }
    if (entries.length > 0) this.pending.applied(entries[entries.length - 1]!.zxid);
  }

  /** The origin of a committed txn this learner forwarded: requests commit in the order they were sent. */
  private awaitedOrigin(header: TxnHeader): ProposalOrigin | null {
    // Requests of a connection that closed need no answer; a moved session's later requests, sent
    // through another member, may commit before them.
    while (this.awaited.length > 0 && originClosed(this.awaited[0]!.origin)) this.awaited.shift();
    const head = this.awaited[0];
    // A lower cxid of the same session was sent from an earlier connection (its client reconnected).
    if (head === undefined || head.sessionId !== header.sessionId || header.cxid < head.cxid) return null;
    assert(head.cxid === header.cxid, `session 0x${header.sessionId.toString(16)}: request ${header.cxid} committed while ${head.cxid} was sent before it`);
    this.awaited.shift();
    return head.origin;
  }

  private applyCommitted(header: TxnHeader, txn: Txn, origin: ProposalOrigin | null): void {
    const result = applyTxn(this.tree, header, txn);
    for (const delivery of result.deliveries) this.notify(delivery.watcher, delivery);
    this.stats.txnsApplied++;
    this.sessionsApplied(header, txn, origin);
    if (origin !== null) this.applied(header, origin, result);
  }

  /** Sessions as txns define them, on every server: created, or closed (its connection here ends). */
  private sessionsApplied(header: TxnHeader, txn: Txn, origin: ProposalOrigin | null): void {
    if (txn.type === OpCode.createSession) {
      this.appliedSessions.set(header.sessionId, txn.timeOut);
      this.sessions.add(header.sessionId, txn.timeOut, this.clock.now());
    } else if (txn.type === OpCode.closeSession) {
      this.appliedSessions.delete(header.sessionId);
      this.sessions.remove(header.sessionId);
      this.sessionOwners.delete(header.sessionId);
      const connection = this.connectionBySession.get(header.sessionId);
      const closedByItself = origin?.kind === 'closeSession' && origin.connection === connection;
      if (connection !== undefined && !closedByItself) this.closeConnection(connection, `session 0x${header.sessionId.toString(16)} expired`);
    }
  }

  /** Answers the verdicts (and lifts the barriers) whose basis is now applied: a prefix of the sorted list. */
  private releaseVerdicts(): void {
    const { verdicts } = this;
    const applied = this.tree.lastProcessedZxid;
    let due = 0;
    while (due < verdicts.length && verdicts[due]!.zxid <= applied) due++;
    if (due === 0) return;
    for (const { connection, entry } of verdicts.splice(0, due)) {
      entry.ready = true;
      this.drain(connection);
    }
  }

  /** The reply an applied txn completes, if its request came from a connection here. */
  private applied(header: TxnHeader, origin: ProposalOrigin, result: ApplyResult<ClientConnection>): void {
    switch (origin.kind) {
      case 'client':
        origin.entry.zxid = result.zxid;
        origin.entry.err = result.err;
        if (origin.entry.type !== OpCode.sync) origin.entry.response = writeResponse(origin.entry.type, result);
        origin.entry.ready = true;
        this.drain(origin.connection);
        return;
      case 'createSession':
        if (!origin.connection.closed) {
          this.sendConnectResponse(origin.connection, { timeOut: origin.timeoutMs, sessionId: header.sessionId, readOnly: origin.readOnly });
          // As ZooKeeper's final stage: the new session is the connection's first answered operation.
          this.answering.type = OpCode.createSession;
          this.answering.startMs = header.time;
          this.recordAnswer(origin.connection, 0, result.zxid);
        }
        return;
      case 'closeSession':
        origin.entry.ready = true;
        this.drain(origin.connection);
        return;
      case 'expire':
      case 'reaper':
      case 'remote':
        return;
    }
  }

  // ---- the leader's side of learners ---------------------------------------------------------

  /**
   * Leader: a request a learner forwarded (REQUEST), with the session's auth ids. Prepared as this
   * server's own clients' requests are; every one becomes exactly one txn (an error txn when it
   * fails), so the learner can match commits to the requests it sent, in order.
   */
  forwardedRequest(data: Uint8Array, request: { authIds: readonly Id[]; from: number }): void {
    const { authIds, from } = request;
    assert(this.replicationState.mode === 'leader', 'only a leader takes forwarded requests');
    let forwarded: ForwardedRequest;
    try {
      forwarded = decodeForwardedRequest(data);
    } catch (error) {
      this.warn(`dropping a malformed request from a learner: ${(error as Error).message}`);
      return;
    }
    const fields = { sessionId: forwarded.sessionId, cxid: forwarded.cxid };
    const origin: ProposalOrigin = { kind: 'remote' };
    const now = this.clock.now();
    if ('timeoutMs' in forwarded) {
      this.sessions.add(forwarded.sessionId, forwarded.timeoutMs, now);
      this.sessionOwners.set(forwarded.sessionId, from);
      this.propose(fields, { type: OpCode.createSession, timeOut: forwarded.timeoutMs }, origin);
      return;
    }
    const session = this.sessions.get(forwarded.sessionId);
    if (session === undefined || session.closing) {
      this.propose(fields, { type: OpCode.error, err: ErrorCode.sessionExpired }, origin);
      return;
    }
    if (this.movedAway(session.id, from)) {
      this.propose(fields, { type: OpCode.error, err: ErrorCode.sessionMoved }, origin);
      return;
    }
    this.sessions.touch(session, now);
    if (!('request' in forwarded)) {
      if (this.proposeCloseSession(session.id, forwarded.cxid, origin)) this.sessions.markClosing(session);
      return;
    }
    if (forwarded.type === OpCode.sync) {
      this.propose(fields, syncTxn, origin);
      return;
    }
    const outcome = this.prepare(session.id, authIds, forwarded.request as WriteRequest);
    if (outcome !== null) this.propose(fields, outcome.ok ? outcome.txn : failedWriteTxn(outcome), origin);
  }

  /** Leader: a learner's PING report — the sessions it holds connections for are alive. */
  sessionsReported(data: Uint8Array): void {
    const now = this.clock.now();
    for (const id of decodeSessionReport(data)) {
      const session = this.sessions.get(id);
      if (session !== undefined) this.sessions.touch(session, now);
    }
  }

  /** Learner: the sessions of this server's connections, for the next PING to the leader. */
  sessionReport(): Uint8Array {
    const sessions: Array<{ id: bigint; timeoutMs: number }> = [];
    for (const connection of this.connectionBySession.values()) {
      if (connection.session !== null) sessions.push({ id: connection.session.id, timeoutMs: connection.session.timeoutMs });
    }
    return encodeSessionReport(sessions);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Standalone and leader: expires sessions whose time has come; call at least once per tick. */
  tick(): void {
    this.admitThrottled();
    if (!this.decidesSessions) return;
    for (const session of this.sessions.expire(this.clock.now())) this.proposeCloseSession(session.id, 0, { kind: 'expire' });
  }

  /** Standalone and leader: deletes empty containers and expired TTL nodes, as ZooKeeper's ContainerManager. */
  reapContainers(): void {
    if (!this.decidesSessions) return;
    const candidates = this.tree.reapCandidates(this.clock.now());
    for (const path of [...candidates.containers, ...candidates.expiredTtl]) {
      const zxid = this.nextZxid();
      if (zxid === null) return;
      const txn = prepareDeleteContainer(path, this.pending, zxid);
      if (txn !== null) this.propose({ sessionId: 0n, cxid: 0 }, txn, { kind: 'reaper' });
    }
  }

  /** Replicated, a sync goes through the leader (unless the planted localSync bug answers it here). */
  private get syncIsReplicated(): boolean {
    return this.replicationState.mode !== 'standalone' && this.config.injectedBugs?.localSync !== true;
  }

  /** Only a standalone server or the leader expires sessions and reaps nodes (learners follow its txns). */
  private get decidesSessions(): boolean {
    const mode = this.replicationState.mode;
    return mode === 'standalone' || mode === 'leader';
  }
}

function originClosed(origin: ProposalOrigin): boolean {
  return 'connection' in origin && origin.connection.closed;
}

/** The reply body for an applied write, from the tree's result. */
function writeResponse(type: number, result: ApplyResult): Response | undefined {
  switch (type) {
    case OpCode.create:
      return { type, path: result.path! };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type, path: result.path!, stat: result.stat! };
    case OpCode.setData:
    case OpCode.setACL:
      return { type, stat: result.stat! };
    case OpCode.multi:
      return { type, results: (result.multiResults ?? []).map(multiResultOf) };
    default:
      return undefined;
  }
}

function multiResultOf(result: ApplyResult): MultiResult {
  // A failed multi logged as error txns (replicated) reports ErrorResult for every op, OK ones included.
  if (result.err !== 0 || result.type === OpCode.error) return { type: OpCode.error, err: result.err };
  switch (result.type) {
    // ZooKeeper's FinalRequestProcessor: a create txn gives a path-only CreateResult (type create); a
    // container or TTL create (and create2, which prep never puts in a multi) gives path and stat
    // (type create2).
    case OpCode.create:
      return { type: OpCode.create, path: result.path! };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type: OpCode.create2, path: result.path!, stat: result.stat! };
    case OpCode.setData:
      return { type: OpCode.setData, stat: result.stat! };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: OpCode.delete };
    case OpCode.check:
      return { type: OpCode.check };
    default:
      return { type: OpCode.error, err: ErrorCode.runtimeInconsistency };
  }
}

