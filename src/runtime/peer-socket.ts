// The transport under the peer connections (election port and quorum port): a small interface, so
// the connection logic never touches `net` directly, and its one Node adapter.
//
// Invariants of the adapter: every socket it hands out reports exactly one close (with the error,
// if any, for the log), writes honour the socket's buffer (write() returns false past Node's high
// water mark; the caller waits for 'drain'), and a connect attempt is bounded by its timeout.

import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import type { PeerAddress } from '../proto/index.js';

export interface PeerSocketEvents {
  data(chunk: Buffer): void;
  /** The socket took everything written so far into the kernel: writes may go on. */
  drain(): void;
  /** Once, whatever the cause (peer closed, reset, destroy()); `error` says why when there was one. */
  close(error: Error | undefined): void;
}

export interface PeerSocket {
  /** Queues bytes; false when the caller should wait for drain before writing more. */
  write(bytes: Uint8Array): boolean;
  /** Bytes written here and not yet taken by the kernel. */
  readonly pendingBytes: number;
  /** Sends what is queued, then closes our side. */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
  /** Installs the handlers; data arriving before this is held. Call once. */
  attach(events: PeerSocketEvents): void;
  readonly remote: string;
}

export interface PeerListener {
  readonly port: number;
  close(): Promise<void>;
}

export interface PeerTransport {
  listen(address: PeerAddress, onConnection: (socket: PeerSocket) => void): Promise<PeerListener>;
  /** Resolves once connected; rejects on error or after `timeoutMs`. */
  connect(address: PeerAddress, timeoutMs: number): Promise<PeerSocket>;
}

class NodePeerSocket implements PeerSocket {
  private events: PeerSocketEvents | null = null;
  private lastError: Error | undefined;
  readonly remote: string;

  constructor(private readonly socket: Socket) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.pause();
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.on('close', () => this.events?.close(this.lastError));
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed) return true;
    return this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  attach(events: PeerSocketEvents): void {
    this.events = events;
    this.socket.on('data', (chunk: Buffer) => events.data(chunk));
    this.socket.on('drain', () => events.drain());
    // A socket closed before attach() still reports its close.
    if (this.socket.destroyed) queueMicrotask(() => events.close(this.lastError));
    else this.socket.resume();
  }
}

export const nodePeerTransport: PeerTransport = {
  listen(address, onConnection) {
    const server: Server = createServer((socket) => onConnection(new NodePeerSocket(socket)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port }, () => {
        server.removeListener('error', reject);
        const bound = server.address();
        resolve({
          port: typeof bound === 'object' && bound !== null ? bound.port : address.port,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
    });
  },

  connect(address, timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: address.host, port: address.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${address.host}:${address.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new NodePeerSocket(socket));
      });
    });
  },
};
