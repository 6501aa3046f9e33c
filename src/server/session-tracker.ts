// Sessions and their expiry, as ZooKeeper's SessionTrackerImpl: each session sits in an expiry bucket
// rounded up to the next tick, so expiry is one map lookup per tick instead of a scan. Pure: time
// comes from the caller. Session ids are made as ZooKeeper makes them — (ms << 24) >>> 8 with the
// server id in the top byte — then incremented, so ids from different servers and restarts differ.

import { assert } from '../util/index.js';

export interface Session {
  readonly id: bigint;
  readonly timeoutMs: number;
  /** The tick-aligned time at which the session expires unless touched. */
  expiresAtMs: number;
  /** Set once a closeSession txn for it has been prepared; no new requests are accepted. */
  closing: boolean;
}

export class SessionTracker {
  private readonly sessions = new Map<bigint, Session>();
  private readonly buckets = new Map<number, Set<Session>>();
  private nextSessionId: bigint;
  private nextExpiryMs: number;

  constructor(options: { tickTimeMs: number; serverId: number; nowMs: number }) {
    this.tickTimeMs = options.tickTimeMs;
    this.nextSessionId = SessionTracker.initialSessionId(options.serverId, options.nowMs);
    this.nextExpiryMs = this.roundUp(options.nowMs);
  }

  private readonly tickTimeMs: number;

  static initialSessionId(serverId: number, nowMs: number): bigint {
    const shifted = BigInt.asUintN(64, BigInt(nowMs) << 24n) >> 8n;
    return BigInt.asIntN(64, shifted | (BigInt(serverId) << 56n));
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: bigint): Session | undefined {
    return this.sessions.get(id);
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** A fresh session id, never handed out before by this tracker. */
  allocateId(): bigint {
    const id = this.nextSessionId;
    this.nextSessionId = BigInt.asIntN(64, id + 1n);
    return id;
  }

  /** Registers a session (new, or restored from disk). */
  add(id: bigint, timeoutMs: number, nowMs: number): Session {
    const existing = this.sessions.get(id);
    if (existing !== undefined) return existing;
    const session: Session = { id, timeoutMs, expiresAtMs: 0, closing: false };
    this.sessions.set(id, session);
    this.touch(session, nowMs);
    return session;
  }

  /** Pushes a session's expiry out by its timeout; false if it is unknown or closing. */
  touch(session: Session, nowMs: number): boolean {
    if (session.closing || !this.sessions.has(session.id)) return false;
    const expiresAtMs = this.roundUp(nowMs + session.timeoutMs);
    if (expiresAtMs === session.expiresAtMs) return true;
    this.buckets.get(session.expiresAtMs)?.delete(session);
    session.expiresAtMs = expiresAtMs;
    let bucket = this.buckets.get(expiresAtMs);
    if (bucket === undefined) this.buckets.set(expiresAtMs, (bucket = new Set()));
    bucket.add(session);
    return true;
  }

  remove(id: bigint): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.buckets.get(session.expiresAtMs)?.delete(session);
    this.sessions.delete(id);
  }

  /** Sessions whose expiry time has passed, not yet closing. Marks them closing. */
  expire(nowMs: number): Session[] {
    const expired: Session[] = [];
    while (this.nextExpiryMs <= nowMs) {
      const bucket = this.buckets.get(this.nextExpiryMs);
      if (bucket !== undefined) {
        this.buckets.delete(this.nextExpiryMs);
        for (const session of bucket) {
          assert(!session.closing, 'a closing session stays out of the expiry buckets');
          session.closing = true;
          expired.push(session);
        }
      }
      this.nextExpiryMs += this.tickTimeMs;
    }
    return expired;
  }

  /** Marks a session closing (client asked to close) so it leaves the expiry buckets. */
  markClosing(session: Session): void {
    this.buckets.get(session.expiresAtMs)?.delete(session);
    session.closing = true;
  }

  private roundUp(timeMs: number): number {
    return (Math.floor(timeMs / this.tickTimeMs) + 1) * this.tickTimeMs;
  }
}
