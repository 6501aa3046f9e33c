import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Socket, connect, createServer } from 'node:net';
import { SocketTransport } from './socket-transport.js';

describe('SocketTransport', () => {
  it('copies each frame when it is sent: the caller may reuse its buffer at once', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect({ host: '127.0.0.1', port });
    const transport = new SocketTransport(await accepted, () => {});
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
    server.close();
  });
});
