// A TCP proxy on 127.0.0.1 that forwards every byte to a target server unchanged and records both
// directions, split into ZooKeeper's length-prefixed frames (4-byte big-endian length + payload).
// Put it in front of Apache ZooKeeper, drive a real client through it, and the recorded frames are
// golden vectors for our codecs.
//
// The frame splitter here is deliberately independent of src/proto: an oracle must not share code
// with what it checks. A stream that stops looking like frames (a four-letter word, a bad length)
// keeps flowing; its bytes from that point on are kept in `unframedBytes` instead.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { loopbackHost } from './ports.js';

export type Direction = 'toServer' | 'toClient';

export interface RecordedFrame {
  /** Order of arrival over all connections and both directions, from 0. */
  sequence: number;
  /** Connection number, from 0, in accept order. */
  connection: number;
  direction: Direction;
  /** The frame's payload, without the 4-byte length prefix. */
  payload: Buffer;
}

export interface RecordedStream {
  /** Every byte seen in this direction, prefixes included. */
  raw: Buffer;
  /** Bytes after the point where the stream stopped parsing as frames (empty when it all parsed). */
  unframedBytes: Buffer;
}

export interface RecordedConnection {
  connection: number;
  toServer: RecordedStream;
  toClient: RecordedStream;
}

export interface RecordingProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Frames longer than this mark the stream as unframed (ZooKeeper's jute.maxbuffer default). */
  frameBytesMax?: number;
}

/** Bound on recorded bytes per direction; a golden-vector capture is small, a runaway is a bug. */
const recordedBytesMax = 64 * 1024 * 1024;

class StreamRecorder {
  private chunks: Buffer[] = [];
  private size = 0;
  private pending = Buffer.alloc(0);
  private unframedFrom = -1;

  constructor(private readonly frameBytesMax: number) {}

  /** Appends bytes and returns the payloads of frames they complete. */
  push(chunk: Buffer): Buffer[] {
    if (this.size + chunk.length > recordedBytesMax) throw new Error(`recording exceeds ${recordedBytesMax} bytes`);
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.length;
    if (this.unframedFrom >= 0) return [];
    let bytes = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (bytes.length >= 4) {
      const length = bytes.readInt32BE(0);
      if (length < 0 || length > this.frameBytesMax) {
        this.unframedFrom = this.size - bytes.length;
        break;
      }
      if (bytes.length < 4 + length) break;
      frames.push(Buffer.from(bytes.subarray(4, 4 + length)));
      bytes = bytes.subarray(4 + length);
    }
    this.pending = this.unframedFrom >= 0 ? Buffer.alloc(0) : Buffer.from(bytes);
    return frames;
  }

  snapshot(): RecordedStream {
    const raw = Buffer.concat(this.chunks);
    return { raw, unframedBytes: this.unframedFrom >= 0 ? raw.subarray(this.unframedFrom) : Buffer.alloc(0) };
  }
}

export class RecordingProxy {
  readonly host = loopbackHost;
  private readonly frameList: RecordedFrame[] = [];
  private readonly recorders: { toServer: StreamRecorder; toClient: StreamRecorder }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: RecordingProxyOptions): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: loopbackHost, port: 0 }, resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    const proxy = new RecordingProxy(server, address.port);
    server.on('connection', (client) => proxy.accept(client, options));
    return proxy;
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  /** Every frame recorded so far, in arrival order; optionally one direction only. */
  frames(direction?: Direction): RecordedFrame[] {
    return direction === undefined ? [...this.frameList] : this.frameList.filter((frame) => frame.direction === direction);
  }

  connections(): RecordedConnection[] {
    return this.recorders.map((recorder, connection) => ({
      connection,
      toServer: recorder.toServer.snapshot(),
      toClient: recorder.toClient.snapshot(),
    }));
  }

  /** Resolves once at least `count` frames went in `direction`; rejects after `timeoutMs` (default 5000). */
  waitForFrames(direction: Direction, options: { count: number; timeoutMs?: number }): Promise<RecordedFrame[]> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const frames = this.frames(direction);
        if (frames.length < options.count) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(frames);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.frames(direction).length} of ${options.count} ${direction} frames within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Stops listening and drops every proxied connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, options: RecordingProxyOptions): void {
    const connection = this.recorders.length;
    const recorder = {
      toServer: new StreamRecorder(options.frameBytesMax ?? 0xfffff),
      toClient: new StreamRecorder(options.frameBytesMax ?? 0xfffff),
    };
    this.recorders.push(recorder);
    const upstream = connect({ host: options.targetHost, port: options.targetPort });
    this.relay({ from: client, to: upstream, connection, direction: 'toServer', recorder: recorder.toServer });
    this.relay({ from: upstream, to: client, connection, direction: 'toClient', recorder: recorder.toClient });
  }

  private relay(route: { from: Socket; to: Socket; connection: number; direction: Direction; recorder: StreamRecorder }): void {
    const { from, to } = route;
    this.sockets.add(from);
    from.on('data', (chunk: Buffer) => {
      for (const payload of route.recorder.push(chunk)) {
        this.frameList.push({ sequence: this.frameList.length, connection: route.connection, direction: route.direction, payload });
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
      for (const waiter of [...this.waiters]) waiter();
    });
    // A FIN travels through as a FIN (after the bytes queued before it), so a server that answers
    // and closes, as four-letter words do, is seen by the client exactly as it would be directly.
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', (hadError) => {
      this.sockets.delete(from);
      if (hadError) to.destroy();
      else to.end();
    });
  }
}
