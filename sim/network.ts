// Simulated network with TCP's contract, two connections per pair of servers as ZooKeeper has them:
// the election connection (notifications) and the quorum connection (packets), each one at a time
// (a generation number), each direction FIFO and gap-free, and the two independent of each other
// (a notification may overtake a packet sent before it). Messages travel as bytes in ZooKeeper's
// formats, decoded on arrival by the real codecs, a message's bytes possibly in several pieces
// (wire.ts). A connection breaks (link fault, crash, partition starting or healing): bytes in flight
// are lost, and each endpoint learns of it through a disconnect marker queued behind everything
// already sent to it, after a detection delay. Until its marker arrives an endpoint keeps writing to
// the dead connection (its bytes vanish); afterwards it writes to the new one. Only a quorum
// connection's break is reported to the core (an election connection is re-dialled silently, as
// runtime/election-connections.ts does). A partition drops messages in one or both directions; it
// always breaks both connections when it starts and again when it heals, so no connection ever
// has a hole in the middle.

import type { Outbound, ZabMessage } from '../src/zab/index.js';
import { type ConnectionKind, WireDecoder, connectionKindOf, encodeMessage, pieces } from './wire.js';
import type { EventQueue } from './event-queue.js';
import type { Prng } from './prng.js';

export interface NetworkEndpoints {
  /** Current incarnation of a server (bumped by each restart), or -1 while it is down. */
  incarnation(id: number): number;
  deliver(to: number, received: { from: number; message: ZabMessage }): void;
  /**
   * `to` may learn that its connection to `peer` broke: the server calls `learn()` when it actually
   * processes the news (a paused server later) and tells its core only if `learn()` returns true.
   */
  disconnected(to: number, news: { peer: number; learn: () => boolean }): void;
  /** Observes every message as it is sent, for the durability checkers. */
  sent(from: number, outbound: Outbound): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  breaks: number;
}

const kinds: readonly ConnectionKind[] = ['election', 'quorum'];
const pairKey = (a: number, b: number, kind: ConnectionKind): string => (a < b ? `${a}-${b}` : `${b}-${a}`) + kind;
const directedKey = (from: number, to: number, kind: ConnectionKind): string => `${from}>${to}${kind}`;
/** Partitions block a direction, both connections. */
const blockKey = (from: number, to: number): string => `${from}>${to}`;

export class SimNetwork {
  private readonly generation = new Map<string, number>();
  /** Each server's view of the connection generation, per peer ("from>to"). */
  private readonly knownGeneration = new Map<string, number>();
  private readonly lastDeliveryAt = new Map<string, number>();
  private readonly blocked = new Set<string>();
  /** The receiving end of each connection direction, for the generation it was made for. */
  private readonly decoders = new Map<string, { generation: number; decoder: WireDecoder }>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, breaks: 0 };
  /** Probability that a message takes the slow path. */
  slowMessageChance = 0.05;

  private readonly queue: EventQueue;
  private readonly random: Prng;
  private readonly endpoints: NetworkEndpoints;
  private readonly ids: readonly number[];

  constructor(options: { queue: EventQueue; random: Prng; endpoints: NetworkEndpoints; ids: readonly number[] }) {
    this.queue = options.queue;
    this.random = options.random;
    this.endpoints = options.endpoints;
    this.ids = options.ids;
  }

  private currentGeneration(a: number, b: number, kind: ConnectionKind): number {
    return this.generation.get(pairKey(a, b, kind)) ?? 0;
  }

  private decoder(from: number, to: number, kind: ConnectionKind, generation: number): WireDecoder {
    const key = directedKey(from, to, kind);
    const current = this.decoders.get(key);
    if (current !== undefined && current.generation === generation) return current.decoder;
    const decoder = new WireDecoder(kind);
    this.decoders.set(key, { generation, decoder });
    return decoder;
  }

  private delayMs(): number {
    return this.random.chance(this.slowMessageChance) ? this.random.int(20, 150) : this.random.int(1, 8);
  }

  send(from: number, outbound: Outbound): void {
    const { to, message } = outbound;
    const kind = connectionKindOf(message);
    this.stats.sent += 1;
    this.endpoints.sent(from, outbound);
    const generation = this.currentGeneration(from, to, kind);
    const known = this.knownGeneration.get(directedKey(from, to, kind)) ?? 0;
    if (known !== generation || this.blocked.has(blockKey(from, to))) {
      this.stats.dropped += 1;
      return;
    }
    const toIncarnation = this.endpoints.incarnation(to);
    if (toIncarnation < 0) {
      this.stats.dropped += 1;
      return;
    }
    const live = (): boolean => this.currentGeneration(from, to, kind) === generation && this.endpoints.incarnation(to) === toIncarnation;
    const parts = pieces(encodeMessage(message), this.random);
    for (const [index, part] of parts.entries()) {
      const last = index === parts.length - 1;
      this.enqueue({ from, to, kind }, () => {
        if (!live()) {
          if (last) this.stats.dropped += 1;
          return;
        }
        for (const received of this.decoder(from, to, kind, generation).push(part)) {
          this.stats.delivered += 1;
          this.endpoints.deliver(to, { from, message: received });
        }
      });
    }
  }

  /** Queues on the from→to channel, never before what is already queued there. */
  private enqueue(channel: { from: number; to: number; kind: ConnectionKind; delayMs?: number }, run: () => void): void {
    const { from, to, kind, delayMs = this.delayMs() } = channel;
    const key = directedKey(from, to, kind);
    const at = Math.max(this.queue.now + delayMs, this.lastDeliveryAt.get(key) ?? 0);
    this.lastDeliveryAt.set(key, at);
    this.queue.at(at, run);
  }

  /** Breaks the a–b connections (both, or one kind); each side learns after its own detection delay. */
  breakConnection(pair: readonly [number, number], options: { detectMsMax?: number; kind?: ConnectionKind } = {}): void {
    const [a, b] = pair;
    const detectMsMax = options.detectMsMax ?? 50;
    for (const kind of options.kind === undefined ? kinds : [options.kind]) {
      const generation = this.currentGeneration(a, b, kind) + 1;
      this.generation.set(pairKey(a, b, kind), generation);
      this.stats.breaks += 1;
      for (const [from, to] of [[a, b], [b, a]] as const) {
        const toIncarnation = this.endpoints.incarnation(to);
        if (toIncarnation < 0) continue;
        const learn = (): void => this.learnBreak(to, { peer: from, kind, generation, incarnation: toIncarnation });
        this.enqueue({ from, to, kind, delayMs: this.random.int(1, detectMsMax) }, learn);
      }
    }
  }

  /** `by` closed its quorum connection to `peer` (Ready.disconnects): it moves to a new one at once, the peer learns in order. */
  close(by: number, peer: number): void {
    const kind: ConnectionKind = 'quorum';
    const generation = this.currentGeneration(by, peer, kind) + 1;
    this.generation.set(pairKey(by, peer, kind), generation);
    this.knownGeneration.set(directedKey(by, peer, kind), generation);
    this.stats.breaks += 1;
    const peerIncarnation = this.endpoints.incarnation(peer);
    if (peerIncarnation < 0) return;
    this.enqueue({ from: by, to: peer, kind }, () => this.learnBreak(peer, { peer: by, kind, generation, incarnation: peerIncarnation }));
  }

  /**
   * `id` learns that its connection to `peer` broke, unless it already moved past that connection.
   * Until it processes this it keeps writing to the dead connection, and those writes vanish. An
   * election connection is replaced without telling the core.
   */
  private learnBreak(id: number, broken: { peer: number; kind: ConnectionKind; generation: number; incarnation: number }): void {
    const { peer, kind, generation, incarnation } = broken;
    const key = directedKey(id, peer, kind);
    if (this.endpoints.incarnation(id) !== incarnation) return;
    const learn = (): boolean => {
      if ((this.knownGeneration.get(key) ?? 0) >= generation) return false;
      this.knownGeneration.set(key, generation);
      return true;
    };
    if (kind === 'election') learn();
    else this.endpoints.disconnected(id, { peer, learn });
  }

  /** A server went down: every connection it had breaks. */
  crashed(id: number): void {
    for (const peer of this.ids) if (peer !== id) this.breakConnection([id, peer]);
  }

  /** A server came back: it starts with fresh connections. */
  restarted(id: number): void {
    for (const peer of this.ids) {
      if (peer === id) continue;
      for (const kind of kinds) this.knownGeneration.set(directedKey(id, peer, kind), this.currentGeneration(id, peer, kind));
    }
  }

  /** Drops messages from → to until healed (breaking the connection now). */
  block(from: number, to: number): void {
    const key = blockKey(from, to);
    if (this.blocked.has(key)) return;
    this.blocked.add(key);
    this.breakConnection([from, to], { detectMsMax: 400 });
  }

  /** Partitions the servers into two sides; `oneWay` blocks only side → rest. */
  partition(side: readonly number[], oneWay: boolean): void {
    for (const a of side) {
      for (const b of this.ids) {
        if (side.includes(b)) continue;
        this.block(a, b);
        if (!oneWay) this.block(b, a);
      }
    }
  }

  healAll(): void {
    const pairs = new Set<string>();
    for (const key of this.blocked) {
      const [from, to] = key.split('>').map(Number) as [number, number];
      if (!pairs.has(pairKey(from, to, 'quorum'))) {
        pairs.add(pairKey(from, to, 'quorum'));
        this.breakConnection([from, to]);
      }
    }
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }
}
