import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { OutputBudget, defaultConfig } from '../server/index.js';
import { SocketTransport, type SocketTransportEvents } from './socket-transport.js';

const quiet: SocketTransportEvents = { closing: () => {}, outputTaken: () => {}, stalled: () => {} };

/** A loopback pair: `server` is the socket a transport writes to, `client` the peer. */
async function socketPair(): Promise<{ listener: Server; server: Socket; client: Socket }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect({ host: '127.0.0.1', port });
  const server = await accepted;
  // The tests end by destroying the client under unsent output: a reset the server side ignores.
  server.on('error', () => {});
  return { listener, server, client };
}

function budget(bounds: { hardBytes?: number } = {}): OutputBudget {
  const config = defaultConfig();
  return new OutputBudget({ ...config, connectionOutputHardBytes: bounds.hardBytes ?? config.connectionOutputHardBytes });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SocketTransport', () => {
  it('copies each frame when it is sent: the caller may reuse its buffer at once', async () => {
    const { listener, server, client } = await socketPair();
    const transport = new SocketTransport({ socket: server, budget: budget(), stallMs: 10_000, events: quiet });
    const received: Buffer[] = [];
    const got = new Promise<void>((resolve) => client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (Buffer.concat(received).length >= 6000) resolve();
    }));
    const scratch = Buffer.alloc(3000);
    scratch.fill(1);
    transport.send(scratch);
    scratch.fill(2); // reused before the turn's write
    transport.send(scratch);
    await got;
    const bytes = Buffer.concat(received);
    assert.deepEqual(bytes, Buffer.concat([Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)]));
    client.destroy();
    listener.close();
  });

  it('counts output in the connection and the server-wide budget until the kernel takes it', async () => {
    const { listener, server, client } = await socketPair();
    const shared = budget();
    let taken = 0;
    const transport = new SocketTransport({ socket: server, budget: shared, stallMs: 10_000, events: { ...quiet, outputTaken: () => taken++ } });
    client.on('data', () => {});
    transport.send(Buffer.alloc(5000));
    transport.send(Buffer.alloc(5000));
    assert.equal(transport.outputBytes, 10_000);
    assert.equal(shared.totalBytes, 10_000);
    for (let index = 0; index < 100 && transport.outputBytes > 0; index++) await turn();
    assert.equal(transport.outputBytes, 0);
    assert.equal(shared.totalBytes, 0);
    assert.ok(taken >= 1, 'the owner hears that output was taken');
    client.destroy();
    listener.close();
  });

  it('waits for drain once write() returns false, coalescing what is sent meanwhile into one write, in order', async () => {
    const { listener, server, client } = await socketPair();
    const transport = new SocketTransport({ socket: server, budget: budget(), stallMs: 10_000, events: quiet });
    let writes = 0;
    const write = server.write.bind(server);
    server.write = ((...args: Parameters<Socket['write']>) => {
      writes++;
      return write(...args);
    }) as Socket['write'];
    client.pause();
    const frameBytes = 1024 * 1024;
    for (let index = 0; index < 32 && writes < 64; index++) {
      transport.send(Buffer.alloc(frameBytes, index));
      await turn();
    }
    // The kernel's buffers hold a few MiB; after that the socket said "wait" and was not written again.
    assert.ok(writes < 32, `${writes} writes for 32 turns: the turns after write() returned false were not written`);
    assert.ok(transport.outputBytes > 8 * frameBytes, `${transport.outputBytes} bytes still pending`);
    const received: Buffer[] = [];
    let length = 0;
    const all = new Promise<void>((resolve) => client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
      if (length >= 32 * frameBytes) resolve();
    }));
    client.resume();
    await all;
    const bytes = Buffer.concat(received);
    for (let index = 0; index < 32; index++) assert.equal(bytes[index * frameBytes], index, `frame ${index} in order`);
    for (let index = 0; index < 100 && transport.outputBytes > 0; index++) await turn();
    assert.equal(transport.outputBytes, 0);
    client.destroy();
    listener.close();
  });

  it('reports a stall once output stays past the hard bound for the stall time while the peer reads nothing', async () => {
    const { listener, server, client } = await socketPair();
    const hardBytes = 256 * 1024;
    const stallMs = 300;
    let stalledAt = 0;
    const transport = new SocketTransport({
      socket: server, budget: budget({ hardBytes }), stallMs, events: { ...quiet, stalled: () => (stalledAt = Date.now()) },
    });
    client.pause();
    const frameBytes = 1024 * 1024;
    for (let index = 0; index < 32; index++) {
      transport.send(Buffer.alloc(frameBytes));
      await turn();
    }
    const pastBoundAt = Date.now();
    assert.ok(transport.outputBytes >= hardBytes);
    for (let index = 0; index < 40 && stalledAt === 0; index++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(stalledAt > 0, 'reported');
    assert.ok(stalledAt - pastBoundAt <= stallMs + 500, 'within the stall time (and a margin)');
    transport.release();
    client.destroy();
    listener.close();
  });

  it('gives its share of the budget back when released', async () => {
    const { listener, server, client } = await socketPair();
    const shared = budget();
    const transport = new SocketTransport({ socket: server, budget: shared, stallMs: 10_000, events: quiet });
    transport.send(Buffer.alloc(4096));
    transport.release();
    assert.equal(shared.totalBytes, 0);
    assert.equal(transport.outputBytes, 0);
    client.destroy();
    listener.close();
  });
});
