// The recording proxy: transparent forwarding, frame splitting across arbitrary TCP chunking, and a
// capture of a real ZooKeeper exchange (the way golden vectors are made).

import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { JuteReader, OpCode, readConnectRequest, readConnectResponse, readReplyHeader, readRequestHeader } from '../src/proto/index.js';
import { sendFourLetterWord } from './helpers/four-letter.js';
import { RawClient } from './helpers/raw-client.js';
import { RecordingProxy } from './helpers/recording-proxy.js';
import { referenceSkipReason, startReferenceZooKeeper, type ReferenceZooKeeper } from './helpers/reference-zookeeper.js';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

/** An echo server that answers every chunk it receives with the same bytes. */
async function startEchoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

describe('recording proxy', { timeout: 30_000 }, () => {
  let echo: { server: Server; port: number };
  let proxy: RecordingProxy;
  let socket: Socket | undefined;

  before(async () => {
    echo = await startEchoServer();
    proxy = await RecordingProxy.start({ targetHost: '127.0.0.1', targetPort: echo.port });
  });

  after(async () => {
    socket?.destroy();
    await proxy?.close();
    await new Promise((resolve) => echo?.server.close(resolve));
  });

  it('forwards bytes unchanged and splits frames however the stream is chunked', async () => {
    socket = connect({ host: proxy.host, port: proxy.port, noDelay: true });
    const stream = Buffer.concat([frame('first'), frame(''), frame('third frame')]);
    const echoed: Buffer[] = [];
    const allEchoed = new Promise<void>((resolve) => {
      socket?.on('data', (chunk: Buffer) => {
        echoed.push(chunk);
        if (Buffer.concat(echoed).length >= stream.length) resolve();
      });
    });
    // One byte per write for the first frame, the rest in one write: frames must not depend on chunking.
    for (let index = 0; index < 9; index++) socket.write(stream.subarray(index, index + 1));
    socket.write(stream.subarray(9));
    const toServer = await proxy.waitForFrames('toServer', { count: 3 });
    const toClient = await proxy.waitForFrames('toClient', { count: 3 });
    assert.deepEqual(toServer.map((recorded) => recorded.payload.toString()), ['first', '', 'third frame']);
    assert.deepEqual(toClient.map((recorded) => recorded.payload.toString()), ['first', '', 'third frame']);
    await allEchoed;
    assert.deepEqual(Buffer.concat(echoed), stream);
    const [recorded] = proxy.connections();
    assert.deepEqual(recorded?.toServer.raw, stream);
    assert.equal(recorded?.toServer.unframedBytes.length, 0);
  });

  it('keeps bytes that are not frames as unframed, still forwarding them', async () => {
    const other = connect({ host: proxy.host, port: proxy.port });
    await new Promise((resolve) => other.once('connect', resolve));
    other.write('ruok');
    const echoed = await new Promise<Buffer>((resolve) => other.once('data', resolve));
    other.destroy();
    assert.equal(echoed.toString(), 'ruok');
    const recorded = proxy.connections().at(-1);
    assert.equal(recorded?.toServer.unframedBytes.toString(), 'ruok');
  });
});

describe('recording proxy in front of Apache ZooKeeper', { skip: referenceSkipReason(), timeout: 60_000 }, () => {
  let server: ReferenceZooKeeper;
  let proxy: RecordingProxy;
  let client: RawClient | undefined;

  before(async () => {
    server = await startReferenceZooKeeper();
    proxy = await RecordingProxy.start({ targetHost: server.host, targetPort: server.port });
  });

  after(async () => {
    client?.destroy();
    await proxy?.close();
    await server?.stop();
  });

  it('captures the handshake and a request/reply pair as decodable frames', async () => {
    client = await RawClient.connect({ host: proxy.host, port: proxy.port, sessionTimeoutMs: 12_000 });
    await client.request({ type: OpCode.exists, path: '/zookeeper', watch: false });
    const [connectRequest, existsRequest] = await proxy.waitForFrames('toServer', { count: 2 });
    const [connectResponse, existsReply] = await proxy.waitForFrames('toClient', { count: 2 });
    assert.ok(connectRequest && existsRequest && connectResponse && existsReply);
    assert.equal(readConnectRequest(new JuteReader(connectRequest.payload)).timeOut, 12_000);
    assert.equal(readConnectResponse(new JuteReader(connectResponse.payload)).sessionId, client.sessionId);
    assert.deepEqual(readRequestHeader(new JuteReader(existsRequest.payload)), { xid: 1, type: OpCode.exists });
    assert.equal(readReplyHeader(new JuteReader(existsReply.payload)).xid, 1);
    assert.ok(connectRequest.sequence < connectResponse.sequence && connectResponse.sequence < existsRequest.sequence);
  });

  it('passes four-letter words through, including the server closing after its reply', async () => {
    assert.equal(await sendFourLetterWord({ host: proxy.host, port: proxy.port }, 'ruok'), 'imok');
  });
});
