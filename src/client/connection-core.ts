// The client's connection core, sans-I/O: it owns the session (id, password, negotiated timeout,
// last zxid seen), the xid counter, the FIFO of requests awaiting replies, pings, the read timeout,
// reconnection to the next host, authentication replay, and the watch table with re-registration
// after a reconnect. It never touches a socket or a clock: the driver passes `now` (milliseconds) to
// every input, performs the actions it takes out with `takeActions()`, and calls `tick(now)` no later
// than `nextDeadline()`.
//
// Invariants:
// - Replies arrive in the order requests were sent (ZooKeeper's per-session FIFO). A reply whose xid
//   is not the head of the in-flight FIFO is a protocol violation: the connection is dropped.
// - A request that was sent and not answered when the connection drops fails with ConnectionLoss and
//   is never re-sent (it may or may not have been applied). Requests not yet sent wait for the next
//   connection of the same session.
// - After a reconnect, auth entries are replayed first, then every watch is re-registered with
//   setWatches (setWatches2 when persistent watches exist) relative to the last zxid seen, then the
//   waiting requests go out: the server fires at once any watch whose node changed meanwhile.
// - Disconnected for longer than the negotiated session timeout, the session is taken as expired
//   (the server has certainly expired it by then, as ZooKeeper 3.9.3's client decides too); `expired`,
//   `authFailed` and `closed` are final.
// - SESSIONMOVED on any reply means another connection owns the session now: this one is dropped
//   like a lost connection (everything in flight fails with ConnectionLoss) and the next host tried.
// - Read-only (`canBeReadOnly`): a session that has only ever been served by read-only servers is not
//   known to the quorum, so reconnects ask for a new one (session id 0), as ZooKeeper's client does.
//   While connected read-only, the other hosts are probed with `isro` at growing intervals; the first
//   that answers "rw" gets the connection.

import {
  ErrorCode,
  FrameDecoder,
  FrameTooLargeError,
  JuteDecodeError,
  JuteReader,
  JuteWriter,
  KeeperState,
  OpCode,
  SpecialXid,
  readConnectResponse,
  readReplyHeader,
  readResponse,
  readWatcherEvent,
  writeConnectRequest,
  writeRequest,
  writeRequestHeader,
  type Request,
} from '../proto/index.js';
import { assert, limits } from '../util/index.js';
import { requestToServer, responseToClient } from './chroot-records.js';
import { prependChroot, stripChroot, type HostAddress } from './connect-string.js';
import type { ConnectionCoreOptions, CoreAction, ReplyOutcome, SessionState, SubmitOptions, WatchRegistration } from './core-types.js';
import { WatchRegistry, type WatchKind } from './watch-registry.js';
import { buildSetWatches } from './set-watches.js';
import { AuthReplay, type AuthEntry } from './auth-replay.js';

export type * from './core-types.js';

type Phase = 'unstarted' | 'idle' | 'opening' | 'handshaking' | 'connected' | 'closing' | 'final';

interface Outgoing<T, W> {
  request: Request;
  token: T | undefined;
  watch: WatchRegistration<W> | undefined;
  removal: { path: string; watcherType: number } | undefined;
}

interface InFlight<T, W> extends Outgoing<T, W> {
  xid: number;
}

const xidMax = 0x7fff_ffff;
const emptyPassword = new Uint8Array(16);
/** First pause before probing for a read-write server while read-only (ZooKeeper's minPingRwTimeout). */
const readWriteProbeMsInitial = 100;
/** The probe pause doubles up to this (ZooKeeper's maxPingRwTimeout). */
const readWriteProbeMsMaxDefault = 60_000;

/** What a host answered to `isro`: 'rw', 'ro', or 'none' (refused, closed, garbage, too slow). */
export type ProbeAnswer = 'rw' | 'ro' | 'none';

export class ConnectionCore<T, W> {
  private readonly actions: CoreAction<T, W>[] = [];
  private readonly watches = new WatchRegistry<W>();
  private readonly unsent: Outgoing<T, W>[] = [];
  private inFlight: InFlight<T, W>[] = [];
  private readonly auths = new AuthReplay<T>();
  private decoder: FrameDecoder;
  private phase: Phase = 'unstarted';
  private publicState: SessionState = 'connecting';
  private nextXid = 1;
  private hostIndex = -1;
  private attemptsThisRound = 0;
  private sessionId: bigint;
  private password: Uint8Array;
  private negotiatedTimeoutMs = 0;
  private lastZxidSeen = 0;
  private readOnly = false;
  private sessionEstablished: boolean;
  /** A read-write server has accepted this session once: it is a global session. */
  private seenReadWriteServer: boolean;
  private probeIntervalMs = readWriteProbeMsInitial;
  private probeAt = 0;
  /** The outstanding probe (one at a time), answered through `probeAnswered`. */
  private probe: { id: number; hostIndex: number; deadline: number } | undefined;
  private nextProbeId = 1;
  private probeCursor = 0;
  private lastReceiveAt = 0;
  private lastSendAt = 0;
  /** When the server was last heard from in this session; drives local expiry. */
  private lastHeardAt = 0;
  private attemptDeadline = 0;
  private reconnectAt = 0;
  private closeToken: T | undefined;
  private closeDeadline = 0;

  constructor(private readonly options: ConnectionCoreOptions) {
    assert(options.hosts.length > 0, 'at least one host');
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? limits.frameBytesMax);
    this.sessionId = options.session?.id ?? 0n;
    this.password = options.session?.password ?? emptyPassword;
    this.sessionEstablished = false;
    // A session handed in by the caller was made by someone; take it as global.
    this.seenReadWriteServer = options.session !== undefined;
  }

  get state(): SessionState {
    return this.publicState;
  }

  get session(): { id: bigint; password: Uint8Array; timeoutMs: number } {
    return { id: this.sessionId, password: this.password, timeoutMs: this.negotiatedTimeoutMs };
  }

  get lastZxid(): number {
    return this.lastZxidSeen;
  }

  /** Requests accepted and not yet answered (queued or in flight), internal ones excluded. */
  get outstanding(): number {
    return this.unsent.length + this.inFlight.filter((entry) => entry.token !== undefined).length;
  }

  get isFinal(): boolean {
    return this.phase === 'final';
  }

  /** The host of the current or last connection attempt. */
  get currentHost(): HostAddress | undefined {
    return this.hostIndex < 0 ? undefined : this.options.hosts[this.hostIndex % this.options.hosts.length];
  }

  takeActions(): CoreAction<T, W>[] {
    return this.actions.splice(0);
  }

  /** Starts the first connection attempt. */
  start(now: number): void {
    assert(this.phase === 'unstarted', 'start once');
    this.openNext(now);
  }

  /** The transport asked for by the last `open` is up: send the connect request. */
  transportOpened(now: number): void {
    if (this.phase !== 'opening') return;
    this.phase = 'handshaking';
    this.decoder = new FrameDecoder(this.options.maxFrameBytes ?? limits.frameBytesMax);
    this.lastReceiveAt = now;
    this.sendFrame(now, (writer) =>
      writeConnectRequest(writer, {
        protocolVersion: 0,
        lastZxidSeen: this.lastZxidSeen,
        timeOut: this.options.sessionTimeoutMs,
        sessionId: this.seenReadWriteServer ? this.sessionId : 0n,
        passwd: this.password,
        readOnly: this.options.canBeReadOnly ?? false,
      }),
    );
  }

  /** The current transport closed or failed (or could not be opened). */
  transportClosed(now: number, reason: string): void {
    if (this.phase === 'unstarted' || this.phase === 'idle' || this.phase === 'final') return;
    this.dropConnection(now, reason);
  }

  /** Bytes from the current transport. */
  receive(chunk: Buffer, now: number): void {
    if (this.phase !== 'handshaking' && this.phase !== 'connected' && this.phase !== 'closing') return;
    this.lastReceiveAt = now;
    try {
      this.decoder.push(chunk, (frame) => {
        if (this.phase === 'handshaking') this.handshake(frame, now);
        else if (this.phase === 'connected' || this.phase === 'closing') this.reply(frame, now);
      });
    } catch (error) {
      const isBadInput = error instanceof JuteDecodeError || error instanceof ProtocolViolation || error instanceof FrameTooLargeError;
      if (!isBadInput) throw error;
      this.abandonTransport(now, `bad reply from the server: ${error.message}`);
    }
  }

  /** Time passes: read timeout, ping, connect timeout, reconnect, local expiry, close timeout. */
  tick(now: number): void {
    if (this.phase === 'final' || this.phase === 'unstarted') return;
    if (this.phase === 'closing') {
      if (now >= this.closeDeadline) {
        this.actions.push({ type: 'closeTransport', reason: 'closeSession was not answered in time' });
        this.finish('closed', 'closeSession was not answered in time', this.closeToken);
      }
      return;
    }
    if (this.phase !== 'connected' && this.sessionEstablished && now - this.lastHeardAt >= this.negotiatedTimeoutMs) {
      this.expire('disconnected for longer than the session timeout');
      return;
    }
    switch (this.phase) {
      case 'idle':
        if (now >= this.reconnectAt) this.openNext(now);
        return;
      case 'opening':
      case 'handshaking':
        if (now >= this.attemptDeadline) this.abandonTransport(now, 'connect timeout');
        return;
      case 'connected':
        if (now - this.lastReceiveAt >= this.readTimeoutMs()) {
          this.abandonTransport(now, `nothing heard from the server for ${now - this.lastReceiveAt} ms`);
        } else if (now - this.lastSendAt >= this.pingIntervalMs()) {
          this.sendRequestFrame(now, SpecialXid.ping, { type: OpCode.ping });
        }
        if (this.readOnly && this.phase === 'connected') this.tickProbe(now);
        return;
    }
  }

  /**
   * The answer to a `probeReadWrite` action. An "rw" while still read-only moves the connection to
   * that host; anything else schedules the next probe, after a longer pause.
   */
  probeAnswered(id: number, answer: ProbeAnswer, now: number): void {
    if (this.probe === undefined || this.probe.id !== id) return;
    const hostIndex = this.probe.hostIndex;
    this.probe = undefined;
    if (this.phase !== 'connected' || !this.readOnly) return;
    if (answer === 'rw') {
      this.hostIndex = hostIndex - 1;
      this.abandonTransport(now, 'found a read-write server');
      return;
    }
    this.scheduleProbe(now);
  }

  /** The latest time by which the driver must call `tick`, or undefined when nothing is timed. */
  nextDeadline(): number | undefined {
    const expiry = this.sessionEstablished ? this.lastHeardAt + this.negotiatedTimeoutMs : Infinity;
    let deadline: number;
    switch (this.phase) {
      case 'final':
      case 'unstarted':
        return undefined;
      case 'closing':
        return this.closeDeadline;
      case 'idle':
        deadline = Math.min(this.reconnectAt, expiry);
        break;
      case 'opening':
      case 'handshaking':
        deadline = Math.min(this.attemptDeadline, expiry);
        break;
      case 'connected':
        deadline = Math.min(this.lastReceiveAt + this.readTimeoutMs(), this.lastSendAt + this.pingIntervalMs());
        if (this.readOnly && this.options.hosts.length > 1) deadline = Math.min(deadline, this.probe?.deadline ?? this.probeAt);
        break;
    }
    return deadline;
  }

  /**
   * Accepts a request (paths relative to the chroot). It goes out now when connected, else after
   * the next handshake. Its outcome comes back as a `reply` action carrying `token`.
   */
  submit(request: Request, options: SubmitOptions<T, W>, now: number): void {
    const outgoing: Outgoing<T, W> = {
      request: requestToServer(this.options.chroot, request),
      token: options.token,
      watch: options.watch,
      removal: options.removal,
    };
    if (this.phase === 'final' || this.phase === 'closing') {
      this.actions.push({ type: 'reply', token: options.token, outcome: this.finalOutcome() });
      return;
    }
    const bound = this.options.outstandingRequestsMax ?? limits.connectionOutstandingRequestsMax;
    // The exact count walks the FIFO; only needed when the cheap upper bound is reached.
    if (this.unsent.length + this.inFlight.length >= bound) assert(this.outstanding < bound, `more than ${bound} outstanding requests`);
    if (this.phase === 'connected') this.sendOutgoing(now, outgoing);
    else this.unsent.push(outgoing);
  }

  /**
   * The caller gave up on a request (abort or timeout). A request not yet sent is dropped; one in
   * flight stays in the FIFO (its reply must still be matched) but its outcome is discarded.
   */
  cancel(token: T): void {
    const index = this.unsent.findIndex((entry) => entry.token === token);
    if (index !== -1) {
      this.unsent.splice(index, 1);
      return;
    }
    const inFlight = this.inFlight.find((entry) => entry.token === token);
    if (inFlight !== undefined) {
      inFlight.token = undefined;
      inFlight.watch = undefined;
    }
  }

  /**
   * Adds authentication to the session: sent now if connected, and replayed after every reconnect.
   * `token` is answered when the server accepts it; a refusal ends the session (authFailed).
   */
  addAuth(scheme: string, auth: Uint8Array, token: T, now: number): void {
    if (this.phase === 'final' || this.phase === 'closing') {
      this.actions.push({ type: 'reply', token, outcome: this.finalOutcome() });
      return;
    }
    const entry = this.auths.add(scheme, auth, token);
    if (entry === undefined) {
      this.actions.push({ type: 'reply', token, outcome: { ok: false, err: ErrorCode.badArguments } });
      return;
    }
    if (this.phase === 'connected') this.sendAuth(now, entry);
  }

  /** Forgets one watcher locally; true if watchers of that kind remain on the path (server keeps it). */
  removeWatcherLocally(kind: WatchKind, path: string, watcher: W): boolean {
    this.watches.remove(kind, path, watcher);
    return this.watches.has(kind, path);
  }

  /** True if any watch of any kind is registered on the path. */
  isWatched(path: string): boolean {
    return (['data', 'exist', 'child', 'persistent', 'persistentRecursive'] as const).some((kind) => this.watches.has(kind, path));
  }

  /** removeWatches with `local`: drop the watches without asking the server. */
  removeWatchesLocally(path: string, watcherType: number): Array<{ kind: WatchKind; watcher: W }> {
    return this.watches.removeAll(path, watcherType);
  }

  /** Ends the session: closeSession when connected (answered by `token`), else close at once. */
  close(now: number, token: T, timeoutMs: number): void {
    if (this.phase === 'final' || this.phase === 'closing') {
      this.actions.push({ type: 'reply', token, outcome: { ok: true, response: { type: OpCode.closeSession }, zxid: 0 } });
      return;
    }
    this.failUnsent({ ok: false, err: ErrorCode.sessionExpired, closed: true });
    if (this.phase !== 'connected') {
      if (this.phase === 'opening' || this.phase === 'handshaking') this.actions.push({ type: 'closeTransport', reason: 'client closed' });
      this.finish('closed', 'client closed', token);
      return;
    }
    this.phase = 'closing';
    this.closeToken = token;
    this.closeDeadline = now + timeoutMs;
    this.sendOutgoing(now, { request: { type: OpCode.closeSession }, token: undefined, watch: undefined, removal: undefined });
  }

  // ---- connection life cycle -----------------------------------------------------------------

  /** While read-only: probe the next other host when due; give up on a probe not answered in time. */
  private tickProbe(now: number): void {
    const hosts = this.options.hosts.length;
    if (hosts < 2) return;
    if (this.probe !== undefined) {
      if (now >= this.probe.deadline) this.probeAnswered(this.probe.id, 'none', now);
      return;
    }
    if (now < this.probeAt) return;
    const current = this.hostIndex % hosts;
    this.probeCursor = (this.probeCursor + 1) % hosts;
    if (this.probeCursor === current) this.probeCursor = (this.probeCursor + 1) % hosts;
    const id = this.nextProbeId++;
    this.probe = { id, hostIndex: this.probeCursor, deadline: now + this.connectTimeoutMs() };
    this.actions.push({ type: 'probeReadWrite', id, host: this.options.hosts[this.probeCursor]! });
  }

  private scheduleProbe(now: number): void {
    this.probeAt = now + this.probeIntervalMs;
    this.probeIntervalMs = Math.min(this.probeIntervalMs * 2, this.options.readWriteProbeMsMax ?? readWriteProbeMsMaxDefault);
  }

  private readTimeoutMs(): number {
    return Math.floor((this.negotiatedTimeoutMs * 2) / 3);
  }

  private pingIntervalMs(): number {
    return Math.floor(this.readTimeoutMs() / 2);
  }

  private connectTimeoutMs(): number {
    const timeout = this.negotiatedTimeoutMs > 0 ? this.negotiatedTimeoutMs : this.options.sessionTimeoutMs;
    return Math.max(1, Math.floor(timeout / this.options.hosts.length));
  }

  private openNext(now: number): void {
    this.hostIndex = (this.hostIndex + 1) % this.options.hosts.length;
    this.attemptsThisRound++;
    this.phase = 'opening';
    this.attemptDeadline = now + this.connectTimeoutMs();
    this.actions.push({ type: 'open', host: this.options.hosts[this.hostIndex]! });
  }

  /** The core decided to drop the transport (timeout, bad bytes). */
  private abandonTransport(now: number, reason: string): void {
    this.actions.push({ type: 'closeTransport', reason });
    this.dropConnection(now, reason);
  }

  private dropConnection(now: number, reason: string): void {
    const wasConnected = this.phase === 'connected';
    if (this.phase === 'closing') {
      this.finish('closed', reason, this.closeToken);
      return;
    }
    for (const entry of this.inFlight.splice(0)) {
      if (entry.token !== undefined) this.actions.push({ type: 'reply', token: entry.token, outcome: { ok: false, err: ErrorCode.connectionLoss } });
    }
    this.auths.connectionLost();
    this.probe = undefined;
    this.phase = 'idle';
    if (wasConnected) {
      this.attemptsThisRound = 0;
      this.setState('disconnected', reason);
    }
    // Another round over all hosts starts after a random pause, so a down ensemble is not hammered.
    const roundDone = this.attemptsThisRound >= this.options.hosts.length;
    if (roundDone) this.attemptsThisRound = 0;
    const pauseMax = this.options.reconnectPauseMsMax ?? 1000;
    this.reconnectAt = roundDone && !wasConnected ? now + Math.floor(this.options.random() * pauseMax) : now;
  }

  private handshake(frame: Buffer, now: number): void {
    const response = readConnectResponse(new JuteReader(frame));
    if (response.timeOut <= 0) {
      this.actions.push({ type: 'closeTransport', reason: 'session expired' });
      this.expire('the server reports the session expired');
      return;
    }
    this.sessionId = response.sessionId;
    this.password = response.passwd;
    this.negotiatedTimeoutMs = response.timeOut;
    this.readOnly = response.readOnly;
    if (!this.readOnly) this.seenReadWriteServer = true;
    this.sessionEstablished = true;
    if (this.readOnly) {
      this.probeIntervalMs = readWriteProbeMsInitial;
      this.probeCursor = this.hostIndex % this.options.hosts.length;
      this.scheduleProbe(now);
    }
    this.lastHeardAt = now;
    this.phase = 'connected';
    this.attemptsThisRound = 0;
    this.setState(this.readOnly ? 'connectedReadOnly' : 'connected');
    for (const entry of this.auths.all) this.sendAuth(now, entry);
    for (const setWatches of buildSetWatches(this.watches.paths(), this.lastZxidSeen, (path) => prependChroot(this.options.chroot, path))) {
      this.sendOutgoing(now, { request: setWatches, token: undefined, watch: undefined, removal: undefined });
    }
    for (const outgoing of this.unsent.splice(0)) this.sendOutgoing(now, outgoing);
  }

  private reply(frame: Buffer, now: number): void {
    const reader = new JuteReader(frame);
    const header = readReplyHeader(reader);
    this.lastHeardAt = now;
    if (header.err === ErrorCode.sessionMoved) {
      // ZooKeeper tears such a connection down itself; either way, the session lives elsewhere now.
      this.abandonTransport(now, 'the server reports the session moved to another server');
      return;
    }
    switch (header.xid) {
      case SpecialXid.ping:
        return;
      case SpecialXid.notification:
        this.notification(readWatcherEvent(reader));
        return;
      case SpecialXid.auth:
        this.authReply(header.err);
        return;
    }
    const head = this.inFlight[0];
    if (head === undefined || head.xid !== header.xid) {
      throw new ProtocolViolation(`reply xid ${header.xid} while expecting ${head?.xid ?? 'none'}`);
    }
    this.inFlight.shift();
    if (header.zxid > 0) this.lastZxidSeen = Math.max(this.lastZxidSeen, header.zxid);
    if (head.request.type === OpCode.closeSession) {
      this.actions.push({ type: 'closeTransport', reason: 'session closed' });
      this.finish('closed', 'client closed', this.closeToken);
      return;
    }
    // A failed multi carries its per-op results in the body; other errors have none.
    const hasBody = header.err === 0 || (reader.remaining > 0 && head.request.type === OpCode.multi);
    const response = hasBody ? responseToClient(this.options.chroot, readResponse(reader, head.request.type)) : undefined;
    this.registerWatch(head, header.err);
    if (head.token === undefined) return;
    const outcome: ReplyOutcome = header.err === 0 && response !== undefined
      ? { ok: true, response, zxid: header.zxid }
      : { ok: false, err: header.err };
    this.actions.push({ type: 'reply', token: head.token, outcome });
  }

  private registerWatch(head: InFlight<T, W>, err: number): void {
    if (head.removal !== undefined && err === ErrorCode.ok) {
      const removed = this.watches.removeAll(head.removal.path, head.removal.watcherType);
      this.actions.push({ type: 'watchesRemoved', path: head.removal.path, removed });
    }
    const watch = head.watch;
    if (watch === undefined) return;
    if (err === ErrorCode.ok) {
      const kind: WatchKind = watch.on === 'exists' ? 'data' : watch.on;
      this.watches.add(kind, watch.path, watch.watcher);
    } else if (err === ErrorCode.noNode && watch.on === 'exists') {
      this.watches.add('exist', watch.path, watch.watcher);
    }
  }

  private notification(event: { type: number; state: number; path: string }): void {
    if (event.type === -1 || event.state !== KeeperState.syncConnected) return;
    const path = stripChroot(this.options.chroot, event.path);
    const watchers = this.watches.trigger(event.type, path);
    if (watchers.length > 0) this.actions.push({ type: 'watch', event: { type: event.type, path }, watchers });
  }

  private authReply(err: number): void {
    if (err === ErrorCode.authFailed) {
      this.actions.push({ type: 'closeTransport', reason: 'authentication failed' });
      this.finish('authFailed', 'authentication failed');
      return;
    }
    for (const token of this.auths.answered()) {
      this.actions.push({
        type: 'reply',
        token,
        outcome: err === ErrorCode.ok ? { ok: true, response: { type: OpCode.auth }, zxid: 0 } : { ok: false, err },
      });
    }
  }

  private expire(reason: string): void {
    this.finish('expired', reason);
  }

  /** Enters a final state: everything outstanding fails, watches are forgotten. */
  private finish(state: 'expired' | 'authFailed' | 'closed', reason: string, closeToken?: T): void {
    const outcome: ReplyOutcome = state === 'closed'
      ? { ok: false, err: ErrorCode.sessionExpired, closed: true }
      : { ok: false, err: state === 'expired' ? ErrorCode.sessionExpired : ErrorCode.authFailed };
    for (const entry of this.inFlight.splice(0)) {
      if (entry.token !== undefined) this.actions.push({ type: 'reply', token: entry.token, outcome });
    }
    this.failUnsent(outcome);
    for (const token of this.auths.drain()) this.actions.push({ type: 'reply', token, outcome });
    this.watches.clear();
    this.phase = 'final';
    this.setState(state, reason);
    if (closeToken !== undefined) {
      this.actions.push({ type: 'reply', token: closeToken, outcome: { ok: true, response: { type: OpCode.closeSession }, zxid: 0 } });
    }
  }

  private failUnsent(outcome: ReplyOutcome): void {
    for (const entry of this.unsent.splice(0)) {
      if (entry.token !== undefined) this.actions.push({ type: 'reply', token: entry.token, outcome });
    }
  }

  private finalOutcome(): ReplyOutcome {
    if (this.publicState === 'authFailed') return { ok: false, err: ErrorCode.authFailed };
    if (this.publicState === 'expired') return { ok: false, err: ErrorCode.sessionExpired };
    return { ok: false, err: ErrorCode.sessionExpired, closed: true };
  }

  private setState(state: SessionState, reason?: string): void {
    if (state === this.publicState) return;
    this.publicState = state;
    this.actions.push(reason === undefined ? { type: 'state', state } : { type: 'state', state, reason });
  }

  // ---- framing -------------------------------------------------------------------------------

  private sendOutgoing(now: number, outgoing: Outgoing<T, W>): void {
    const xid = outgoing.request.type === OpCode.setWatches || outgoing.request.type === OpCode.setWatches2
      ? SpecialXid.setWatches
      : this.allocateXid();
    this.inFlight.push({ ...outgoing, xid });
    this.sendRequestFrame(now, xid, outgoing.request);
  }

  private sendAuth(now: number, entry: AuthEntry<T>): void {
    this.auths.sent(entry);
    this.sendRequestFrame(now, SpecialXid.auth, { type: OpCode.auth, authType: 0, scheme: entry.scheme, auth: entry.auth });
  }

  private allocateXid(): number {
    const xid = this.nextXid;
    this.nextXid = xid === xidMax ? 1 : xid + 1;
    return xid;
  }

  private sendRequestFrame(now: number, xid: number, request: Request): void {
    this.sendFrame(now, (writer) => {
      writeRequestHeader(writer, { xid, type: request.type });
      writeRequest(writer, request);
    });
  }

  private sendFrame(now: number, writeBody: (writer: JuteWriter) => void): void {
    const writer = new JuteWriter(128);
    writer.int(0);
    writeBody(writer);
    writer.patchInt(0, writer.position - 4);
    this.lastSendAt = now;
    this.actions.push({ type: 'send', frame: writer.toBuffer() });
  }
}

/** The server broke the protocol (e.g. replies out of order); the connection is dropped. */
class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}
