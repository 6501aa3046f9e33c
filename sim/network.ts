// Simulated network with TCP's contract: between two servers there is one connection at a time
// (a generation number); on it each direction is FIFO and gap-free. A connection breaks (link
// fault, crash, partition starting or healing): messages in flight are lost, and each endpoint
// learns of it through a disconnect marker queued behind everything already sent to it, after a
// detection delay. Until its marker arrives an endpoint keeps writing to the dead connection (its
// messages vanish); afterwards it writes to the new one. A partition drops messages in one or both
// directions; it always breaks the connection when it starts and again when it heals, so no
// connection ever has a hole in the middle.

import type { Outbound, ZabMessage } from '../src/zab/index.js';
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

const pairKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);
const directedKey = (from: number, to: number): string => `${from}>${to}`;

export class SimNetwork {
  private readonly generation = new Map<string, number>();
  /** Each server's view of the connection generation, per peer ("from>to"). */
  private readonly knownGeneration = new Map<string, number>();
  private readonly lastDeliveryAt = new Map<string, number>();
  private readonly blocked = new Set<string>();
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

  private currentGeneration(a: number, b: number): number {
    return this.generation.get(pairKey(a, b)) ?? 0;
  }

  private delayMs(): number {
    return this.random.chance(this.slowMessageChance) ? this.random.int(20, 150) : this.random.int(1, 8);
  }

  send(from: number, outbound: Outbound): void {
    const { to, message } = outbound;
    this.stats.sent += 1;
    this.endpoints.sent(from, outbound);
    const generation = this.currentGeneration(from, to);
    const known = this.knownGeneration.get(directedKey(from, to)) ?? 0;
    if (known !== generation || this.blocked.has(directedKey(from, to))) {
      this.stats.dropped += 1;
      return;
    }
    const toIncarnation = this.endpoints.incarnation(to);
    if (toIncarnation < 0) {
      this.stats.dropped += 1;
      return;
    }
    this.enqueue({ from, to }, () => {
      if (this.currentGeneration(from, to) !== generation || this.endpoints.incarnation(to) !== toIncarnation) {
        this.stats.dropped += 1;
        return;
      }
      this.stats.delivered += 1;
      this.endpoints.deliver(to, { from, message });
    });
  }

  /** Queues on the from→to channel, never before what is already queued there. */
  private enqueue(channel: { from: number; to: number; delayMs?: number }, run: () => void): void {
    const { from, to, delayMs = this.delayMs() } = channel;
    const key = directedKey(from, to);
    const at = Math.max(this.queue.now + delayMs, this.lastDeliveryAt.get(key) ?? 0);
    this.lastDeliveryAt.set(key, at);
    this.queue.at(at, run);
  }

  /** Breaks the a–b connection; each side learns after its own detection delay. */
  breakConnection(pair: readonly [number, number], detectMsMax = 50): void {
    const [a, b] = pair;
    const generation = this.currentGeneration(a, b) + 1;
    this.generation.set(pairKey(a, b), generation);
    this.stats.breaks += 1;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const toIncarnation = this.endpoints.incarnation(to);
      if (toIncarnation < 0) continue;
      const learn = (): void => this.learnBreak(to, { peer: from, generation, incarnation: toIncarnation });
      this.enqueue({ from, to, delayMs: this.random.int(1, detectMsMax) }, learn);
    }
  }

  /** `by` closed its connection to `peer`: it moves to a new one at once, the peer learns in order. */
  close(by: number, peer: number): void {
    const generation = this.currentGeneration(by, peer) + 1;
    this.generation.set(pairKey(by, peer), generation);
    this.knownGeneration.set(directedKey(by, peer), generation);
    this.stats.breaks += 1;
    const peerIncarnation = this.endpoints.incarnation(peer);
    if (peerIncarnation < 0) return;
    this.enqueue({ from: by, to: peer }, () => this.learnBreak(peer, { peer: by, generation, incarnation: peerIncarnation }));
  }

  /**
   * `id` learns that its connection to `peer` broke, unless it already moved past that connection.
   * Until it processes this it keeps writing to the dead connection, and those writes vanish.
   */
  private learnBreak(id: number, broken: { peer: number; generation: number; incarnation: number }): void {
    const { peer, generation, incarnation } = broken;
    const key = directedKey(id, peer);
    if (this.endpoints.incarnation(id) !== incarnation) return;
    this.endpoints.disconnected(id, {
      peer,
      learn: () => {
        if ((this.knownGeneration.get(key) ?? 0) >= generation) return false;
        this.knownGeneration.set(key, generation);
        return true;
      },
    });
  }

  /** A server went down: every connection it had breaks. */
  crashed(id: number): void {
    for (const peer of this.ids) if (peer !== id) this.breakConnection([id, peer]);
  }

  /** A server came back: it starts with fresh connections. */
  restarted(id: number): void {
    for (const peer of this.ids) {
      if (peer !== id) this.knownGeneration.set(directedKey(id, peer), this.currentGeneration(id, peer));
    }
  }

  /** Drops messages from → to until healed (breaking the connection now). */
  block(from: number, to: number): void {
    const key = directedKey(from, to);
    if (this.blocked.has(key)) return;
    this.blocked.add(key);
    this.breakConnection([from, to], 400);
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
      if (!pairs.has(pairKey(from, to))) {
        pairs.add(pairKey(from, to));
        this.breakConnection([from, to]);
      }
    }
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }
}
