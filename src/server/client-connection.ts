// Server-side state of one client connection: its session, its authentication ids, and its FIFO queue
// of requests in flight. The transport (a socket in runtime/, a simulated link in sim/) sits behind the
// small Transport interface, so this layer stays free of I/O.

import {
  type Id, JuteWriter, type ReplyHeader, type Request, type Response, encodeFrameView, writeReplyHeader, writeResponse,
} from '../proto/index.js';
import { ConnectionStats } from './connection-stats.js';
import type { Session } from './session-tracker.js';

export interface Transport {
  /**
   * Queues one complete frame (length prefix included) for the peer. The frame is valid only during
   * the call (replies are encoded in a shared scratch buffer): a transport that keeps it copies it.
   */
  send(frame: Uint8Array): void;
  /** Closes the connection after queued frames are flushed; `reason` goes to the log. */
  close(reason: string): void;
  /**
   * Bytes sent through this transport that the peer's side has not taken yet (queued here or in the
   * socket). Reads wait while it is over the bounds (OutputBudget); a transport that holds nothing
   * reports 0. The transport calls `ServerCore.outputTaken` when it falls.
   */
  readonly outputBytes: number;
}

/** A request waiting in its connection's FIFO queue (plain data: no closures on the hot path). */
export interface QueuedRequest {
  xid: number;
  type: number;
  /** A read to perform when it reaches the head of the queue, or null. */
  read: Request | null;
  /** A write (or closeSession) to prepare when it reaches the head of the queue, or null. */
  write: Request | null;
  /** False while its txn is not yet applied. */
  ready: boolean;
  err: number;
  /** The reply's zxid; -1 means the tree's last processed zxid when the reply is sent. */
  zxid: number;
  response: Response | undefined;
  /** Close the connection after replying (closeSession). */
  closeAfter: boolean;
  /** A barrier, not a request: nothing is sent when it reaches the head (see ServerCore.connect). */
  silent?: boolean;
  /** Set on arrival, for latency statistics. */
  receivedAtMs: number;
}

export class ClientConnection {
  /** Unique within its server (the core numbers them). */
  readonly id: number;
  readonly transport: Transport;
  readonly remoteAddress: string;
  readonly remotePort: number;
  session: Session | null = null;
  authIds: Id[];
  closed = false;
  readonly queue: QueuedRequest[] = [];
  /** What `cons` reports and `crst` resets. */
  readonly stats = new ConnectionStats();
  /** Reads in `queue`, not yet performed. */
  queuedReads = 0;
  /** Reads at the front of `queue` that a prepared write follows: answered whatever the output bounds. */
  readsAheadOfWrite = 0;
  /** Writes in `queue` not yet prepared (they wait for the reads ahead of them; ServerCore.writeMustWait). */
  writesWaiting = 0;
  /** Requests of this connection waiting in the request throttler (request-throttle.ts). */
  throttledRequests = 0;
  readonly establishedAtMs: number;

  constructor(fields: { id: number; transport: Transport; remoteAddress: string; remotePort: number; nowMs: number }) {
    this.id = fields.id;
    this.transport = fields.transport;
    this.remoteAddress = fields.remoteAddress;
    this.remotePort = fields.remotePort;
    this.authIds = [{ scheme: 'ip', id: fields.remoteAddress }];
    this.establishedAtMs = fields.nowMs;
  }

  get sessionId(): bigint {
    return this.session?.id ?? 0n;
  }
}

const scratch = new JuteWriter(64 * 1024);

/**
 * Encodes a length-prefixed frame: header, then body if any. The result is a view into a shared
 * scratch buffer, valid until the next encode: hand it to `Transport.send` at once.
 */
export function encodeReply(header: ReplyHeader, response?: Response): Buffer {
  scratch.reset();
  scratch.int(0);
  writeReplyHeader(scratch, header);
  if (response !== undefined && header.err === 0) writeResponse(scratch, response);
  scratch.patchInt(0, scratch.position - 4);
  return scratch.view();
}

/** Encodes a length-prefixed frame from a writer callback; a view into the scratch buffer, as `encodeReply`. */
export function encodeServerFrame(write: (writer: JuteWriter) => void): Buffer {
  return encodeFrameView(write, scratch);
}
