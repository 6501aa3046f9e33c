// The election port: one connection per pair of servers carrying FastLeaderElection notifications,
// kept the way ZooKeeper 3.8's QuorumCnxManager keeps it, so Meerkat and ZooKeeper members can
// share an ensemble. Wire format: proto/election-wire.ts (initial message, length-prefixed frames)
// and proto/quorum.ts (the notification body).
//
// Rules (QuorumCnxManager, release-3.8):
// - Whoever dials sends the initial message (its id and election address) first.
// - Only a connection dialled by the HIGHER id survives. A server that dials a higher id sends its
//   initial message and closes; the higher id, seeing a lower id dial it, closes that socket, drops
//   any connection it believed it had with that peer (it may be a dead one from before a restart),
//   and dials back. A server accepts a dial from a higher id, replacing any older connection to it.
// - Each peer has a send queue of electionSendQueueMessagesMax (SEND_CAPACITY = 1) notifications:
//   a new one pushes out the oldest, so only the latest vote waits for a slow or absent peer.
// - When a connection comes up with nothing queued, the last notification sent to that peer is sent
//   again: it may have been lost with the previous connection, and duplicates are harmless.
// Meerkat's additions: a lost or refused connection is re-dialled with doubling backoff while
// there is something for that peer (ZooKeeper relies on its election loop calling connectAll); a
// connection whose peer reads nothing for electionWriteStallMsMax is closed; an accepted
// connection must finish its initial message within electionHandshakeTimeoutMs; ids not in the
// configuration are refused (ZooKeeper dials back whatever address the initial message names).
//
// Notifications received are handed up synchronously, in arrival order per connection; one that
// does not decode is logged and skipped (FastLeaderElection skips it too), a broken frame closes
// the connection. A notification to ourselves is delivered locally, as ZooKeeper's loopback.

import type { Logger } from 'pino';
import {
  ElectionStreamDecoder,
  encodeElectionFrame,
  encodeInitialMessage,
  encodeNotification,
  decodeNotification,
  type ElectionEvent,
  type Notification,
  type PeerAddress,
} from '../proto/index.js';
import { limits } from '../util/index.js';
import { nodePeerTransport, type PeerListener, type PeerSocket, type PeerSocketEvents, type PeerTransport } from './peer-socket.js';

export interface ElectionConnectionEvents {
  notification(from: number, notification: Notification): void;
  /** A connection to `peer` is up (the surviving one of the pair). */
  connected?(peer: number): void;
  /** The connection to `peer` is gone; a new one is dialled if there is something to send. */
  disconnected?(peer: number): void;
}

export interface ElectionConnectionsOptions {
  myId: number;
  /** Where this server listens: its server.N election address. */
  listenAddress: PeerAddress;
  /** The other members' election addresses, by id. */
  peers: ReadonlyMap<number, PeerAddress>;
  events: ElectionConnectionEvents;
  logger: Logger;
  transport?: PeerTransport;
  /** Overrides of the limits.ts defaults, for tests. */
  timing?: Partial<ElectionTiming>;
}

export interface ElectionTiming {
  reconnectDelayMsMin: number;
  reconnectDelayMsMax: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  writeStallMs: number;
}

export interface ElectionPeerStats {
  connected: boolean;
  queued: number;
  /** Notifications pushed out of the queue by newer ones. */
  dropped: number;
  /** Bytes written to the live connection and not yet taken by the kernel. */
  pendingBytes: number;
  /** Connections to this peer that came up so far. */
  connections: number;
}

interface LiveConnection {
  socket: PeerSocket;
  waitingForDrain: boolean;
  stallTimer: NodeJS.Timeout | null;
}

/** A socket becoming a peer's live connection: the decoder past the handshake, events it already produced. */
interface Adoption {
  socket: PeerSocket;
  decoder: ElectionStreamDecoder;
  pending: ElectionEvent[];
  /** Routes the socket's events to the live connection's handlers. */
  install(events: PeerSocketEvents): void;
}

interface Peer {
  readonly id: number;
  readonly address: PeerAddress;
  /** Encoded frames waiting for the connection, oldest first. */
  queue: Buffer[];
  lastSent: Buffer | null;
  live: LiveConnection | null;
  dialing: boolean;
  retryTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
  dropped: number;
  connections: number;
}

export class ElectionConnections {
  private readonly peers = new Map<number, Peer>();
  /** Every socket not yet adopted as a live connection (handshakes, dials), closed by stop(). */
  private readonly unadopted = new Set<PeerSocket>();
  private listener: PeerListener | null = null;
  private stopped = false;
  private readonly timing: ElectionTiming;
  private readonly transport: PeerTransport;
  private readonly initialMessage: Buffer;

  constructor(private readonly options: ElectionConnectionsOptions) {
    this.transport = options.transport ?? nodePeerTransport;
    this.timing = {
      reconnectDelayMsMin: limits.electionReconnectDelayMsMin,
      reconnectDelayMsMax: limits.electionReconnectDelayMsMax,
      connectTimeoutMs: limits.electionConnectTimeoutMs,
      handshakeTimeoutMs: limits.electionHandshakeTimeoutMs,
      writeStallMs: limits.electionWriteStallMsMax,
      ...options.timing,
    };
    for (const [id, address] of options.peers) {
      if (id === options.myId) continue;
      this.peers.set(id, {
        id,
        address,
        queue: [],
        lastSent: null,
        live: null,
        dialing: false,
        retryTimer: null,
        retryDelayMs: this.timing.reconnectDelayMsMin,
        dropped: 0,
        connections: 0,
      });
    }
    this.initialMessage = encodeInitialMessage({ serverId: options.myId, addresses: [options.listenAddress] });
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    this.listener = await this.transport.listen(this.options.listenAddress, (socket) => this.accepted(socket));
    return this.listener.port;
  }

  /** Queues a notification for `to` (dropping the oldest past the bound) and connects if needed. */
  send(to: number, notification: Notification): void {
    if (this.stopped) return;
    if (to === this.options.myId) {
      queueMicrotask(() => {
        if (!this.stopped) this.options.events.notification(to, notification);
      });
      return;
    }
    const peer = this.peers.get(to);
    if (peer === undefined) throw new Error(`election: unknown server id ${to}`);
    peer.queue.push(encodeElectionFrame(encodeNotification(notification)));
    while (peer.queue.length > limits.electionSendQueueMessagesMax) {
      peer.queue.shift();
      peer.dropped += 1;
    }
    if (peer.live !== null) this.flush(peer);
    else this.connectOne(peer);
  }

  isConnected(peer: number): boolean {
    return this.peers.get(peer)?.live != null;
  }

  stats(peer: number): ElectionPeerStats {
    const state = this.peers.get(peer);
    if (state === undefined) throw new Error(`election: unknown server id ${peer}`);
    return {
      connected: state.live !== null,
      queued: state.queue.length,
      dropped: state.dropped,
      pendingBytes: state.live?.socket.pendingBytes ?? 0,
      connections: state.connections,
    };
  }

  /** Closes every connection and the listener; nothing is dialled or delivered afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const peer of this.peers.values()) {
      if (peer.retryTimer !== null) clearTimeout(peer.retryTimer);
      peer.retryTimer = null;
      if (peer.live !== null) this.closeLive(peer, 'shutting down');
    }
    for (const socket of this.unadopted) socket.destroy();
    this.unadopted.clear();
    await this.listener?.close();
  }

  /** Dials `peer` unless a connection or a dial already exists (QuorumCnxManager.connectOne). */
  private connectOne(peer: Peer): void {
    if (this.stopped || peer.live !== null || peer.dialing) return;
    if (peer.retryTimer !== null) {
      clearTimeout(peer.retryTimer);
      peer.retryTimer = null;
    }
    peer.dialing = true;
    this.transport.connect(peer.address, this.timing.connectTimeoutMs).then(
      (socket) => this.dialled(peer, socket),
      (error: Error) => {
        peer.dialing = false;
        this.options.logger.debug({ peer: peer.id, err: error }, 'election: cannot connect');
        this.scheduleRetry(peer);
      },
    );
  }

  private dialled(peer: Peer, socket: PeerSocket): void {
    peer.dialing = false;
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.write(this.initialMessage);
    if (peer.id > this.options.myId) {
      // We lose the challenge: the higher id dials back once it reads who we are.
      socket.attach({ data: () => {}, drain: () => {}, close: () => this.unadopted.delete(socket) });
      this.unadopted.add(socket);
      socket.end();
      this.scheduleRetry(peer);
      return;
    }
    // ZooKeeper's startConnection: the newest connection replaces any older one.
    if (peer.live !== null) this.closeLive(peer, 'replaced by a new connection');
    this.adopt(peer, { socket, decoder: new ElectionStreamDecoder({ expectInitialMessage: false }), pending: [], install: (events) => socket.attach(events) });
  }

  private accepted(socket: PeerSocket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.unadopted.add(socket);
    const decoder = new ElectionStreamDecoder({ expectInitialMessage: true });
    const handshakeTimer = setTimeout(() => {
      this.options.logger.warn({ remote: socket.remote }, 'election: no initial message in time; closing');
      socket.destroy();
    }, this.timing.handshakeTimeoutMs);
    let decided = false;
    const forget = (): void => {
      clearTimeout(handshakeTimer);
      this.unadopted.delete(socket);
    };
    // Handlers can be swapped: the socket is attached once, for the handshake and whatever follows.
    let handlers: PeerSocketEvents = {
      drain: () => {},
      close: () => forget(),
      data: (chunk) => {
        let events: ElectionEvent[];
        try {
          events = decoder.push(chunk);
        } catch (error) {
          this.options.logger.warn({ remote: socket.remote, err: error }, 'election: bad initial message; closing');
          socket.destroy();
          return;
        }
        const first = events[0];
        if (first === undefined || first.kind !== 'initial' || decided) return;
        decided = true;
        forget();
        handlers = { data: () => {}, drain: () => {}, close: () => {} };
        const install = (events: PeerSocketEvents): void => {
          handlers = events;
        };
        this.challenge(socket, { serverId: first.message.serverId, decoder, pending: events.slice(1), install });
      },
    };
    socket.attach({ data: (chunk) => handlers.data(chunk), drain: () => handlers.drain(), close: (error) => handlers.close(error) });
  }

  /** An accepted connection said who it is (QuorumCnxManager.handleConnection). */
  private challenge(socket: PeerSocket, dial: { serverId: number } & Omit<Adoption, 'socket'>): void {
    const { serverId } = dial;
    const peer = this.peers.get(serverId);
    if (peer === undefined) {
      this.options.logger.warn({ remote: socket.remote, serverId }, 'election: connection from an id not in the configuration; closing');
      socket.destroy();
      return;
    }
    if (serverId < this.options.myId) {
      // We win: the surviving connection is ours to dial. Any connection we think we have may be
      // a dead one from before the peer restarted, so it goes too.
      socket.destroy();
      if (peer.live !== null) this.closeLive(peer, 'peer dialled again');
      this.connectOne(peer);
      return;
    }
    if (peer.live !== null) this.closeLive(peer, 'replaced by a new connection from the peer');
    this.adopt(peer, { socket, decoder: dial.decoder, pending: dial.pending, install: dial.install });
  }

  private adopt(peer: Peer, adoption: Adoption): void {
    const { socket, decoder, pending } = adoption;
    const live: LiveConnection = { socket, waitingForDrain: false, stallTimer: null };
    peer.live = live;
    peer.connections += 1;
    peer.retryDelayMs = this.timing.reconnectDelayMsMin;
    if (peer.retryTimer !== null) {
      clearTimeout(peer.retryTimer);
      peer.retryTimer = null;
    }
    const receive = (events: ElectionEvent[]): void => {
      for (const event of events) {
        if (peer.live !== live) return;
        if (event.kind === 'frame') this.received(peer, event.body);
      }
    };
    adoption.install({
      data: (chunk: Buffer) => {
        if (peer.live !== live) return;
        try {
          receive(decoder.push(chunk));
        } catch (error) {
          this.options.logger.warn({ peer: peer.id, err: error }, 'election: bad frame; closing');
          this.closeLive(peer, 'bad frame');
          this.scheduleRetry(peer);
        }
      },
      drain: () => {
        if (peer.live !== live) return;
        live.waitingForDrain = false;
        this.clearStall(live);
        this.flush(peer);
      },
      close: (error: Error | undefined) => {
        if (peer.live !== live) return;
        this.options.logger.info({ peer: peer.id, err: error }, 'election: connection closed');
        this.dropLive(peer);
        this.scheduleRetry(peer);
      },
    });
    this.options.events.connected?.(peer.id);
    receive(pending);
    if (peer.live !== live) return;
    if (peer.queue.length === 0 && peer.lastSent !== null) this.write(peer, peer.lastSent);
    this.flush(peer);
  }

  private received(peer: Peer, body: Buffer): void {
    let notification: Notification;
    try {
      notification = decodeNotification(body);
    } catch (error) {
      this.options.logger.warn({ peer: peer.id, err: error }, 'election: notification does not decode; skipped');
      return;
    }
    this.options.events.notification(peer.id, notification);
  }

  private flush(peer: Peer): void {
    while (peer.live !== null && !peer.live.waitingForDrain && peer.queue.length > 0) {
      const frame = peer.queue.shift()!;
      peer.lastSent = frame;
      this.write(peer, frame);
    }
  }

  private write(peer: Peer, frame: Buffer): void {
    const live = peer.live!;
    if (live.socket.write(frame)) return;
    live.waitingForDrain = true;
    live.stallTimer ??= setTimeout(() => {
      if (peer.live !== live) return;
      this.options.logger.warn({ peer: peer.id, pendingBytes: live.socket.pendingBytes }, 'election: peer reads nothing; closing');
      this.closeLive(peer, 'write stalled');
      this.scheduleRetry(peer);
    }, this.timing.writeStallMs);
  }

  private clearStall(live: LiveConnection): void {
    if (live.stallTimer !== null) clearTimeout(live.stallTimer);
    live.stallTimer = null;
  }

  /** Closes the live connection of `peer` ourselves and reports it. */
  private closeLive(peer: Peer, reason: string): void {
    const live = peer.live;
    if (live === null) return;
    this.options.logger.debug({ peer: peer.id, reason }, 'election: closing connection');
    this.dropLive(peer);
    live.socket.destroy();
  }

  private dropLive(peer: Peer): void {
    const live = peer.live!;
    this.clearStall(live);
    peer.live = null;
    this.options.events.disconnected?.(peer.id);
  }

  /** Re-dials later, with doubling delay, if there is still no connection and something to send. */
  private scheduleRetry(peer: Peer): void {
    if (this.stopped || peer.live !== null || peer.dialing || peer.retryTimer !== null) return;
    if (peer.queue.length === 0 && peer.lastSent === null) return;
    const delay = peer.retryDelayMs;
    peer.retryDelayMs = Math.min(delay * 2, this.timing.reconnectDelayMsMax);
    peer.retryTimer = setTimeout(() => {
      peer.retryTimer = null;
      this.connectOne(peer);
    }, delay);
  }
}
