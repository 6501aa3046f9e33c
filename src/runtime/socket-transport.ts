// The Node socket adapter behind server/'s Transport: frames queued during one turn of the event loop
// are copied into one buffer per connection (a frame is only valid during `send`) and go out as a
// single write, and the socket is ended once queued frames are flushed when the server
// closes the connection. The write waits for setImmediate, i.e. until every I/O callback of this turn
// ran (each socket read, each log completion), not just the current one: under load the replies of
// several log completions and reads share one write syscall per connection (reads +5-10 %, A/B).
//
// Output accounting: `outputBytes` is what was sent here and not yet taken by the kernel (queued in
// the buffer plus the socket's writableLength), and the same bytes count in the server-wide
// OutputBudget; both are recounted when a write completes and given back when the socket closes.
// When write() returns false, frames keep coalescing in the buffer until 'drain'. A connection whose
// output stays past the hard bound with no write completing for the stall time is reported stalled.

import type { Socket } from 'node:net';
import type { OutputBudget, Transport } from '../server/index.js';

/** Bytes a connection's output buffer starts with; it doubles when a turn's replies need more. */
const outputInitialBytes = 2048;
/** An output buffer grown past this (a large reply) is given back after its turn. */
const outputKeptBytesMax = 64 * 1024;

/** What the transport tells its owner (made once per socket). */
export interface SocketTransportEvents {
  /** The server closes the connection; `reason` is for the log. */
  closing(reason: string): void;
  /** A write completed and output fell: held reads may go on, a paused socket may resume. */
  outputTaken(): void;
  /** Output stayed past the hard bound for `stallMs` while the peer took nothing. */
  stalled(outputBytes: number): void;
}

export interface SocketTransportOptions {
  socket: Socket;
  /** The server-wide account this connection's output counts in; its bounds apply. */
  budget: OutputBudget;
  /** How long output may stay past the hard bound with nothing taken (connectionOutputStallMs). */
  stallMs: number;
  events: SocketTransportEvents;
}

export class SocketTransport implements Transport {
  private output = Buffer.allocUnsafe(outputInitialBytes);
  private queuedBytes = 0;
  /** Queued bytes plus the socket's writableLength, as last counted: this connection's share of the budget. */
  private accountedBytes = 0;
  private flushScheduled = false;
  /** write() returned false: frames coalesce in `output` until 'drain'. */
  private waitingForDrain = false;
  private ending = false;
  private released = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private readonly socket: Socket;
  private readonly budget: OutputBudget;
  private readonly stallMs: number;
  private readonly events: SocketTransportEvents;

  constructor(options: SocketTransportOptions) {
    this.socket = options.socket;
    this.budget = options.budget;
    this.stallMs = options.stallMs;
    this.events = options.events;
    this.socket.on('drain', this.drained);
  }

  /** Bytes sent here that the kernel has not taken yet (Transport.outputBytes). */
  get outputBytes(): number {
    return this.accountedBytes;
  }

  send(frame: Uint8Array): void {
    if (this.ending || this.socket.destroyed) return;
    const at = this.queuedBytes;
    if (at + frame.length > this.output.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.output.length, at + frame.length));
      this.output.copy(grown, 0, 0, at);
      this.output = grown;
    }
    this.output.set(frame, at);
    this.queuedBytes = at + frame.length;
    this.accountedBytes += frame.length;
    this.budget.totalBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.queuedBytes === 0 || this.socket.destroyed) return;
    if (!this.waitingForDrain) this.writeQueued();
    this.watchStall();
  };

  private writeQueued(): void {
    // The socket may hold what it is given until the kernel takes it: hand it a copy of its own.
    const bytes = Buffer.allocUnsafe(this.queuedBytes);
    this.output.copy(bytes, 0, 0, this.queuedBytes);
    this.queuedBytes = 0;
    if (this.output.length > outputKeptBytesMax) this.output = Buffer.allocUnsafe(outputInitialBytes);
    this.waitingForDrain = !this.socket.write(bytes, this.written);
  }

  private readonly drained = (): void => {
    this.waitingForDrain = false;
    if (this.queuedBytes > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  };

  /** A write reached the kernel: recount what is pending and tell the owner. */
  private readonly written = (): void => {
    // A destroyed socket fails its pending writes: nothing was taken, and nothing more should be built.
    if (this.released || this.socket.destroyed) return;
    const pending = this.queuedBytes + this.socket.writableLength;
    const taken = pending < this.accountedBytes;
    this.budget.totalBytes += pending - this.accountedBytes;
    this.accountedBytes = pending;
    // The peer took a whole write: it is reading, however slowly; the stall clock starts again.
    if (this.stallTimer !== null) this.stallTimer.refresh();
    this.watchStall();
    if (taken) this.events.outputTaken();
  };

  private watchStall(): void {
    if (this.accountedBytes >= this.budget.connectionHardBytes) {
      if (this.stallTimer === null) {
        this.stallTimer = setTimeout(this.stallTimedOut, this.stallMs);
        this.stallTimer.unref();
      }
    } else if (this.stallTimer !== null) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  private readonly stallTimedOut = (): void => {
    this.stallTimer = null;
    if (!this.released && this.accountedBytes >= this.budget.connectionHardBytes) this.events.stalled(this.accountedBytes);
  };

  close(reason: string): void {
    if (this.ending) return;
    this.ending = true;
    // Written whether or not the socket asked to wait: it is ended right after.
    if (this.queuedBytes > 0 && !this.socket.destroyed) this.writeQueued();
    this.events.closing(reason);
    this.socket.end();
    // A peer that never reads must not hold the socket open forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** The socket closed: give this connection's share of the budget back. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.totalBytes -= this.accountedBytes;
    this.accountedBytes = 0;
    this.queuedBytes = 0;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }
}
