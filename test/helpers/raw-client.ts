// A minimal ZooKeeper client for tests, over node:net and src/proto's public codecs. It exists to say
// exactly what goes on the wire: the connect handshake with every knob (session reattach, readOnly
// flag on/off/absent), one request at a time or pipelined, replies returned with their header even
// when they carry an error code, and watch notifications kept in a queue with their zxid.
//
// It is a test tool, not the product client: no reconnect, no watch re-registration, no chroot.
// Replies must come back in request order (ZooKeeper's per-session FIFO); a reply for any other xid
// is a protocol violation that fails every pending call. Every wait is bounded.

import { connect as connectTcp, type Socket } from 'node:net';
import {
  FrameDecoder,
  JuteReader,
  JuteWriter,
  OpCode,
  SpecialXid,
  readConnectResponse,
  readReplyHeader,
  readResponse,
  readWatcherEvent,
  writeConnectRequest,
  writeRequest,
  writeRequestHeader,
  type ConnectResponse,
  type ReplyHeader,
  type Request,
  type Response,
  type WatcherEvent,
} from '../../src/proto/index.js';

export interface RawConnectOptions {
  host: string;
  port: number;
  /** Requested session timeout. Default 30000 ms. */
  sessionTimeoutMs?: number;
  /** Reattach to this session (with its password) instead of creating one. */
  sessionId?: bigint;
  password?: Uint8Array;
  lastZxidSeen?: number;
  /** The readOnly flag sent in the connect request. Default false. */
  readOnly?: boolean;
  /** Send no trailing readOnly byte at all, as clients before 3.4 do. */
  omitReadOnlyByte?: boolean;
  /** Bound on TCP connect + handshake. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Default bound on each request's reply. Default 10000 ms. */
  replyTimeoutMs?: number;
  /** Send a ping at this interval to keep the session alive; default: never. */
  pingIntervalMs?: number;
  /** Connect from this local address (e.g. 127.0.0.2, to count against another IP's connection limit). */
  localAddress?: string;
  /**
   * Hand each watch notification to this function instead of queueing it (a test that expects more
   * than the queue holds counts them here).
   */
  onNotification?: (notification: RawNotification) => void;
}

export interface RawReply {
  header: ReplyHeader;
  /** Decoded body: present for successful replies, and for error replies that carry a body. */
  response?: Response;
}

export interface RawNotification {
  /** The zxid in the notification's reply header. */
  zxid: number;
  event: WatcherEvent;
}

export class RawClientError extends Error {
  override name = 'RawClientError';
}

/** Unread notifications beyond this mean a test forgot to drain them or a server is flooding us. */
const notificationsQueuedMax = 10_000;

interface Pending {
  xid: number;
  type: number;
  resolve: (reply: RawReply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The xid ZooKeeper expects for requests that are not numbered; 0 means "take the next number". */
function specialXid(type: number): number {
  if (type === OpCode.ping) return SpecialXid.ping;
  if (type === OpCode.auth) return SpecialXid.auth;
  if (type === OpCode.setWatches || type === OpCode.setWatches2) return SpecialXid.setWatches;
  return 0;
}

export class RawClient {
  /** The server's connect response: session id, password, negotiated timeout, readOnly. */
  session!: ConnectResponse;
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly pending: Pending[] = [];
  private readonly notifications: RawNotification[] = [];
  private notificationWaiter: ((notification: RawNotification | Error) => void) | undefined;
  private nextXid = 1;
  private failure: Error | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private onHandshake: ((result: ConnectResponse | Error) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RawConnectOptions,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new RawClientError(`socket error: ${error.message}`, { cause: error })));
    socket.on('close', () => this.fail(new RawClientError('connection closed')));
  }

  /**
   * Opens a TCP connection and performs the handshake. Resolves with whatever the server answered,
   * including a refusal (ZooKeeper answers an expired session with timeOut 0 and then closes).
   */
  static async connect(options: RawConnectOptions): Promise<RawClient> {
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const client = new RawClient(
      connectTcp({ host: options.host, port: options.port, noDelay: true, localAddress: options.localAddress }), options);
    const session = await new Promise<ConnectResponse | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new RawClientError(`no connect response within ${timeoutMs} ms`)), timeoutMs);
      client.onHandshake = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      client.writeFrame((writer) =>
        writeConnectRequest(writer, {
          protocolVersion: 0,
          lastZxidSeen: options.lastZxidSeen ?? 0,
          timeOut: options.sessionTimeoutMs ?? 30_000,
          sessionId: options.sessionId ?? 0n,
          passwd: options.password ?? new Uint8Array(16),
          readOnly: options.omitReadOnlyByte ? undefined : (options.readOnly ?? false),
        }),
      );
    });
    client.onHandshake = undefined;
    if (session instanceof Error) {
      client.destroy();
      throw session;
    }
    client.session = session;
    if (options.pingIntervalMs !== undefined) {
      client.pingTimer = setInterval(() => void client.ping().catch(() => undefined), options.pingIntervalMs);
      client.pingTimer.unref();
    }
    return client;
  }

  get sessionId(): bigint {
    return this.session.sessionId;
  }

  get password(): Uint8Array {
    return this.session.passwd;
  }

  /** Sends one request; resolves with its reply, error code included. Rejects only on timeout or a lost connection. */
  request(request: Request, options: { timeoutMs?: number } = {}): Promise<RawReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const xid = specialXid(request.type) || this.nextXid++;
    const timeoutMs = options.timeoutMs ?? this.options.replyTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new RawClientError(`no reply to type ${request.type} xid ${xid} within ${timeoutMs} ms`));
        this.socket.destroy();
      }, timeoutMs);
      this.pending.push({ xid, type: request.type, resolve, reject, timer });
      this.writeFrame((writer) => {
        writeRequestHeader(writer, { xid, type: request.type });
        writeRequest(writer, request);
      });
    });
  }

  /** Sends a ping (xid -2) and resolves with the reply header. */
  async ping(): Promise<ReplyHeader> {
    return (await this.request({ type: OpCode.ping })).header;
  }

  /** The next watch notification, waiting up to `timeoutMs` (default 5000) for one to arrive. */
  nextNotification(options: { timeoutMs?: number } = {}): Promise<RawNotification> {
    const queued = this.notifications.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.notificationWaiter !== undefined) return Promise.reject(new RawClientError('nextNotification is already waiting'));
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.notificationWaiter = undefined;
        reject(new RawClientError(`no watch notification within ${timeoutMs} ms`));
      }, timeoutMs);
      this.notificationWaiter = (result) => {
        clearTimeout(timer);
        this.notificationWaiter = undefined;
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
    });
  }

  /** Every notification received and not yet taken, without waiting. */
  takeNotifications(): RawNotification[] {
    return this.notifications.splice(0);
  }

  /** Writes a frame with an arbitrary payload (length prefix added), for malformed-input tests. */
  sendFrame(payload: Uint8Array): void {
    this.writeFrame((writer) => writer.raw(payload));
  }

  /** Writes bytes exactly as given, no length prefix. */
  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Ends the session (closeSession), then waits for the server to close the socket (bounded). */
  async close(options: { timeoutMs?: number } = {}): Promise<RawReply> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const reply = await this.request({ type: OpCode.closeSession }, { timeoutMs });
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
    return reply;
  }

  /** Stops reading the socket for good: replies and notifications pile up at the server. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Drops the TCP connection without ending the session (the session lives on until it expires). */
  destroy(): void {
    this.socket.destroy();
    this.fail(new RawClientError('destroyed by the test'));
  }

  private writeFrame(writeBody: (writer: JuteWriter) => void): void {
    const writer = new JuteWriter(128);
    writer.int(0);
    writeBody(writer);
    writer.patchInt(0, writer.position - 4);
    this.socket.write(writer.toBuffer());
  }

  private receive(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (frame) => this.frame(frame));
    } catch (error) {
      this.fail(new RawClientError(`undecodable bytes from the server: ${(error as Error).message}`, { cause: error }));
      this.socket.destroy();
    }
  }

  private frame(frame: Buffer): void {
    const reader = new JuteReader(frame);
    if (this.onHandshake !== undefined) {
      this.onHandshake(readConnectResponse(reader));
      return;
    }
    const header = readReplyHeader(reader);
    if (header.xid === SpecialXid.notification) {
      this.notify({ zxid: header.zxid, event: readWatcherEvent(reader) });
      return;
    }
    const head = this.pending.shift();
    if (head === undefined || head.xid !== header.xid) {
      throw new RawClientError(`reply xid ${header.xid} while expecting ${head === undefined ? 'none' : head.xid} (replies must be FIFO)`);
    }
    clearTimeout(head.timer);
    const hasBody = header.err === 0 || reader.remaining > 0;
    head.resolve(hasBody ? { header, response: readResponse(reader, head.type) } : { header });
  }

  private notify(notification: RawNotification): void {
    if (this.options.onNotification !== undefined) {
      this.options.onNotification(notification);
      return;
    }
    if (this.notificationWaiter !== undefined) {
      this.notificationWaiter(notification);
      return;
    }
    if (this.notifications.length >= notificationsQueuedMax) {
      throw new RawClientError(`more than ${notificationsQueuedMax} unread watch notifications`);
    }
    this.notifications.push(notification);
  }

  /** Rejects everything outstanding with `error`; later calls fail fast with it. */
  private fail(error: Error): void {
    this.failure ??= error;
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.onHandshake?.(error);
    for (const pending of this.pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.notificationWaiter?.(error);
  }
}
