// Bad input never crashes the server or disturbs other sessions: each case gets ZooKeeper's error
// code or a closed connection, and a bystander session keeps working throughout.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateMode, ErrorCode, FrameDecoder, JuteReader, JuteWriter, OpCode, type ReplyHeader, readReplyHeader, writeConnectRequest,
} from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function closedWithin(client: RawClient, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

/** Opens a raw TCP connection, writes bytes, and resolves true if the server closes it within `ms`. */
function rawBytesClose(port: number, bytes: Buffer, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Handshakes by hand, sends request frames, and returns the reply headers to them (bounded). */
async function exchangeFrames(port: number, frames: Buffer[]): Promise<ReplyHeader[]> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  const decoder = new FrameDecoder();
  const headers: ReplyHeader[] = [];
  let handshaken = false;
  const frame = (payload: Buffer): Buffer => new JuteWriter().int(payload.length).raw(payload).toBuffer();
  try {
    return await new Promise<ReplyHeader[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no replies within 3 s')), 3000);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => decoder.push(chunk, (payload) => {
        if (!handshaken) {
          handshaken = true;
          socket.write(Buffer.concat(frames.map(frame)));
          return;
        }
        headers.push(readReplyHeader(new JuteReader(payload)));
        if (headers.length === frames.length) {
          clearTimeout(timer);
          resolve(headers);
        }
      }));
      const connect = new JuteWriter();
      writeConnectRequest(connect, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
      socket.write(frame(connect.toBuffer()));
    });
  } finally {
    socket.destroy();
  }
}

describe('bad input', () => {
  let server: RunningServer;
  let bystander: RawClient;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-bad-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { maxClientConnections: 20 } });
    bystander = await RawClient.connect({ host: server.host, port: server.port });
    await bystander.request({ type: OpCode.create, path: '/alive', data: new Uint8Array(0), acl: open, flags: 0 });
  });

  after(async () => {
    await bystander?.close().catch(() => undefined);
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function assertBystanderWorks(): Promise<void> {
    const reply = await bystander.request({ type: OpCode.setData, path: '/alive', data: Buffer.from('ok'), version: -1 });
    assert.equal(reply.header.err, 0);
  }

  it('closes a connection that announces a frame above jute.maxbuffer', async () => {
    const header = Buffer.alloc(4);
    header.writeInt32BE(2 * 1024 * 1024);
    assert.equal(await rawBytesClose(server.port, header), true);
    await assertBystanderWorks();
  });

  it('closes a connection that sends a negative frame length', async () => {
    assert.equal(await rawBytesClose(server.port, Buffer.from([0xff, 0xff, 0xff, 0xf0])), true);
    await assertBystanderWorks();
  });

  it('closes a connection whose first frame is not a connect request', async () => {
    const frame = new JuteWriter().int(8).int(1).int(OpCode.getData).toBuffer();
    assert.equal(await rawBytesClose(server.port, frame), true);
    await assertBystanderWorks();
  });

  it('closes a connection that sends a truncated record, and one with trailing bytes', async () => {
    const truncated = await RawClient.connect({ host: server.host, port: server.port });
    truncated.sendFrame(new JuteWriter().int(1).int(OpCode.getData).int(100).int(0).toBuffer());
    assert.equal(await closedWithin(truncated, 3000), true);
    const trailing = await RawClient.connect({ host: server.host, port: server.port });
    trailing.sendFrame(new JuteWriter().int(1).int(OpCode.getData).ustring('/alive').bool(false).int(7).toBuffer());
    assert.equal(await closedWithin(trailing, 3000), true);
    await assertBystanderWorks();
  });

  it('answers an unknown opcode with UNIMPLEMENTED and keeps the connection', async () => {
    const headers = await exchangeFrames(server.port, [
      new JuteWriter().int(77).int(999).toBuffer(),
      new JuteWriter().int(78).int(OpCode.exists).ustring('/alive').bool(false).toBuffer(),
    ]);
    assert.deepEqual(headers.map((h) => [h.xid, h.err]), [[77, ErrorCode.unimplemented], [78, 0]]);
    await assertBystanderWorks();
  });

  it('rejects invalid paths with BadArguments and never creates them', async () => {
    const client = await RawClient.connect({ host: server.host, port: server.port });
    for (const path of ['relative', '', '/bad\u0000nul', '/bad\u0001control']) {
      const reply = await client.request({ type: OpCode.create, path, data: new Uint8Array(0), acl: open, flags: 0 });
      assert.equal(reply.header.err, ErrorCode.badArguments, `create ${JSON.stringify(path)}`);
    }
    const sequential = await client.request({
      type: OpCode.create, path: '/alive/', data: new Uint8Array(0), acl: open, flags: CreateMode.persistentSequential,
    });
    assert.equal(sequential.header.err, 0, 'a trailing slash is allowed before a sequential suffix');
    await client.close();
    await assertBystanderWorks();
  });

  it('refuses connections beyond maxClientCnxns from one IP and serves the rest', async () => {
    const clients: RawClient[] = [];
    let refused = 0;
    for (let i = 0; i < 25; i++) {
      try {
        clients.push(await RawClient.connect({ host: server.host, port: server.port, connectTimeoutMs: 2000 }));
      } catch {
        refused++;
      }
    }
    // 20 allowed in all, one of which is the bystander.
    assert.equal(clients.length, 19);
    assert.equal(refused, 6);
    await Promise.all(clients.map((client) => client.close()));
    await assertBystanderWorks();
  });

  it('answers thousands of pipelined requests in order while pausing the socket for backpressure', async () => {
    const client = await RawClient.connect({ host: server.host, port: server.port, replyTimeoutMs: 30_000 });
    const count = 5000;
    const replies = await Promise.all(Array.from({ length: count }, (_unused, index) =>
      index % 2 === 0
        ? client.request({ type: OpCode.setData, path: '/alive', data: Buffer.from(String(index)), version: -1 })
        : client.request({ type: OpCode.getData, path: '/alive', watch: false })));
    assert.equal(replies.length, count);
    assert.ok(replies.every((reply) => reply.header.err === 0));
    const last = replies[count - 1]!.response;
    assert.ok(last !== undefined && last.type === OpCode.getData);
    assert.equal(Buffer.from(last.data!).toString(), String(count - 2), 'a read sees the write sent just before it');
    await client.close();
    await assertBystanderWorks();
  });

  it('refuses a four-letter word that is not whitelisted, with ZooKeeper’s text', async () => {
    const reply = await sendFourLetterWord({ host: server.host, port: server.port }, 'srst');
    assert.match(reply, /srst is not executed because it is not in the whitelist/);
    assert.equal(await sendFourLetterWord({ host: server.host, port: server.port }, 'ruok'), 'imok');
    await assertBystanderWorks();
  });
});
