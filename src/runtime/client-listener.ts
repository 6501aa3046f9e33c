// The client port: accepts TCP connections, answers four-letter words, decodes frames, performs the
// handshake, and feeds requests to the server core. Every way a client can misbehave ends here with
// an error code or a closed connection and a log line, never a crash: oversized or garbage frames,
// requests before the handshake, too many connections in all or from one IP, too many outstanding requests or
// too much output its peer has not taken (we stop reading the socket and resume once answers and
// output drain), output that stays past the hard bound while the peer reads nothing (closed).

import net from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder, JuteReader } from '../proto/index.js';
import { type ClientConnection, type FrameOutcome, type MemberView, type ServerCore, takeConnectFrame, takeRequestFrame } from '../server/index.js';
import { limits } from '../util/index.js';
import { fourLetterWordReply, isFourLetterWord } from '../admin/index.js';
import { nodeServerProcess } from './process-view.js';
import { SocketTransport } from './socket-transport.js';

export interface ClientListenerOptions {
  core: ServerCore;
  /** The ensemble member the core belongs to (four-letter words report it); absent standalone. */
  member?: MemberView;
  logger: Logger;
  /** Called after frames were handled, so the driver can log and apply new txns. */
  onRequests: () => void;
}

interface SocketState {
  socket: net.Socket;
  ip: string;
  decoder: FrameDecoder;
  connection: ClientConnection | null;
  transport: SocketTransport;
  paused: boolean;
  firstChunk: boolean;
  handshakeTimer: NodeJS.Timeout | null;
  acceptedAtMs: number;
  /** Handles one frame, `bytes[start, end)`; made once per socket, not per read. */
  onFrame: (bytes: Buffer, start: number, end: number) => void;
}

export class ClientListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<SocketState>();
  private readonly connectionsPerIp = new Map<string, number>();
  private readonly core: ServerCore;
  private readonly logger: Logger;
  private readonly reader = new JuteReader(Buffer.alloc(0));
  private readonly process = nodeServerProcess(Date.now());

  constructor(private readonly options: ClientListenerOptions) {
    this.core = options.core;
    this.logger = options.logger;
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (error) => this.logger.error({ err: error }, 'client listener error'));
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address() as net.AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const state of this.sockets) state.socket.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const config = this.core.config;
    if (config.maxConnections > 0 && this.sockets.size >= config.maxConnections) {
      this.logger.warn({ ip, limit: config.maxConnections }, 'too many connections (maxCnxns); closing');
      socket.destroy();
      return;
    }
    const count = (this.connectionsPerIp.get(ip) ?? 0) + 1;
    if (config.maxClientConnections > 0 && count > config.maxClientConnections) {
      this.logger.warn({ ip, limit: config.maxClientConnections }, 'too many connections from one IP; closing');
      socket.destroy();
      return;
    }
    this.connectionsPerIp.set(ip, count);
    const transport = new SocketTransport({
      socket, budget: this.core.output, stallMs: config.connectionOutputStallMs, events: {
        closing: (reason) => this.logger.info({ ip, reason }, 'closing client connection'),
        outputTaken: () => this.outputTaken(state),
        stalled: (outputBytes) => this.drop(state, `${outputBytes} bytes of output past the hard bound ` +
          `(${config.connectionOutputHardBytes}) and none taken for ${config.connectionOutputStallMs} ms: the client is not reading`),
      },
    });
    const state: SocketState = {
      socket, ip, decoder: new FrameDecoder(config.maxFrameBytes), connection: null, transport,
      paused: false, firstChunk: true, handshakeTimer: null, acceptedAtMs: Date.now(), onFrame: () => undefined,
    };
    state.onFrame = (bytes, start, end) => this.frame(state, bytes, start, end);
    state.handshakeTimer = setTimeout(() => this.drop(state, `no handshake within ${config.handshakeTimeoutMs} ms of connecting`), config.handshakeTimeoutMs);
    state.handshakeTimer.unref();
    this.sockets.add(state);
    socket.on('data', (chunk: Buffer) => this.receive(state, chunk));
    socket.on('error', (error) => this.logger.debug({ ip, err: error.message }, 'client socket error'));
    socket.on('close', () => this.closed(state));
  }

  private closed(state: SocketState): void {
    if (!this.sockets.delete(state)) return;
    state.transport.release();
    if (state.handshakeTimer !== null) clearTimeout(state.handshakeTimer);
    const left = (this.connectionsPerIp.get(state.ip) ?? 1) - 1;
    if (left <= 0) this.connectionsPerIp.delete(state.ip);
    else this.connectionsPerIp.set(state.ip, left);
    if (state.connection !== null) {
      this.core.connectionClosed(state.connection);
      // Its output no longer counts: connections held by the server-wide bound may go on.
      this.core.outputTaken(state.connection);
    }
  }

  private drop(state: SocketState, reason: string): void {
    this.logger.warn({ ip: state.ip, reason }, 'dropping client connection');
    state.socket.destroy();
  }

  private receive(state: SocketState, chunk: Buffer): void {
    if (state.firstChunk) {
      state.firstChunk = false;
      if (chunk.length >= limits.fourLetterWordBytes && isFourLetterWord(chunk.subarray(0, 4).toString('latin1'))) {
        this.answerFourLetterWord(state, chunk.subarray(0, 4).toString('latin1'));
        return;
      }
    }
    try {
      state.decoder.pushRanges(chunk, state.onFrame);
    } catch (error) {
      this.drop(state, (error as Error).message);
      return;
    }
    this.options.onRequests();
    this.applyBackpressure(state);
  }

  private answerFourLetterWord(state: SocketState, word: string): void {
    const asker = { address: state.ip, port: state.socket.remotePort ?? 0, acceptedAtMs: state.acceptedAtMs };
    const clientPort = (this.server.address() as net.AddressInfo | null)?.port ?? this.core.config.port;
    const reply = fourLetterWordReply({ word, core: this.core, asker, clientPort, process: this.process, member: this.options.member ?? null });
    state.socket.end(reply);
  }

  private frame(state: SocketState, bytes: Buffer, start: number, end: number): void {
    if (state.socket.destroyed) return;
    // One reader for every frame: each is decoded completely before the next.
    const reader = this.reader.reset(bytes, start, end);
    if (state.connection === null) {
      this.handshake(state, reader);
      return;
    }
    const connection = state.connection;
    if (connection.closed) return;
    this.handled(state, takeRequestFrame(this.core, connection, reader));
  }

  private handshake(state: SocketState, reader: JuteReader): void {
    const outcome = takeConnectFrame(this.core, reader, () => {
      if (state.handshakeTimer !== null) clearTimeout(state.handshakeTimer);
      state.handshakeTimer = null;
      state.connection = this.core.openConnection(state.transport, state.socket.remoteAddress ?? 'unknown', state.socket.remotePort ?? 0);
      return state.connection;
    });
    this.handled(state, outcome);
  }

  private handled(state: SocketState, outcome: FrameOutcome): void {
    if (outcome.kind === 'drop') this.drop(state, outcome.reason);
    else if (outcome.kind === 'unknown') this.logger.warn({ ip: state.ip, type: outcome.type }, 'unknown request type; answering UNIMPLEMENTED');
  }

  /**
   * Pauses the socket while the connection has too many requests in flight or too much output its
   * peer has not taken. The server-wide outstanding limit pauses only connections that have requests
   * in flight themselves, so a session waiting for nothing is read and answered whatever others do.
   */
  private applyBackpressure(state: SocketState): void {
    const connection = state.connection;
    if (connection === null || state.paused) return;
    const config = this.core.config;
    const queued = connection.queue.length + connection.throttledRequests;
    const tooMany = queued >= limits.connectionOutstandingRequestsMax ||
      (queued > 0 && this.core.outstandingRequests >= config.globalOutstandingLimit) ||
      state.transport.outputBytes >= config.connectionOutputSoftBytes;
    if (tooMany) {
      state.paused = true;
      state.socket.pause();
    }
  }

  /** A write to this socket completed: answer reads that waited for room, resume reading if drained. */
  private outputTaken(state: SocketState): void {
    if (state.connection === null) return;
    this.core.outputTaken(state.connection);
    // A write that waited behind the reads just answered may have been prepared.
    this.options.onRequests();
    if (state.paused) this.resumeIfDrained(state, this.core.outstandingRequests < this.core.config.globalOutstandingLimit);
  }

  /** Resumes sockets paused for backpressure once their load has drained; call after applying txns. */
  resumeDrained(): void {
    const globalOk = this.core.outstandingRequests < this.core.config.globalOutstandingLimit;
    for (const state of this.sockets) {
      if (state.paused && state.connection !== null) this.resumeIfDrained(state, globalOk);
    }
  }

  private resumeIfDrained(state: SocketState, globalOk: boolean): void {
    const queued = state.connection!.queue.length;
    const ok = (globalOk || queued === 0) && queued < limits.connectionOutstandingRequestsMax / 2 &&
      state.transport.outputBytes < this.core.config.connectionOutputSoftBytes / 2;
    if (ok) {
      state.paused = false;
      state.socket.resume();
    }
  }
}
