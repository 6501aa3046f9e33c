// The client-facing half of a simulated server, on top of its SimNode (ZAB core, disk, tree):
//  - client connections, each with a FIFO queue: a reply leaves only when every earlier request of
//    the connection has been answered (ZooKeeper's per-session order);
//  - reads served locally from this server's tree (possibly stale, as in ZooKeeper);
//  - writes, createSession and closeSession sent to the leader: a learner forwards them as REQUEST
//    packets on its quorum connection (core.forward), so they reach the leader in order;
//  - while this server leads an established epoch, a LeaderPrep: the real prep stage
//    (src/server/prep.ts over PendingChanges) and the session tracker. Failed writes are logged as
//    error txns, as ZooKeeper logs them, so every reply is given in zxid order by the server that
//    holds the connection when it applies the txn — a failure can never be answered on the strength
//    of a pending txn that a leader change later discards;
//  - session liveness: a learner reports the sessions of its connections in its PING replies; the
//    leader expires a session not heard of within its timeout with a closeSession txn.
// A server serves clients only while it is in an established epoch; when it leaves one it drops
// every client connection (the clients see a connection loss and reconnect elsewhere).

import {
  ErrorCode, JuteReader, JuteWriter, OpCode, encodeTxnRecord, readRequest, writeRequest, type Request, type Txn,
} from '../src/proto/index.js';
import {
  PendingChanges, committedRecordOf, failedWriteTxn, prepareCloseSession, prepareWrite, type WriteRequest,
} from '../src/server/index.js';
import type { ApplyResult } from '../src/tree/index.js';
import { assert } from '../src/util/index.js';
import type { LearnerPayload, LogEntry, RoleChange } from '../src/zab/index.js';
import { SimViolation } from './checkers.js';
import type { EventQueue } from './event-queue.js';
import type { SimNode } from './node.js';
import type { AppliedTxn } from './state-machine.js';

/** What a client sends that goes through the leader. */
export type SimWrite =
  | { type: typeof OpCode.createSession; timeoutMs: number }
  | { type: typeof OpCode.closeSession }
  | { type: typeof OpCode.sync; path: string }
  | WriteRequest;

/** A local read. */
export type SimRead = { type: typeof OpCode.getData | typeof OpCode.exists; path: string };

export function isRead(request: SimWrite | SimRead): request is SimRead {
  return request.type === OpCode.getData || request.type === OpCode.exists;
}

interface Forwarded {
  sessionId: bigint;
  cxid: number;
  request: SimWrite;
}

export interface SimReply {
  cxid: number;
  /** The txn's zxid for a write, the server's last applied zxid for a read. */
  zxid: number;
  err: number;
  /** For a write: the apply result. */
  result?: ApplyResult;
  /** For a read: the node's data and version, or null when it does not exist. */
  node?: { data: string; version: number } | null;
  /** For a write: the logged txn bytes (latin1), to check later that it is never lost. */
  txnText?: string;
}

/** A client as a server sees it: where its replies and connection events go. */
export interface ClientEndpoint {
  readonly label: string;
  connected(sessionId: bigint): void;
  reply(reply: SimReply): void;
  /** The connection ended: 'lost' (server or network), 'expired' (session gone), 'closed' (closeSession done). */
  closed(reason: 'lost' | 'expired' | 'closed'): void;
}

interface QueueEntry {
  cxid: number;
  read: SimRead | null;
  closeAfter: boolean;
  reply: SimReply | null;
}

export class ServerConnection {
  readonly queue: QueueEntry[] = [];
  closed = false;
  /** True once the session exists (createSession applied, or reattached). */
  live = false;

  constructor(
    readonly endpoint: ClientEndpoint,
    readonly sessionId: bigint,
  ) {}
}

/** One-way latency between a client and its server, in simulated ms (fixed, so FIFO holds). */
const clientLatencyMs = 1;

export function encodeForwarded(forwarded: Forwarded): Uint8Array {
  const writer = new JuteWriter(64);
  writer.bigLong(forwarded.sessionId).int(forwarded.cxid).int(forwarded.request.type);
  const request = forwarded.request;
  if (request.type === OpCode.createSession) writer.int(request.timeoutMs);
  else if (request.type !== OpCode.closeSession) writeRequest(writer, request as Request);
  return writer.toBuffer();
}

export function decodeForwarded(data: Uint8Array): Forwarded {
  const reader = new JuteReader(data);
  const sessionId = reader.bigLong();
  const cxid = reader.int();
  const type = reader.int();
  let request: SimWrite;
  if (type === OpCode.createSession) request = { type, timeoutMs: reader.int() };
  else if (type === OpCode.closeSession) request = { type };
  else request = readRequest(reader, type) as WriteRequest;
  return { sessionId, cxid, request };
}

/** A PING payload: the sessions a learner holds connections for (ZooKeeper: session id, timeout). */
function encodeSessionReport(sessions: readonly bigint[]): Uint8Array {
  const writer = new JuteWriter(16 + sessions.length * 12);
  writer.vector(sessions, (w, id) => w.bigLong(id).int(0));
  return writer.toBuffer();
}

function decodeSessionReport(data: Uint8Array): bigint[] {
  const reader = new JuteReader(data);
  return reader.vector((r) => {
    const id = r.bigLong();
    r.int();
    return id;
  }) ?? [];
}

/** Test-only broken behaviour of the server layer, to prove the end checks bite. */
export interface ServerBugs {
  /** Prep sees only the applied tree: two CAS writes on one version can both succeed. */
  prepIgnoresPending?: boolean;
  /** A new leader tracks only sessions created under it: older sessions never expire (ZOOKEEPER-2355's orphans). */
  newLeaderForgetsSessions?: boolean;
  /** A server answers sync from its own state without the leader: a read after it may be stale. */
  localSync?: boolean;
}

interface TrackedSession {
  timeoutMs: number;
  expiresAt: number;
  closing: boolean;
}

/** The leader's prep stage and session tracker, for one established epoch. */
export class LeaderPrep {
  readonly sessions = new Map<bigint, TrackedSession>();
  private readonly pending: PendingChanges;

  constructor(
    private readonly node: SimNode,
    private readonly queue: EventQueue,
    private readonly options: { bugs: ServerBugs; log: (line: string) => void },
  ) {
    this.pending = new PendingChanges((path) => committedRecordOf(node.stateMachine.tree, path));
    // A new leader gives every session in its state a full timeout (as ZooKeeper's leader does).
    if (options.bugs.newLeaderForgetsSessions) return;
    for (const [id, timeoutMs] of node.stateMachine.sessions) this.sessions.set(id, { timeoutMs, expiresAt: queue.now + timeoutMs, closing: false });
  }

  touch(sessionId: bigint): void {
    const session = this.sessions.get(sessionId);
    if (session !== undefined && !session.closing) session.expiresAt = this.queue.now + session.timeoutMs;
  }

  /** Prepares one request and proposes its txn (an error txn when prep fails). */
  handle(forwarded: Forwarded): void {
    const core = this.node.core;
    if (core === null) return;
    const next = core.nextZxid();
    if (!next.ok) return;
    const { sessionId, cxid, request } = forwarded;
    const session = this.sessions.get(sessionId);
    const expired: Txn = { type: OpCode.error, err: ErrorCode.sessionExpired };
    let txn: Txn;
    if (request.type === OpCode.createSession) {
      this.sessions.set(sessionId, { timeoutMs: request.timeoutMs, expiresAt: this.queue.now + request.timeoutMs, closing: false });
      txn = { type: OpCode.createSession, timeOut: request.timeoutMs };
    } else if (session === undefined || session.closing) {
      txn = expired;
    } else if (request.type === OpCode.closeSession) {
      txn = this.closeSessionTxn(sessionId, session, next.zxid);
    } else if (request.type === OpCode.sync) {
      // A sync goes through the log (a no-op check of '/'): its commit proves a quorum still follows
      // this leader, so a read after it sees every write acknowledged before the sync was sent.
      this.touch(sessionId);
      txn = { type: OpCode.check, path: '/', version: -1 };
    } else {
      this.touch(sessionId);
      if (this.options.bugs.prepIgnoresPending) this.pending.clear();
      const outcome = prepareWrite(request, this.pending, { sessionId, authIds: [], superDigest: null, ttlNodesEnabled: true, zxid: next.zxid, quota: null });
      txn = outcome.ok ? outcome.txn : failedWriteTxn(outcome);
    }
    this.propose({ sessionId, cxid, zxid: next.zxid }, txn);
  }

  private closeSessionTxn(sessionId: bigint, session: TrackedSession, zxid: number): Txn {
    session.closing = true;
    const ephemerals = new Set([...this.node.stateMachine.tree.getEphemerals(sessionId), ...this.pending.ephemeralsOf(sessionId)]);
    return prepareCloseSession(ephemerals, this.pending, zxid);
  }

  private propose(fields: { sessionId: bigint; cxid: number; zxid: number }, txn: Txn): void {
    const header = { sessionId: fields.sessionId, cxid: fields.cxid, zxid: fields.zxid, time: this.queue.now, type: txn.type };
    const result = this.node.core!.propose(encodeTxnRecord(header, txn));
    assert(result.ok && result.zxid === fields.zxid, `prep stamped 0x${fields.zxid.toString(16)} but the core did not take it there`);
  }

  fromLearner(payload: LearnerPayload): void {
    if (payload.kind === 'request') this.handle(decodeForwarded(payload.data));
    else for (const id of decodeSessionReport(payload.data)) this.touch(id);
  }

  /** Expires every session not heard of within its timeout. */
  tick(): void {
    const core = this.node.core;
    if (core === null) return;
    for (const [id, session] of this.sessions) {
      if (session.closing || session.expiresAt > this.queue.now) continue;
      const next = core.nextZxid();
      if (!next.ok) return;
      this.options.log(`${this.node.id} expires session 0x${id.toString(16)} at 0x${next.zxid.toString(16)}`);
      this.propose({ sessionId: id, cxid: 0, zxid: next.zxid }, this.closeSessionTxn(id, session, next.zxid));
    }
  }

  applied(applied: AppliedTxn): void {
    this.pending.applied(applied.header.zxid);
    if (applied.txn.type === OpCode.closeSession) this.sessions.delete(applied.header.sessionId);
  }
}

export class SimServer {
  private readonly connections = new Map<bigint, ServerConnection>();
  leaderPrep: LeaderPrep | null = null;
  private serving = false;
  /** Leading an established epoch whose log is not yet all applied: requests wait here for prep. */
  private leaderBacklog: Forwarded[] | null = null;

  private readonly queue: EventQueue;

  constructor(
    readonly node: SimNode,
    private readonly options: { queue: EventQueue; allocateSessionId: (serverId: number) => bigint; bugs: ServerBugs; log: (line: string) => void },
  ) {
    this.queue = options.queue;
  }

  get id(): number {
    return this.node.id;
  }

  /** Serving clients: up, in an established epoch (as leader, follower or observer). */
  get accepting(): boolean {
    return this.serving && this.node.up;
  }

  get appliedZxid(): number {
    return this.node.appliedZxid();
  }

  /** Live connections' sessions (for checkers and the PING report). */
  connectedSessions(): bigint[] {
    return [...this.connections.values()].filter((connection) => connection.live).map((connection) => connection.sessionId);
  }

  /**
   * A client connects: a new session (sessionId null) is created through the leader; an existing
   * one is reattached if this server knows it. Refused (null) when not serving, or when this server
   * is behind what the client has already seen (ZooKeeper's lastZxid check).
   */
  connect(endpoint: ClientEndpoint, options: { sessionId: bigint | null; timeoutMs: number; lastZxid: number }): ServerConnection | null {
    if (!this.accepting || this.appliedZxid < options.lastZxid) return null;
    if (options.sessionId === null) {
      const connection = this.open(endpoint, this.options.allocateSessionId(this.id));
      this.request(connection, 0, { type: OpCode.createSession, timeoutMs: options.timeoutMs });
      return connection;
    }
    const connection = this.open(endpoint, options.sessionId);
    if (this.node.stateMachine.sessions.has(options.sessionId)) {
      connection.live = true;
      this.leaderPrep?.touch(options.sessionId);
      this.toClient(() => endpoint.connected(options.sessionId!));
    } else {
      this.close(connection, 'expired');
    }
    return connection;
  }

  private open(endpoint: ClientEndpoint, sessionId: bigint): ServerConnection {
    const old = this.connections.get(sessionId);
    if (old !== undefined) this.close(old, 'lost');
    const connection = new ServerConnection(endpoint, sessionId);
    this.connections.set(sessionId, connection);
    return connection;
  }

  /** A request from the client (runs as an input of the node: a paused server takes it later). */
  request(connection: ServerConnection, cxid: number, request: SimWrite | SimRead): void {
    this.node.input(() => {
      if (connection.closed) return;
      if (isRead(request)) {
        connection.queue.push({ cxid, read: request, closeAfter: false, reply: null });
        this.drain(connection);
      } else {
        this.submit(connection, cxid, request);
      }
    });
  }

  private submit(connection: ServerConnection, cxid: number, request: SimWrite): void {
    if (request.type === OpCode.sync && this.options.bugs.localSync) {
      connection.queue.push({ cxid, read: { type: OpCode.exists, path: '/' }, closeAfter: false, reply: null });
      this.drain(connection);
      return;
    }
    connection.queue.push({ cxid, read: null, closeAfter: request.type === OpCode.closeSession, reply: null });
    const forwarded: Forwarded = { sessionId: connection.sessionId, cxid, request };
    if (this.leaderPrep !== null || this.leaderBacklog !== null) {
      this.toLeaderPrep(forwarded);
      return;
    }
    const sent = this.node.core?.forward(encodeForwarded(forwarded));
    if (sent === undefined || !sent.ok) this.close(connection, 'lost');
  }

  /** Answers, in order, the entries at the head of the queue that can be answered. */
  private drain(connection: ServerConnection): void {
    while (!connection.closed && connection.queue.length > 0) {
      const entry = connection.queue[0]!;
      if (entry.read !== null) entry.reply = this.performRead(entry.cxid, entry.read);
      if (entry.reply === null) return;
      connection.queue.shift();
      const reply = entry.reply;
      this.toClient(() => connection.endpoint.reply(reply));
      if (entry.closeAfter) this.close(connection, 'closed');
    }
  }

  private performRead(cxid: number, read: SimRead): SimReply {
    const node = this.node.stateMachine.tree.getNode(read.path);
    return {
      cxid, zxid: this.appliedZxid, err: node === undefined ? ErrorCode.noNode : 0,
      // The simulated clients write no null data (and the models compare strings).
      node: node === undefined ? null : { data: Buffer.from(node.data ?? '').toString('latin1'), version: node.version },
    };
  }

  private toClient(deliver: () => void): void {
    this.queue.after(clientLatencyMs, deliver);
  }

  private close(connection: ServerConnection, reason: 'lost' | 'expired' | 'closed'): void {
    if (connection.closed) return;
    connection.closed = true;
    if (this.connections.get(connection.sessionId) === connection) this.connections.delete(connection.sessionId);
    this.toClient(() => connection.endpoint.closed(reason));
  }

  /** The node applied a txn: the request it completes is answered; a closed session's connection ends. */
  applied(entry: LogEntry, applied: AppliedTxn): void {
    this.leaderPrep?.applied(applied);
    if (this.leaderBacklog !== null) this.startPrepWhenApplied();
    const { header, txn, result } = applied;
    const connection = this.connections.get(header.sessionId);
    if (connection === undefined) return;
    const waiting = connection.queue.find((queued) => queued.read === null && queued.reply === null);
    if (waiting === undefined || header.cxid < waiting.cxid) {
      // Expiry, or a request of an earlier connection of this session (its client saw a connection loss).
      if (txn.type === OpCode.closeSession && header.cxid === 0) this.close(connection, 'expired');
      return;
    }
    if (header.cxid > waiting.cxid) {
      throw new SimViolation(`server ${this.id}: session 0x${header.sessionId.toString(16)} request ${header.cxid} applied before its request ${waiting.cxid}`);
    }
    if (txn.type === OpCode.createSession) {
      connection.live = true;
      connection.queue.shift();
      this.toClient(() => connection.endpoint.connected(header.sessionId));
      this.drain(connection);
      return;
    }
    waiting.reply = { cxid: header.cxid, zxid: header.zxid, err: result.err, result, txnText: Buffer.from(entry.data).toString('latin1') };
    this.drain(connection);
  }

  roleChanged(change: RoleChange): void {
    const serving = change.established && change.role !== 'looking';
    if (!serving) this.dropClients();
    this.serving = serving;
    this.leaderPrep = null;
    this.leaderBacklog = serving && change.role === 'leading' ? [] : null;
    this.startPrepWhenApplied();
  }

  /**
   * Prep validates against the applied tree plus its own pending changes, so it starts only once the
   * new leader has applied its whole log (its last txns commit when its own disk reports them durable).
   */
  private startPrepWhenApplied(): void {
    const backlog = this.leaderBacklog;
    const status = this.node.core?.status();
    if (backlog === null || status === undefined || this.node.appliedZxid() !== status.lastZxid) return;
    this.leaderBacklog = null;
    this.leaderPrep = new LeaderPrep(this.node, this.queue, this.options);
    for (const forwarded of backlog) this.leaderPrep.handle(forwarded);
  }

  private toLeaderPrep(forwarded: Forwarded): void {
    if (this.leaderPrep !== null) this.leaderPrep.handle(forwarded);
    else this.leaderBacklog?.push(forwarded);
  }

  fromLearners(payloads: readonly LearnerPayload[]): void {
    for (const payload of payloads) {
      if (payload.kind === 'request') this.toLeaderPrep(decodeForwarded(payload.data));
      else this.leaderPrep?.fromLearner(payload);
    }
  }

  /** Every tick: the leader expires sessions; a learner refreshes the report its next PING carries. */
  tick(): void {
    if (this.leaderPrep !== null) {
      for (const id of this.connectedSessions()) this.leaderPrep.touch(id);
      this.leaderPrep.tick();
    } else if (this.serving) {
      this.node.core?.setPingPayload(encodeSessionReport(this.connectedSessions()));
    }
  }

  /** The process died: its clients' connections break. */
  crashed(): void {
    this.dropClients();
    this.serving = false;
    this.leaderPrep = null;
    this.leaderBacklog = null;
  }

  private dropClients(): void {
    for (const connection of [...this.connections.values()]) this.close(connection, 'lost');
  }
}
