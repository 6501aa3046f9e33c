// A scripted server for unit tests of the sans-I/O ConnectionCore: it decodes the frames the core
// asks to send (connect request, request header + body) and encodes the frames a ZooKeeper server
// would answer with, so a test can play both sides of the wire with no socket and no clock.

import assert from 'node:assert/strict';
import {
  JuteReader,
  encodeFrame,
  OpCode,
  SpecialXid,
  readConnectRequest,
  readRequest,
  readRequestHeader,
  writeConnectResponse,
  writeReplyHeader,
  writeResponse,
  writeWatcherEvent,
  type ConnectRequest,
  type Request,
  type Response,
} from '../../src/proto/index.js';
import { ConnectionCore, type ConnectionCoreOptions, type CoreAction } from '../../src/client/index.js';

export type Action = CoreAction<string, string>;

export interface SentRequest {
  xid: number;
  request: Request;
}


/** The payload of a `send` action (its 4-byte length prefix checked and removed). */
function payload(action: Action): Buffer {
  assert.equal(action.type, 'send');
  const bytes = (action as { frame: Buffer }).frame;
  assert.equal(bytes.readInt32BE(0), bytes.length - 4);
  return bytes.subarray(4);
}

export function decodeConnect(action: Action): ConnectRequest {
  return readConnectRequest(new JuteReader(payload(action)));
}

export function decodeRequest(action: Action): SentRequest {
  const reader = new JuteReader(payload(action));
  const header = readRequestHeader(reader);
  return { xid: header.xid, request: readRequest(reader, header.type) };
}

export function connectResponse(options: { sessionId: bigint; timeOut: number; password?: Uint8Array; readOnly?: boolean }): Buffer {
  return encodeFrame((writer) =>
    writeConnectResponse(writer, {
      protocolVersion: 0,
      timeOut: options.timeOut,
      sessionId: options.sessionId,
      passwd: options.password ?? new Uint8Array(16).fill(7),
      readOnly: options.readOnly ?? false,
    }),
  );
}

export function replyFrame(header: { xid: number; zxid?: number; err?: number }, response?: Response): Buffer {
  return encodeFrame((writer) => {
    writeReplyHeader(writer, { xid: header.xid, zxid: header.zxid ?? 0, err: header.err ?? 0 });
    if (response !== undefined) writeResponse(writer, response);
  });
}

export function notificationFrame(type: number, path: string): Buffer {
  return encodeFrame((writer) => {
    writeReplyHeader(writer, { xid: SpecialXid.notification, zxid: -1, err: 0 });
    writeWatcherEvent(writer, { type, state: 3, path });
  });
}

export const stat = {
  czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
  ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 1,
};

/** A core under test with a hand-driven clock. */
export class Harness {
  readonly core: ConnectionCore<string, string>;
  now = 1_000_000;

  constructor(options: Partial<ConnectionCoreOptions> = {}) {
    this.core = new ConnectionCore<string, string>({
      hosts: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }],
      chroot: '',
      sessionTimeoutMs: 3000,
      random: () => 0,
      ...options,
    });
  }

  take(): Action[] {
    return this.core.takeActions();
  }

  /** Takes the actions and keeps only the sent requests, decoded. */
  sent(): SentRequest[] {
    return this.take().filter((action) => action.type === 'send').map(decodeRequest);
  }

  receive(bytes: Buffer): Action[] {
    this.core.receive(bytes, this.now);
    return this.take();
  }

  /** Runs the first handshake; returns the connect request the core sent. */
  connect(options: { sessionId?: bigint; timeOut?: number; readOnly?: boolean } = {}): ConnectRequest {
    this.core.start(this.now);
    return this.handshake(options);
  }

  /** Answers a pending `open` with a transport and the handshake. */
  handshake(options: { sessionId?: bigint; timeOut?: number; readOnly?: boolean } = {}): ConnectRequest {
    const opened = this.take();
    assert.equal(opened.at(-1)?.type, 'open');
    this.core.transportOpened(this.now);
    const request = decodeConnect(this.take()[0]!);
    this.core.receive(connectResponse({ sessionId: options.sessionId ?? 0x55n, timeOut: options.timeOut ?? 3000, readOnly: options.readOnly ?? false }), this.now);
    return request;
  }

  advance(ms: number): void {
    this.now += ms;
    this.core.tick(this.now);
  }
}

export { OpCode };
