// DistributedQueue, TreeCache and PersistentEphemeralNode behaviour checked only against Meerkat:
// claims, a server too old for persistent watches (a scripted one), sequential re-creation. The
// scenarios both servers run are in recipe-suite-data.ts. Every wait is bounded.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { ZooKeeperClient } from '../../src/client/index.js';
import { DistributedQueue } from '../../src/recipes/queue.js';
import { PersistentWatchUnsupportedError, TreeCache } from '../../src/recipes/tree-cache.js';
import { PersistentEphemeralNode } from '../../src/recipes/persistent-node.js';
import { startMeerkat, useServer } from '../helpers/server-fixture.js';
import { nextEvent, sleep } from '../helpers/waits.js';
import { connectResponse, replyFrame } from '../client/scripted-server.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

/**
 * A server as old as ZooKeeper 3.5: it opens sessions, answers pings, and answers every other request
 * UNIMPLEMENTED (-6), as ZooKeeper's UnimplementedRequestProcessor does for an opcode it does not know.
 */
async function startOldServer(): Promise<{ server: Server; connectString: string }> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let connected = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        if (!connected) {
          connected = true;
          socket.write(connectResponse({ sessionId: 0x1234n, timeOut: 4000 }));
          continue;
        }
        const xid = frame.readInt32BE(0);
        socket.write(xid === -2 ? replyFrame({ xid }) : replyFrame({ xid, err: -6 }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const address = server.address();
  assert.ok(address !== null && typeof address !== 'string');
  return { server, connectString: `127.0.0.1:${address.port}` };
}

describe('recipes: queue claims, tree cache on an old server, sequential persistent node', { timeout: 60_000 }, () => {
  const { connect } = useServer(() => startMeerkat(), { sessionTimeoutMs: 4000, connectTimeoutMs: 5000 });
  let admin: ZooKeeperClient;

  before(async () => {
    admin = await connect();
  });

  describe('DistributedQueue', () => {
    it('wakes a waiting consumer when an item arrives; a claimed item is invisible until released', async () => {
      const queue = new DistributedQueue(admin, '/queues/claims');
      await queue.ensure();
      const other = new DistributedQueue(await connect(), '/queues/claims');
      const waiting = other.take({ timeoutMs: 5000 });
      await sleep(50);
      await queue.put('first');
      assert.equal(text((await waiting).data), 'first');

      await queue.put('second');
      assert.equal(text((await queue.peek())!.data), 'second');
      const claimed = await queue.claim({ timeoutMs: 1000 });
      assert.equal(text(claimed.data), 'second');
      assert.equal(await queue.peek(), null, 'peek skips claimed items');
      const blocked = other.take({ timeoutMs: 5000 });
      await sleep(100);
      await claimed.release();
      assert.equal(text((await blocked).data), 'second', 'the released item goes to the waiting consumer');
    });
  });

  describe('TreeCache', () => {
    it('fails to start with PersistentWatchUnsupportedError on a server without addWatch', async () => {
      const old = await startOldServer();
      let client: ZooKeeperClient | undefined;
      try {
        client = await ZooKeeperClient.connect(old.connectString, { connectTimeoutMs: 5000, retry: false });
        await assert.rejects(new TreeCache(client, '/anything').start(), (error: unknown) => {
          assert.ok(error instanceof PersistentWatchUnsupportedError);
          assert.match(error.message, /persistent recursive watches .*3\.6/);
          return true;
        });
      } finally {
        await client?.close({ timeoutMs: 200 });
        old.server.close();
      }
    });
  });

  describe('PersistentEphemeralNode', () => {
    it('gives a sequential node a new name each time it is re-created', async () => {
      const node = new PersistentEphemeralNode(await connect(), { path: '/kept/seq-', mode: 'ephemeralSequential' });
      node.start();
      const first = await node.waitForInitialCreate(5000);
      assert.match(first, /^\/kept\/seq-\d{10}$/);
      const recreated = nextEvent<string>(node, 'created');
      await admin.delete(first);
      const second = await recreated;
      assert.notEqual(second, first);
      assert.equal(node.path, second);
      assert.deepEqual((await admin.getChildren('/kept')).children.filter((name) => name.startsWith('seq-')), [second.slice('/kept/'.length)]);
      await node.close();
    });
  });
});
