// ZooKeeper 3.6+'s RequestThrottler, as a plain queue in front of the server core's pipeline: while
// `limit` requests or more are in process (received and not yet answered), new requests wait here,
// server-wide, in arrival order — and so does every later request of a connection that has one
// waiting, which keeps each session's order. A waiting request is admitted when the count drops
// below the limit; one whose connection closed meanwhile is dropped (requestThrottleDropStale); one
// that waited longer than `waitMsMax` is answered THROTTLEDOP in its session's order instead of being
// executed (throttledOpWaitTime). Pings are not held (their replies are not ordered).
//
// Bounded: the requests held count toward the outstanding totals that pause socket reads
// (client-listener.ts), so at most globalOutstandingLimit plus one per connection wait here.

import { OpCode, type Request } from '../proto/index.js';
import type { ClientConnection } from './client-connection.js';

export interface ThrottleSettings {
  /** Requests in process before new ones wait (0: no throttling, ZooKeeper's default). */
  limit: number;
  /** A request that waited longer than this is answered THROTTLEDOP (0: never). */
  waitMsMax: number;
}

interface Held {
  connection: ClientConnection;
  xid: number;
  request: Request;
  atMs: number;
}

export class RequestThrottle {
  private readonly held: Held[] = [];
  private head = 0;

  constructor(private readonly settings: ThrottleSettings) {}

  get size(): number {
    return this.held.length - this.head;
  }

  /** Whether a request must wait (see the file comment). */
  holds(connection: ClientConnection, request: Request, inProcess: number): boolean {
    if (this.settings.limit <= 0 || request.type === OpCode.ping) return false;
    return connection.throttledRequests > 0 || inProcess >= this.settings.limit;
  }

  hold(connection: ClientConnection, held: { xid: number; request: Request; atMs: number }): void {
    connection.throttledRequests++;
    this.held.push({ connection, ...held });
  }

  /**
   * The next request to admit while `inProcess` is under the limit: `run` to execute, `throttled`
   * to answer THROTTLEDOP; a stale one (closed connection) is skipped. Null when none may go.
   */
  next(inProcess: number, nowMs: number): { held: Held; verdict: 'run' | 'throttled' } | null {
    while (this.head < this.held.length && inProcess < this.settings.limit) {
      const held = this.held[this.head]!;
      this.held[this.head] = undefined as unknown as Held;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.held.length) {
        this.held.splice(0, this.head);
        this.head = 0;
      }
      held.connection.throttledRequests--;
      if (held.connection.closed) continue;
      const waited = nowMs - held.atMs;
      return { held, verdict: this.settings.waitMsMax > 0 && waited > this.settings.waitMsMax ? 'throttled' : 'run' };
    }
    return null;
  }
}
