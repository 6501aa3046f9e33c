// A simulated TCP connection between a client and one server process: bytes, not objects. The
// client writes encoded frames (the connect request, then requests); after the link's latency the
// server process takes them through the same frame intake the socket listener uses
// (server/client-frames.ts) into its ServerCore. The core's replies come back through the link's
// Transport side as frames, decoded by the client with the real FrameDecoder. The link breaks when
// either side closes it, when the server process dies, or by a fault (the simulator's choice);
// either side learns of a break after the latency, and nothing sent after it arrives.

import {
  type ConnectRequest, FrameDecoder, JuteReader, type Request, encodeFrame, writeConnectRequest, writeRequest, writeRequestHeader,
} from '../src/proto/index.js';
import { type ClientConnection, type Transport, takeConnectFrame, takeRequestFrame } from '../src/server/index.js';
import type { EventQueue } from './event-queue.js';
import type { SimNode } from './node.js';

/** The client's end: complete frames (without their length prefix) and the end of the link. */
export interface ClientEnd {
  frame(reader: JuteReader): void;
  broken(): void;
}

/** One-way latency between a client and its server, in simulated ms (fixed, so FIFO holds). */
const latencyMs = 1;

export class SimClientLink implements Transport {
  /** The simulated socket buffers nothing: the peer takes every frame. */
  readonly outputBytes = 0;
  private open = true;
  /** The server closed its side: what the client still sends is discarded. */
  private closedByServer = false;
  private connection: ClientConnection | null = null;
  private readonly incarnation: number;
  private readonly toServer = new FrameDecoder();
  private readonly toClient = new FrameDecoder();
  private readonly reader = new JuteReader(Buffer.alloc(0));

  constructor(
    readonly node: SimNode,
    private readonly options: { queue: EventQueue; client: ClientEnd; label: string },
  ) {
    this.incarnation = node.incarnation;
    node.links.add(this);
  }

  get isOpen(): boolean {
    return this.open;
  }

  // ---- the client's side ---------------------------------------------------------------------

  /** Sends one complete frame (length prefix included) to the server. */
  write(frame: Uint8Array): void {
    if (!this.open) return;
    const bytes = Buffer.from(frame);
    this.options.queue.after(latencyMs, () => {
      if (!this.open || this.closedByServer || this.node.incarnation !== this.incarnation) return;
      this.node.input((replica) => replica.input((core) => {
        if (!this.open || this.closedByServer) return;
        this.toServer.pushRanges(bytes, (buffer, start, end) => {
          if (!this.open || this.closedByServer) return;
          const reader = this.reader.reset(buffer, start, end);
          const outcome = this.connection === null
            ? takeConnectFrame(core, reader, () => (this.connection = core.openConnection(this, this.options.label, 0)))
            : takeRequestFrame(core, this.connection, reader);
          if (outcome.kind === 'drop') {
            this.close(outcome.reason);
            if (this.connection !== null) core.connectionClosed(this.connection);
          }
        });
      }));
    });
  }

  /** The client closes the link; its server learns after the latency. */
  disconnect(): void {
    if (!this.open) return;
    this.open = false;
    this.node.links.delete(this);
    this.options.queue.after(latencyMs, () => {
      const connection = this.connection;
      if (connection === null || this.node.incarnation !== this.incarnation) return;
      this.node.input((replica) => replica.input((core) => core.connectionClosed(connection)));
    });
  }

  /** A network fault resets the connection: each side learns after the latency; bytes in flight are lost. */
  reset(): void {
    if (!this.open) return;
    this.open = false;
    this.node.links.delete(this);
    const connection = this.connection;
    this.options.queue.after(latencyMs, () => {
      if (connection !== null && this.node.incarnation === this.incarnation) {
        this.node.input((replica) => replica.input((core) => core.connectionClosed(connection)));
      }
      this.options.client.broken();
    });
  }

  /** The server process died: the client sees its connection reset. */
  serverDied(): void {
    this.breakFromServer();
  }

  // ---- the server's side (Transport) ---------------------------------------------------------

  send(frame: Uint8Array): void {
    if (!this.open) return;
    const bytes = Buffer.from(frame);
    this.options.queue.after(latencyMs, () => {
      if (!this.open) return;
      this.toClient.pushRanges(bytes, (buffer, start, end) => {
        if (this.open) this.options.client.frame(new JuteReader(buffer.subarray(start, end)));
      });
    });
  }

  close(_reason: string): void {
    this.breakFromServer();
  }

  private breakFromServer(): void {
    if (!this.open || this.closedByServer) return;
    this.closedByServer = true;
    // Frames the server sent before closing still arrive (TCP flushes them); then the link ends.
    this.options.queue.after(latencyMs, () => {
      if (!this.open) return;
      this.open = false;
      this.node.links.delete(this);
      this.options.client.broken();
    });
  }
}

/** A client's connect request as it goes on the wire. */
export function connectFrame(request: ConnectRequest): Uint8Array {
  return encodeFrame((writer) => writeConnectRequest(writer, request));
}

/** A client's request as it goes on the wire: header (xid, type), then the record. */
export function requestFrame(xid: number, request: Request): Uint8Array {
  return encodeFrame((writer) => {
    writeRequestHeader(writer, { xid, type: request.type });
    writeRequest(writer, request);
  });
}
