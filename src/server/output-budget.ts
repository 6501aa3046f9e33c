// The server-wide account of output: bytes of replies and notifications produced for clients and not
// yet taken by the kernel, over all connections, and the rule deciding whether a connection's next
// read may be executed now. Transports add what they queue and give back what their socket took
// (runtime/socket-transport.ts); the core asks `mayAnswerRead` before building a reply, so a large
// reply is never materialised ahead of the socket's ability to take it. Pure bookkeeping: no I/O.
//
// Invariants: `totalBytes` is the sum of every open transport's `outputBytes` (a transport gives its
// share back when it closes); a connection's output exceeds `connectionHardBytes` by at most the
// reply built just before it got there plus small replies that are not held (writes, notifications).

import type { ServerConfig } from './config.js';

export class OutputBudget {
  /** Output over all connections, as reported by their transports. */
  totalBytes = 0;
  /** A connection's socket is not read while its output is at least this. */
  readonly connectionSoftBytes: number;
  /** A connection's reads wait while its output is at least this. */
  readonly connectionHardBytes: number;
  /** Past this total, only connections with nothing pending have reads answered. */
  readonly serverBytes: number;

  constructor(config: Pick<ServerConfig, 'connectionOutputSoftBytes' | 'connectionOutputHardBytes' | 'serverOutputBytes'>) {
    this.connectionSoftBytes = config.connectionOutputSoftBytes;
    this.connectionHardBytes = config.connectionOutputHardBytes;
    this.serverBytes = config.serverOutputBytes;
  }

  /**
   * Whether a read on a connection with `connectionBytes` of output pending may be executed now. A
   * connection with nothing pending always may (one reply at a time under server-wide pressure), so
   * a session that reads its replies is served at its usual latency whatever the others do.
   */
  mayAnswerRead(connectionBytes: number): boolean {
    if (connectionBytes === 0) return true;
    return connectionBytes < this.connectionHardBytes && this.totalBytes < this.serverBytes;
  }

  /** Whether the server-wide total has room again (the connections held by it may go on). */
  get serverHasRoom(): boolean {
    return this.totalBytes < this.serverBytes;
  }
}
