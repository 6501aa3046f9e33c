// The quorum port: one connection between a learner and its leader carrying QuorumPackets in
// ZooKeeper 3.8's layout (proto/quorum-stream.ts: records back to back, no length prefix; SNAP
// followed by the snapshot stream and its signature).
//
// Invariants:
// - Outbound packets are coalesced per turn of the event loop and written only while the socket
//   takes them (write() true, then 'drain'). Packets waiting here count against
//   quorumQueuedBytesMax; a peer that falls further behind is dropped ('queue-full'), never
//   buffered without bound. A SNAP's snapshot bytes do not count (they are the state machine the
//   caller holds anyway, and are written from views of it), but the packets queued behind it do.
// - Nothing arriving for `readTimeoutMs` closes the connection ('timeout'): ZooKeeper's SO_TIMEOUT
//   of initLimit ticks before sync and syncLimit ticks after (setReadTimeout switches).
// - `closed` is reported exactly once, whatever the cause, after which nothing is delivered; a
//   close we ask for (close()) is reported too, with reason 'local'.
// - A leader's listener hands a connection up only once its first packet is FOLLOWERINFO or
//   OBSERVERINFO (LearnerHandler.run refuses anything else), with the learner's id from it.

import type { Logger } from 'pino';
import {
  JuteWriter,
  QuorumPacketType,
  QuorumStreamDecoder,
  decodeLearnerInfo,
  encodeQuorumStream,
  type LearnerInfo,
  type PeerAddress,
  type QuorumPacket,
} from '../proto/index.js';
import { limits } from '../util/index.js';
import { nodePeerTransport, type PeerListener, type PeerSocket, type PeerTransport } from './peer-socket.js';

export type QuorumCloseReason = 'local' | 'peer-closed' | 'timeout' | 'queue-full' | 'bad-stream';

export interface QuorumConnectionEvents {
  packet(packet: QuorumPacket): void;
  closed(reason: QuorumCloseReason, error?: Error): void;
}

/** Largest single write: small packets of one turn are joined up to this, a snapshot is cut into pieces of it. */
const writeBytesMax = 64 * 1024;

interface Outbound {
  bytes: Buffer;
  /** Counts against quorumQueuedBytesMax (everything but snapshot bytes). */
  counted: boolean;
}

export interface QuorumConnectionOptions {
  socket: PeerSocket;
  /** 'learner': this end reads its leader, so a SNAP is followed by a snapshot stream. */
  side: 'learner' | 'leader';
  events: QuorumConnectionEvents;
  logger: Logger;
  readTimeoutMs: number;
  queuedBytesMax?: number;
}

export class QuorumConnection {
  private readonly socket: PeerSocket;
  private readonly decoder: QuorumStreamDecoder;
  private events: QuorumConnectionEvents;
  private readonly logger: Logger;
  private readonly queuedBytesMax: number;
  private readonly writer = new JuteWriter(256);
  private readonly queue: Outbound[] = [];
  private queued = 0;
  private waitingForDrain = false;
  private flushScheduled = false;
  private open = true;
  private readTimeoutMs: number;
  private lastReadAt = Date.now();
  private readTimer: NodeJS.Timeout | null = null;

  constructor(options: QuorumConnectionOptions) {
    this.socket = options.socket;
    this.events = options.events;
    this.logger = options.logger;
    this.queuedBytesMax = options.queuedBytesMax ?? limits.quorumQueuedBytesMax;
    this.readTimeoutMs = options.readTimeoutMs;
    this.decoder = new QuorumStreamDecoder({ snapshotsFollowSnap: options.side === 'learner' });
    this.socket.attach({
      data: (chunk) => this.received(chunk),
      drain: () => {
        this.waitingForDrain = false;
        this.flush();
      },
      close: (error) => this.finish('peer-closed', error),
    });
    this.armReadTimer();
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Packet bytes queued here, not yet handed to the socket. */
  get queuedBytes(): number {
    return this.queued;
  }

  get remote(): string {
    return this.socket.remote;
  }

  /** Replaces the handlers (the listener's caller takes over a connection it was handed). */
  setEvents(events: QuorumConnectionEvents): void {
    this.events = events;
  }

  /** initLimit before sync, syncLimit after, in milliseconds; counts from the last byte received. */
  setReadTimeout(ms: number): void {
    this.readTimeoutMs = ms;
    this.armReadTimer();
  }

  /**
   * Queues a packet (a SNAP with its data written as ZooKeeper streams it). False when the
   * connection is closed, or was just closed because the peer is too far behind.
   */
  send(packet: QuorumPacket): boolean {
    if (!this.open) return false;
    const pieces = encodeQuorumStream([packet], this.writer);
    const isSnap = packet.type === QuorumPacketType.snap && packet.data !== null;
    let counted = 0;
    for (const [index, bytes] of pieces.entries()) {
      const snapshotBytes = isSnap && index === 1;
      if (!snapshotBytes) counted += bytes.length;
    }
    if (this.queued + counted > this.queuedBytesMax) {
      this.logger.warn({ remote: this.remote, queuedBytes: this.queued }, 'quorum: peer cannot keep up; dropping the connection');
      this.close('queue-full');
      return false;
    }
    for (const [index, bytes] of pieces.entries()) {
      if (isSnap && index === 1) {
        for (let at = 0; at < bytes.length; at += writeBytesMax) this.queue.push({ bytes: bytes.subarray(at, at + writeBytesMax), counted: false });
      } else {
        this.queue.push({ bytes, counted: true });
      }
    }
    this.queued += counted;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return true;
  }

  /** Closes at once, dropping what is queued; `closed` is reported with `reason`. */
  close(reason: QuorumCloseReason = 'local', error?: Error): void {
    if (!this.open) return;
    this.finish(reason, error);
    this.socket.destroy();
  }

  private flush(): void {
    while (this.open && !this.waitingForDrain && this.queue.length > 0) {
      const batch: Buffer[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && (batch.length === 0 || bytes + this.queue[0]!.bytes.length <= writeBytesMax)) {
        const item = this.queue.shift()!;
        if (item.counted) this.queued -= item.bytes.length;
        batch.push(item.bytes);
        bytes += item.bytes.length;
      }
      if (!this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes))) this.waitingForDrain = true;
    }
  }

  private received(chunk: Buffer): void {
    if (!this.open) return;
    this.lastReadAt = Date.now();
    let packets: QuorumPacket[];
    try {
      packets = this.decoder.push(chunk);
    } catch (error) {
      this.logger.warn({ remote: this.remote, err: error }, 'quorum: malformed stream; closing');
      this.close('bad-stream', error as Error);
      return;
    }
    for (const packet of packets) {
      if (!this.open) return;
      this.events.packet(packet);
    }
  }

  private armReadTimer(): void {
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.readTimer = null;
    if (!this.open) return;
    const left = this.lastReadAt + this.readTimeoutMs - Date.now();
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (Date.now() - this.lastReadAt >= this.readTimeoutMs) {
        this.logger.warn({ remote: this.remote, timeoutMs: this.readTimeoutMs }, 'quorum: nothing received in time; closing');
        this.close('timeout');
      } else {
        this.armReadTimer();
      }
    }, Math.max(left, 1));
  }

  private finish(reason: QuorumCloseReason, error?: Error): void {
    if (!this.open) return;
    this.open = false;
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.readTimer = null;
    this.queue.length = 0;
    this.queued = 0;
    this.events.closed(reason, error);
  }
}

/** A learner connecting to its leader's quorum port. */
export async function connectToLeader(options: {
  address: PeerAddress;
  events: QuorumConnectionEvents;
  logger: Logger;
  readTimeoutMs: number;
  connectTimeoutMs: number;
  transport?: PeerTransport;
}): Promise<QuorumConnection> {
  const socket = await (options.transport ?? nodePeerTransport).connect(options.address, options.connectTimeoutMs);
  return new QuorumConnection({ socket, side: 'learner', events: options.events, logger: options.logger, readTimeoutMs: options.readTimeoutMs });
}

export interface ArrivingLearner {
  connection: QuorumConnection;
  /** From the FOLLOWERINFO / OBSERVERINFO data. */
  info: LearnerInfo;
  type: typeof QuorumPacketType.followerInfo | typeof QuorumPacketType.observerInfo;
}

/**
 * A leader's quorum port. `onLearner` gets each connection once its first packet named the learner,
 * and returns the handlers for it; that first packet is then delivered to them like any other.
 * Until then the connection is bounded by `handshakeTimeoutMs` (initLimit).
 */
export async function listenForLearners(options: {
  address: PeerAddress;
  onLearner(learner: ArrivingLearner): QuorumConnectionEvents;
  logger: Logger;
  handshakeTimeoutMs: number;
  transport?: PeerTransport;
}): Promise<{ port: number; close(): Promise<void> }> {
  const pending = new Set<QuorumConnection>();
  const listener: PeerListener = await (options.transport ?? nodePeerTransport).listen(options.address, (socket) => {
    const connection: QuorumConnection = new QuorumConnection({
      socket,
      side: 'leader',
      logger: options.logger,
      readTimeoutMs: options.handshakeTimeoutMs,
      events: {
        closed: () => pending.delete(connection),
        packet: (packet) => {
          pending.delete(connection);
          const named = packet.type === QuorumPacketType.followerInfo || packet.type === QuorumPacketType.observerInfo;
          if (!named || packet.data === null || packet.data.length < 8) {
            options.logger.warn({ remote: connection.remote, type: packet.type }, 'quorum: first packet is not FOLLOWERINFO or OBSERVERINFO; closing');
            connection.close('bad-stream');
            return;
          }
          const type = packet.type as ArrivingLearner['type'];
          const events = options.onLearner({ connection, info: decodeLearnerInfo(packet.data), type });
          connection.setEvents(events);
          if (connection.isOpen) events.packet(packet);
        },
      },
    });
    pending.add(connection);
  });
  return {
    port: listener.port,
    async close() {
      for (const connection of pending) connection.close();
      await listener.close();
    },
  };
}
