// Simulated ZooKeeper clients. Each holds at most one session and one connection at a time, issues
// a random mix of requests with a few outstanding (creates, CAS setData and delete on a few shared
// keys, sequential and ephemeral creates, multi, local reads, sync followed by a read, closeSession),
// reconnects elsewhere
// after a connection loss (only to a server that has seen everything it has seen, as ZooKeeper's
// clients do), gives up a connection that stays silent for 2/3 of the session timeout, and records
// every operation with its call and return times for the linearizability checker.
// Checked as replies arrive: each session sees zxids that never go back (which includes reading its
// own writes), and each write's txn is remembered so the end check can prove no acknowledged write
// was lost.

import {
  CreateMode, ErrorCode, JuteReader, OpCode, type Request, type Response, SpecialXid, readConnectResponse, readReplyHeader,
  readResponse, readTxnHeader,
} from '../src/proto/index.js';
import { SimViolation } from './checkers.js';
import type { Checkers } from './checkers.js';
import { type ClientEnd, SimClientLink, connectFrame, requestFrame } from './client-link.js';
import type { EventQueue } from './event-queue.js';
import { neverReturned } from './linearizability.js';
import type { SimNode } from './node.js';
import type { Prng } from './prng.js';
import type { ZkInput, ZkOperation, ZkOutput } from './zk-model.js';

/** What a client sends: a request record (its type says which). */
export type SimRequest = Request;

/** A reply as the client decoded it from the wire. */
export interface SimReply {
  cxid: number;
  zxid: number;
  err: number;
  response: Response | undefined;
}

/** A server as clients pick one: its process and whether it serves. */
export interface SimServerView {
  readonly node: SimNode;
  readonly accepting: boolean;
  readonly appliedZxid: number;
}

/** The keys whose history is checked for linearizability (flat, one partition per key). */
export const checkedKeys = ['/k0', '/k1', '/k2'] as const;

interface Outstanding {
  cxid: number;
  /** The request's type: how its reply is decoded. */
  type: number;
  callMs: number;
  /** Index in the history for a checked-key write. */
  historyIndex: number;
  write: boolean;
  /** The highest zxid any client had been acknowledged when this was sent. */
  floor: number;
  label: string;
  path: string | null;
  /** A sync whose answer triggers a read of this key (see send). */
  syncThenRead: string | null;
}

export interface ClientEnvironment {
  queue: EventQueue;
  random: Prng;
  checkers: Checkers;
  servers: readonly SimServerView[];
  /** Writes and synced reads on the checked keys, as the clients saw them. */
  history: ZkOperation[];
  /** Called for every write reply, with the time its request was sent. */
  onWriteReply(reply: SimReply, sentAtMs: number): void;
  log(line: string): void;
}

const outstandingMax = 3;

export class SimClient {
  private sessionId: bigint | null = null;
  private link: SimClientLink | null = null;
  private passwd: Uint8Array = new Uint8Array(16);
  private lastSentMs = 0;
  private connected = false;
  /** Bumped per connection attempt: events of an older connection are ignored. */
  private generation = 0;
  private nextCxid = 1;
  private lastZxid = 0;
  private lastHeardMs = 0;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly knownVersion = new Map<string, number>();
  private readonly timeoutMs: number;
  private closing = false;
  operations = 0;

  constructor(
    readonly id: number,
    private readonly environment: ClientEnvironment,
  ) {
    this.timeoutMs = environment.random.int(1500, 4000);
  }

  get label(): string {
    return `c${this.id}`;
  }

  /** A network fault between this client and its server: the connection resets. */
  resetConnection(): void {
    this.link?.reset();
  }

  /** One step of the client's loop. */
  step(): void {
    const { queue } = this.environment;
    if (this.link === null) return this.tryConnect();
    // A handshake that goes unanswered (its createSession was lost with a leader) is given up too.
    if (!this.connected) {
      if (queue.now - this.lastHeardMs > (this.timeoutMs * 2) / 3) this.lost('handshake timed out');
      return;
    }
    // A connection that stays silent too long is given up, as ZooKeeper's client does at 2/3 of the timeout.
    if (this.outstanding.size > 0 && queue.now - this.lastHeardMs > (this.timeoutMs * 2) / 3) return this.lost('silent server');
    if (this.outstanding.size < outstandingMax && !this.closing) this.issue();
    // An idle session pings, as ZooKeeper's clients do, so its server keeps it alive.
    else if (queue.now - this.lastSentMs > this.timeoutMs / 3) this.sendFrame(SpecialXid.ping, { type: OpCode.ping });
  }

  private tryConnect(): void {
    const { random, servers, queue } = this.environment;
    const candidates = servers.filter((server) => server.accepting && server.appliedZxid >= this.lastZxid);
    if (candidates.length === 0) return;
    const server = random.pick(candidates);
    const generation = ++this.generation;
    const current = (): boolean => this.generation === generation;
    const end: ClientEnd = {
      frame: (reader) => {
        if (current()) this.onFrame(reader);
      },
      broken: () => {
        if (current()) this.lost('connection lost');
      },
    };
    this.link = new SimClientLink(server.node, { queue, client: end, label: this.label });
    this.connected = false;
    this.lastHeardMs = queue.now;
    this.lastSentMs = queue.now;
    this.link.write(connectFrame({
      protocolVersion: 0, lastZxidSeen: this.lastZxid, timeOut: this.timeoutMs, sessionId: this.sessionId ?? 0n, passwd: this.passwd, readOnly: false,
    }));
  }

  /** A frame from the server: the connect response first, then replies (and pings' answers) in order. */
  private onFrame(reader: JuteReader): void {
    this.lastHeardMs = this.environment.queue.now;
    if (!this.connected) {
      const response = readConnectResponse(reader);
      if (response.timeOut <= 0) return this.onClosed('expired');
      this.sessionId = response.sessionId;
      this.passwd = response.passwd;
      this.connected = true;
      return;
    }
    const header = readReplyHeader(reader);
    if (header.xid === SpecialXid.ping || header.xid === SpecialXid.notification) return;
    const request = this.outstanding.get(header.xid);
    if (request === undefined) throw new SimViolation(`${this.label}: reply to unknown request ${header.xid}`);
    const response = header.err === 0 && request.type !== OpCode.closeSession ? readResponse(reader, request.type) : undefined;
    this.onReply({ cxid: header.xid, zxid: header.zxid, err: header.err, response });
  }

  private onClosed(reason: 'lost' | 'expired' | 'closed'): void {
    if (reason === 'lost') return this.lost('connection lost');
    this.environment.log(`${this.label} session 0x${this.sessionId?.toString(16) ?? '?'} ${reason}`);
    this.endConnection();
    this.sessionId = null;
    this.closing = false;
    this.nextCxid = 1;
  }

  /** The connection is gone; the session may live on. Outstanding requests have unknown outcomes. */
  private lost(reason: string): void {
    this.environment.log(`${this.label} ${reason} (server ${this.link?.node.id ?? '?'})`);
    this.endConnection();
  }

  private endConnection(): void {
    this.generation++;
    this.link?.disconnect();
    this.link = null;
    this.connected = false;
    // Their history entries keep `neverReturned`: they may or may not have taken effect.
    this.outstanding.clear();
    // A closeSession without an answer may not have happened: the next connection tries the session.
    this.closing = false;
  }

  /**
   * `syncThenRead`: once the sync is answered, read this key on the same connection; the pair is one
   * linearizable read in the history, from the sync's call to the read's return.
   */
  private send(request: SimRequest, fields: { label: string; path: string | null; op?: ZkInput; syncThenRead?: string; callMs?: number }): void {
    const { queue, history, checkers } = this.environment;
    const cxid = this.nextCxid++;
    // A sync is checked as the read it guards (the linearizability checker), not as a write.
    const write = request.type !== OpCode.getData && request.type !== OpCode.sync;
    let historyIndex = -1;
    if (fields.op !== undefined) {
      historyIndex = history.length;
      history.push({ clientId: this.id, input: fields.op, call: fields.callMs ?? queue.now, return: neverReturned });
    }
    this.outstanding.set(cxid, {
      cxid, type: request.type, callMs: queue.now, historyIndex, write, floor: checkers.lastAcknowledgedZxid, label: `${this.label}.${cxid}:${fields.label}`, path: fields.path,
      syncThenRead: fields.syncThenRead ?? null,
    });
    this.operations++;
    this.sendFrame(cxid, request);
  }

  private sendFrame(xid: number, request: SimRequest): void {
    this.lastSentMs = this.environment.queue.now;
    this.link!.write(requestFrame(xid, request));
  }

  private issue(): void {
    const { random } = this.environment;
    const roll = random.int(0, 99);
    const key = random.pick(checkedKeys);
    const data = `${this.label}-${this.nextCxid}`;
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const version = random.chance(0.6) ? (this.knownVersion.get(key) ?? -1) : -1;
    const bytes = Buffer.from(data, 'latin1');
    if (roll < 18) {
      this.send({ type: OpCode.create, path: key, data: bytes, acl, flags: CreateMode.persistent }, { label: `create ${key}`, path: key, op: { kind: 'create', path: key, data } });
    } else if (roll < 38) {
      this.send({ type: OpCode.setData, path: key, data: bytes, version }, { label: `set ${key}@${version}`, path: key, op: { kind: 'setData', path: key, data, expectedVersion: version } });
    } else if (roll < 46) {
      this.send({ type: OpCode.delete, path: key, version }, { label: `delete ${key}@${version}`, path: key, op: { kind: 'delete', path: key, expectedVersion: version } });
    } else if (roll < 52) {
      this.send({ type: OpCode.create, path: '/seq-', data: bytes, acl, flags: CreateMode.persistentSequential }, { label: 'create /seq-', path: null });
    } else if (roll < 60) {
      const path = `/e${random.int(0, 3)}`;
      this.send({ type: OpCode.create, path, data: bytes, acl, flags: CreateMode.ephemeral }, { label: `create -e ${path}`, path: null });
    } else if (roll < 66) {
      const a = `/m${random.int(0, 2)}`;
      const b = `/m${random.int(0, 2)}`;
      this.send({
        type: OpCode.multi,
        ops: [
          { type: OpCode.create, path: a, data: bytes, acl, flags: CreateMode.persistent },
          { type: OpCode.setData, path: b, data: bytes, version: -1 },
        ],
      }, { label: `multi ${a} ${b}`, path: null });
    } else if (roll < 88) {
      this.send({ type: OpCode.getData, path: key, watch: false }, { label: `get ${key}`, path: key });
    } else if (roll < 98) {
      this.send({ type: OpCode.sync, path: key }, { label: `sync ${key}`, path: null, syncThenRead: key });
    } else {
      this.closing = true;
      this.send({ type: OpCode.closeSession }, { label: 'closeSession', path: null });
    }
  }

  private onReply(reply: SimReply): void {
    const { queue, history, checkers } = this.environment;
    this.lastHeardMs = queue.now;
    const request = this.outstanding.get(reply.cxid);
    if (request === undefined) throw new SimViolation(`${this.label}: reply to unknown request ${reply.cxid}`);
    // Replies come in request order on a connection.
    const first = Math.min(...this.outstanding.keys());
    if (reply.cxid !== first) throw new SimViolation(`${this.label}: reply to ${reply.cxid} before ${first}`);
    this.outstanding.delete(reply.cxid);
    if (reply.zxid < this.lastZxid) {
      throw new SimViolation(`${this.label} (session 0x${this.sessionId!.toString(16)}): reply to ${request.label} carries zxid 0x${reply.zxid.toString(16)} below 0x${this.lastZxid.toString(16)} it saw before`);
    }
    this.lastZxid = reply.zxid;
    if (request.write) {
      this.checkReplyTxn(request, reply);
      checkers.writeAcknowledged({ label: request.label, zxid: reply.zxid, floor: request.floor });
      this.environment.onWriteReply(reply, request.callMs);
      if (reply.err === ErrorCode.sessionExpired) return this.onClosed('expired');
    }
    if (request.path !== null) {
      const version = reply.response !== undefined && 'stat' in reply.response ? reply.response.stat.version : undefined;
      if (reply.err === ErrorCode.noNode) this.knownVersion.delete(request.path);
      else if (version !== undefined) this.knownVersion.set(request.path, version);
    }
    if (request.syncThenRead !== null && reply.err === ErrorCode.ok && this.link !== null && !this.closing) {
      const key = request.syncThenRead;
      this.send({ type: OpCode.getData, path: key, watch: false }, { label: `get ${key} after sync`, path: key, op: { kind: 'getData', path: key }, callMs: request.callMs });
    }
    if (request.historyIndex >= 0) {
      const entry = history[request.historyIndex]!;
      entry.return = queue.now;
      const output = zkOutput(entry.input, reply);
      if (output !== null) entry.output = output;
      else history.splice(request.historyIndex, 1, { ...entry, return: neverReturned });
    }
  }

  /** A write's reply names the zxid of the very txn its request became (this session, this cxid). */
  private checkReplyTxn(request: Outstanding, reply: SimReply): void {
    const text = this.environment.checkers.committed.get(reply.zxid);
    if (text === undefined) throw new SimViolation(`${this.label}: reply to ${request.label} names 0x${reply.zxid.toString(16)}, which no server applied`);
    const header = readTxnHeader(new JuteReader(Buffer.from(text, 'latin1')));
    if (header.sessionId !== this.sessionId || header.cxid !== request.cxid) {
      throw new SimViolation(`${this.label}: reply to ${request.label} names 0x${reply.zxid.toString(16)}, the txn of session 0x${header.sessionId.toString(16)} request ${header.cxid}`);
    }
  }
}

/** The model's view of a write's reply; null for an error the model does not know (outcome: none). */
function zkOutput(input: ZkInput, reply: SimReply): ZkOutput | null {
  const response = reply.response;
  if (input.kind === 'getData') {
    if (reply.err === ErrorCode.noNode) return 'NoNode';
    // The simulated clients write no null data (and the model compares strings).
    if (reply.err !== ErrorCode.ok || response?.type !== OpCode.getData) return null;
    return { data: Buffer.from(response.data ?? '').toString('latin1'), version: response.stat.version };
  }
  switch (reply.err) {
    case ErrorCode.ok: return input.kind === 'setData' && response?.type === OpCode.setData ? { version: response.stat.version } : 'ok';
    case ErrorCode.nodeExists: return 'NodeExists';
    case ErrorCode.noNode: return 'NoNode';
    case ErrorCode.badVersion: return 'BadVersion';
    default: return null;
  }
}
