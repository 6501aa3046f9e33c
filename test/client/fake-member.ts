// A fake ensemble member on a real socket, for client behaviours the server does not build yet
// (read-only mode, SESSIONMOVED): it answers `isro` with its mode, answers a connect request as a
// read-write or read-only server (or refuses it by closing), answers pings, and answers other
// requests with an error code the test chooses (default: ok with an empty body, which suits sync).

import { createServer, type Server, type Socket } from 'node:net';
import {
  FrameDecoder,
  JuteReader,
  OpCode,
  SpecialXid,
  encodeFrame,
  readConnectRequest,
  readRequestHeader,
  writeConnectResponse,
  writeReplyHeader,
  type ConnectRequest,
} from '../../src/proto/index.js';

export type MemberMode = 'rw' | 'ro' | 'refusing';

export class FakeMember {
  mode: MemberMode;
  /** The error code for every request other than ping (0: ok). */
  replyErr = 0;
  readonly connects: ConnectRequest[] = [];
  probes = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number, mode: MemberMode) {
    this.mode = mode;
  }

  static async start(mode: MemberMode): Promise<FakeMember> {
    let member: FakeMember | undefined;
    const server = createServer((socket) => member!.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    member = new FakeMember(server, address.port, mode);
    return member;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every open connection (the clients see a connection loss). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    let first = true;
    let handshaken = false;
    socket.on('data', (chunk: Buffer) => {
      if (first && chunk.subarray(0, 4).toString('latin1') === 'isro') {
        this.probes++;
        socket.end(this.mode === 'rw' ? 'rw' : 'ro');
        return;
      }
      first = false;
      decoder.push(chunk, (frame) => {
        const reader = new JuteReader(frame);
        if (!handshaken) {
          const request = readConnectRequest(reader);
          this.connects.push(request);
          if (this.mode === 'refusing' || (this.mode === 'ro' && request.readOnly !== true)) {
            socket.destroy();
            return;
          }
          handshaken = true;
          socket.write(encodeFrame((writer) => writeConnectResponse(writer, {
            protocolVersion: 0,
            timeOut: request.timeOut,
            sessionId: request.sessionId === 0n ? BigInt(0x1000 + this.port) : request.sessionId,
            passwd: new Uint8Array(16).fill(3),
            readOnly: this.mode === 'ro',
          })));
          return;
        }
        const header = readRequestHeader(reader);
        const err = header.type === OpCode.ping || header.xid === SpecialXid.ping ? 0 : this.replyErr;
        socket.write(encodeFrame((writer) => {
          writeReplyHeader(writer, { xid: header.xid, zxid: 0, err });
          if (err === 0 && header.type === OpCode.sync) writer.ustring('/');
        }));
      });
    });
  }
}
