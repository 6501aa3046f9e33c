// The Node socket adapter: runs a ConnectionCore over node:net with the wall clock and one timer.
// After every input (socket event, timer, caller) it performs the core's actions in order — open or
// drop a socket, write frames (coalesced into one write per turn), hand replies, watch events and
// state changes to the handlers — and re-arms the timer for the core's next deadline.
//
// Writes are not paused on a full socket buffer: what can be queued is bounded by the outstanding-
// request bound times the frame bound, and the server answers in order, so the queue drains.
//
// While connected read-only, the core asks for `isro` probes: each is a separate short socket whose
// answer ("rw", "ro", or nothing) goes back to the core; the core bounds how long it waits for one.
//
// Only the current socket's events reach the core: a socket the core already gave up on is
// forgotten before it is destroyed, so its late 'close' cannot be mistaken for the new one's.

import { connect as connectTcp, type Socket } from 'node:net';
import type { Request } from '../proto/index.js';
import type { HostAddress } from './connect-string.js';
import {
  ConnectionCore,
  type ConnectionCoreOptions,
  type CoreAction,
  type ReplyOutcome,
  type SessionState,
  type SubmitOptions,
  type WatchEvent,
} from './connection-core.js';
import type { WatchKind } from './watch-registry.js';

export interface DriverHandlers<T, W> {
  reply(token: T, outcome: ReplyOutcome): void;
  watch(event: WatchEvent, watchers: W[]): void;
  watchesRemoved(path: string, removed: Array<{ kind: WatchKind; watcher: W }>): void;
  state(state: SessionState, reason: string | undefined): void;
}

/** Opens a TCP socket; replaceable so tests can interpose. */
export type SocketFactory = (host: HostAddress) => Socket;

const defaultSocketFactory: SocketFactory = (host) => connectTcp({ host: host.host, port: host.port, noDelay: true });

/** A probe socket that neither answers nor closes is dropped after this (the core stopped waiting sooner). */
const probeSocketMsMax = 10_000;

/** Timer loops per input are bounded: a deadline already due is handled at most this many times in a row. */
const dueTicksPerPumpMax = 16;

export class NodeDriver<T, W> {
  readonly core: ConnectionCore<T, W>;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;

  constructor(
    coreOptions: ConnectionCoreOptions,
    private readonly handlers: DriverHandlers<T, W>,
    private readonly socketFactory: SocketFactory = defaultSocketFactory,
  ) {
    this.core = new ConnectionCore<T, W>(coreOptions);
  }

  start(): void {
    this.core.start(Date.now());
    this.pump();
  }

  submit(request: Request, options: SubmitOptions<T, W>): void {
    this.core.submit(request, options, Date.now());
    this.pump();
  }

  cancel(token: T): void {
    this.core.cancel(token);
  }

  addAuth(scheme: string, auth: Uint8Array, token: T): void {
    this.core.addAuth(scheme, auth, token, Date.now());
    this.pump();
  }

  close(token: T, timeoutMs: number): void {
    this.core.close(Date.now(), token, timeoutMs);
    this.pump();
  }

  /** Performs the core's pending actions, then re-arms the timer. Re-entrant calls are folded in. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Handlers may call back into the client (a watcher issuing a read): keep going until no
      // action is left, so nothing they queue waits for the next socket event.
      let dueTicks = 0;
      for (;;) {
        const actions = this.core.takeActions();
        if (actions.length > 0) {
          this.perform(actions);
          continue;
        }
        const deadline = this.core.nextDeadline();
        if (deadline === undefined || deadline > Date.now() || dueTicks >= dueTicksPerPumpMax) break;
        dueTicks++;
        this.core.tick(Date.now());
      }
    } finally {
      this.pumping = false;
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = this.core.nextDeadline();
    if (deadline === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.core.tick(Date.now());
      this.pump();
    }, Math.max(0, deadline - Date.now()));
  }

  private perform(actions: CoreAction<T, W>[]): void {
    const frames: Buffer[] = [];
    const flush = (): void => {
      if (frames.length === 0) return;
      const bytes = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
      frames.length = 0;
      this.socket?.write(bytes);
    };
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          frames.push(action.frame);
          break;
        case 'open':
          flush();
          this.open(action.host);
          break;
        case 'closeTransport':
          flush();
          this.dropSocket();
          break;
        case 'reply':
          this.handlers.reply(action.token, action.outcome);
          break;
        case 'watch':
          this.handlers.watch(action.event, action.watchers);
          break;
        case 'watchesRemoved':
          this.handlers.watchesRemoved(action.path, action.removed);
          break;
        case 'state':
          this.handlers.state(action.state, action.reason);
          break;
        case 'probeReadWrite':
          this.probe(action.id, action.host);
          break;
      }
    }
    flush();
  }

  private open(host: HostAddress): void {
    this.dropSocket();
    const socket = this.socketFactory(host);
    this.socket = socket;
    const current = (): boolean => this.socket === socket;
    socket.on('connect', () => {
      if (!current()) return;
      this.core.transportOpened(Date.now());
      this.pump();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!current()) return;
      this.core.receive(chunk, Date.now());
      this.pump();
    });
    // 'error' is always followed by 'close'; the close carries the news to the core.
    let failure = '';
    socket.on('error', (error) => {
      failure = error.message;
    });
    socket.on('close', () => {
      if (!current()) return;
      this.socket = undefined;
      this.core.transportClosed(Date.now(), failure === '' ? 'connection closed by the server' : failure);
      this.pump();
    });
  }

  /** Asks a host `isro`; its answer (or its failure) goes to the core once. */
  private probe(id: number, host: HostAddress): void {
    const socket = this.socketFactory(host);
    let answer = '';
    let answered = false;
    const settle = (): void => {
      if (answered) return;
      answered = true;
      socket.destroy();
      this.core.probeAnswered(id, answer === 'rw' ? 'rw' : answer === 'ro' ? 'ro' : 'none', Date.now());
      this.pump();
    };
    socket.on('connect', () => socket.write('isro'));
    socket.on('data', (chunk: Buffer) => {
      answer = (answer + chunk.toString('latin1')).slice(0, 2);
      if (answer.length === 2) settle();
    });
    socket.setTimeout(probeSocketMsMax, settle);
    socket.on('error', () => undefined);
    socket.on('close', settle);
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}
