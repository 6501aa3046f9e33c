// DistributedQueue, TreeCache, ServiceDiscovery and PersistentEphemeralNode against a real Meerkat
// server. Connection failures come from a CutProxy between a client and the server; a session is
// expired by reattaching to it from a second client and closing that one. Every wait is bounded.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ClientClosedError, NoNodeError, OperationTimeoutError, SessionExpiredError, ZooKeeperClient, type ClientOptions } from '../../src/client/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { DistributedQueue, QueueOutcomeUnknownError } from '../../src/recipes/queue.js';
import { PersistentWatchUnsupportedError, TreeCache } from '../../src/recipes/tree-cache.js';
import { PersistentEphemeralNode } from '../../src/recipes/persistent-node.js';
import { ServiceDiscovery, type ServiceInstance } from '../../src/recipes/service-discovery.js';
import { serviceDiscoveryLifecycle } from './recipe-scenarios.js';
import { tearDown } from '../helpers/teardown.js';
import { CutProxy } from '../client/cut-proxy.js';
import { connectResponse, replyFrame } from '../client/scripted-server.js';
import { createServer, type Server } from 'node:net';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

/** The subtree as `path data@mzxid` lines, read node by node (what a TreeCache must converge to). */
async function walk(client: ZooKeeperClient, path: string, lines: string[] = []): Promise<string[]> {
  try {
    const { data, stat } = await client.getData(path);
    lines.push(`${path} ${text(data)}@${stat.mzxid}`);
    for (const child of (await client.getChildren(path)).children) await walk(client, `${path}/${child}`, lines);
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
  }
  return lines.sort();
}

function cached(cache: TreeCache): string[] {
  return [...cache.nodes].map(([path, node]) => `${path} ${text(node.data)}@${node.stat.mzxid}`).sort();
}

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

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('recipes: queue, tree cache, service discovery, persistent node', { timeout: 60_000 }, () => {
  let server: RunningServer;
  let admin: ZooKeeperClient;
  let dataDir: string;
  const clients: ZooKeeperClient[] = [];
  const proxies: CutProxy[] = [];

  const connect = async (connectString = server.connectString, options: ClientOptions = {}): Promise<ZooKeeperClient> => {
    const client = await ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 4000, connectTimeoutMs: 5000, ...options });
    clients.push(client);
    return client;
  };
  const proxy = async (): Promise<CutProxy> => {
    const started = await CutProxy.start({ host: server.host, port: server.port });
    proxies.push(started);
    return started;
  };
  /** Ends `client`'s session on the server while it cannot hear about it, then lets it find out. */
  const expire = async (client: ZooKeeperClient, through: CutProxy): Promise<void> => {
    through.freeze(true);
    const thief = await ZooKeeperClient.connect(server.connectString, { session: { id: client.sessionId, password: client.sessionPassword }, connectTimeoutMs: 5000 });
    await thief.close();
    through.freeze(false);
    through.cut();
    await waitUntil(() => client.state === 'expired', 'the session to expire');
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-recipes-qtd-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    admin = await connect();
  });

  after(() => tearDown({ clients, proxies, server, dataDir }));

  describe('DistributedQueue', () => {
    it('delivers every item exactly once to parallel consumers, through a cut connection and an expired session', async () => {
      const queuePath = '/queues/work';
      const producersCount = 3;
      const itemsPerProducer = 60;
      const total = producersCount * itemsPerProducer;
      const delivered = new Map<string, number>();
      const uncertain: string[] = [];
      let producing = true;

      const produce = async (producer: number): Promise<void> => {
        const queue = new DistributedQueue(await connect(), queuePath);
        for (let item = 0; item < itemsPerProducer; item++) await queue.put(`p${producer}-${item}`);
      };
      const consumerProxies = await Promise.all([0, 1, 2, 3].map(() => proxy()));
      const consumerClients = await Promise.all(consumerProxies.map((through) => connect(through.connectString)));
      const consume = async (index: number): Promise<void> => {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const queue = new DistributedQueue(consumerClients[index]!, queuePath);
          try {
            const item = await queue.take({ timeoutMs: 300 });
            delivered.set(text(item.data), (delivered.get(text(item.data)) ?? 0) + 1);
          } catch (error) {
            if (error instanceof QueueOutcomeUnknownError) uncertain.push(text(error.item.data));
            else if (error instanceof SessionExpiredError || error instanceof ClientClosedError) {
              consumerClients[index] = await connect(consumerProxies[index]!.connectString);
            } else if (!(error instanceof OperationTimeoutError)) throw error;
            else if (!producing) return;
          }
        }
        throw new Error(`consumer ${index} still busy after 30 s`);
      };

      await admin.create('/queues');
      const consumers = [0, 1, 2, 3].map((index) => consume(index));
      const producers = [0, 1, 2].map((producer) => produce(producer));
      await waitUntil(() => delivered.size >= total / 4, 'a quarter of the items');
      consumerProxies[0]!.cut();
      await waitUntil(() => delivered.size >= total / 2, 'half of the items');
      await expire(consumerClients[1]!, consumerProxies[1]!);
      await Promise.all(producers);
      producing = false;
      await Promise.all(consumers);

      const duplicates = [...delivered].filter(([, count]) => count > 1);
      assert.deepEqual(duplicates, [], 'no item delivered twice');
      const missing: string[] = [];
      for (let producer = 0; producer < producersCount; producer++) {
        for (let item = 0; item < itemsPerProducer; item++) if (!delivered.has(`p${producer}-${item}`)) missing.push(`p${producer}-${item}`);
      }
      // Only an item whose removal raced the session's end may be missing, and its taker was told.
      assert.ok(uncertain.length <= 1, `at most one uncertain take (the expired session's): ${uncertain.join(', ')}`);
      const left = await Promise.all((await admin.getChildren(queuePath)).children.map(async (name) => {
        const claim = await admin.exists(`${queuePath}/${name}/claim`);
        return `${name} ${text((await admin.getData(`${queuePath}/${name}`)).data)} claimed by ${claim?.ephemeralOwner ?? 'nobody'}`;
      }));
      assert.deepEqual(left, [], 'the queue is empty');
      assert.deepEqual(missing.filter((item) => !uncertain.includes(item)), [], 'no item lost');
    });

    it('hands out lower priorities first, and equal priorities in put order', async () => {
      const queue = new DistributedQueue(admin, '/queues/priority');
      const puts: Array<[string, number]> = [['a', 5], ['b', -3], ['c', 0], ['d', 5], ['e', 2_000_000_000], ['f', -3], ['g', -2_000_000_000]];
      for (const [data, priority] of puts) await queue.put(data, { priority });
      const order: string[] = [];
      for (let index = 0; index < puts.length; index++) order.push(text((await queue.take({ timeoutMs: 2000 })).data));
      assert.deepEqual(order, ['g', 'b', 'f', 'c', 'a', 'd', 'e']);
      await assert.rejects(queue.take({ timeoutMs: 100 }), OperationTimeoutError);
      await assert.rejects(queue.put('x', { priority: 2 ** 31 }), RangeError);
    });

    it('wakes a waiting consumer when an item arrives; a claimed item is invisible until released', async () => {
      const queue = new DistributedQueue(admin, '/queues/claims');
      await queue.ensure();
      const other = new DistributedQueue(await connect(), '/queues/claims');
      const waiting = other.take({ timeoutMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await queue.put('first');
      assert.equal(text((await waiting).data), 'first');

      await queue.put('second');
      assert.equal(text((await queue.peek())!.data), 'second');
      const claimed = await queue.claim({ timeoutMs: 1000 });
      assert.equal(text(claimed.data), 'second');
      assert.equal(await queue.peek(), null, 'peek skips claimed items');
      const blocked = other.take({ timeoutMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await claimed.release();
      assert.equal(text((await blocked).data), 'second', 'the released item goes to the waiting consumer');
    });
  });

  describe('TreeCache', () => {
    it('mirrors a subtree through creates, updates and deletes deep in the tree', async () => {
      await admin.create('/tree');
      await admin.create('/tree/a', 'a0');
      await admin.create('/tree/b', 'b0');
      const cache = new TreeCache(await connect(), '/tree');
      const events: string[] = [];
      for (const type of ['nodeAdded', 'nodeUpdated', 'nodeRemoved'] as const) {
        cache.on(type, (path, node) => events.push(`${type} ${path} ${text(node.data)}`));
      }
      const initialized = once(cache, 'initialized', { signal: AbortSignal.timeout(5000) });
      await cache.start();
      await initialized;
      assert.deepEqual(events.sort(), ['nodeAdded /tree ', 'nodeAdded /tree/a a0', 'nodeAdded /tree/b b0']);
      assert.deepEqual(cache.children('/tree'), ['a', 'b']);

      events.length = 0;
      await admin.create('/tree/a/x');
      await admin.create('/tree/a/x/y');
      await admin.create('/tree/a/x/y/z', 'deep');
      await admin.setData('/tree/a/x/y/z', 'deeper');
      await admin.setData('/tree/b', 'b1');
      await admin.delete('/tree/a/x/y/z');
      await admin.create('/tree/a/x/y/w', 'w0');
      await waitUntil(async () => (await cache.idle(), cached(cache).join('\n') === (await walk(admin, '/tree')).join('\n')), 'the cache to match the tree');
      assert.ok(events.includes('nodeAdded /tree/a/x/y/w w0'), events.join('\n'));
      assert.ok(events.includes('nodeUpdated /tree/b b1'), events.join('\n'));
      assert.equal(cache.get('/tree/a/x/y/z'), undefined);
      assert.equal(text(cache.get('/tree/a/x/y/w')!.data), 'w0');
      await cache.stop();
    });

    it('re-syncs after a connection cut: changes made while disconnected show up, and it matches a fresh walk', async () => {
      await admin.create('/synced');
      for (const name of ['keep', 'change', 'drop']) await admin.create(`/synced/${name}`, `${name}0`);
      await admin.create('/synced/drop/leaf');
      const through = await proxy();
      const client = await connect(through.connectString);
      const cache = new TreeCache(client, '/synced');
      await cache.start();
      const removed: string[] = [];
      cache.on('nodeRemoved', (path) => removed.push(path));

      const reconnected = once(client, 'connected', { signal: AbortSignal.timeout(8000) });
      through.refuse(true);
      through.cut();
      await admin.setData('/synced/change', 'change1');
      await admin.delete('/synced/drop/leaf');
      await admin.delete('/synced/drop');
      await admin.create('/synced/new', 'new0');
      await admin.create('/synced/new/child', 'child0');
      through.refuse(false);
      await reconnected;
      const expected = (await walk(admin, '/synced')).join('\n');
      await waitUntil(async () => (await cache.idle(), cached(cache).join('\n') === expected), 'the cache to match a fresh walk');
      assert.deepEqual(removed.sort(), ['/synced/drop', '/synced/drop/leaf']);

      // The watch is registered again: later changes arrive as events.
      const updated = once(cache, 'nodeUpdated', { signal: AbortSignal.timeout(5000) });
      await admin.setData('/synced/keep', 'keep1');
      assert.equal((await updated)[0], '/synced/keep');
      await cache.stop();
    });

    it('fails to start with PersistentWatchUnsupportedError on a server without addWatch', async () => {
      const old = await startOldServer();
      try {
        const client = await ZooKeeperClient.connect(old.connectString, { connectTimeoutMs: 5000, retry: false });
        clients.push(client);
        await assert.rejects(new TreeCache(client, '/anything').start(), (error: unknown) => {
          assert.ok(error instanceof PersistentWatchUnsupportedError);
          assert.match(error.message, /persistent recursive watches .*3\.6/);
          return true;
        });
        await client.close({ timeoutMs: 200 });
      } finally {
        old.server.close();
      }
    });
  });

  describe('PersistentEphemeralNode', () => {
    it('re-creates the node after a foreign delete and, on a new session, after expiry; close() deletes it', async () => {
      const through = await proxy();
      const node = new PersistentEphemeralNode(await connect(through.connectString), {
        path: '/kept/node',
        data: 'here',
        newClient: () => connect(through.connectString),
      });
      node.start();
      assert.equal(await node.waitForInitialCreate(5000), '/kept/node');
      const firstSession = node.client.sessionId;
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, firstSession);

      const recreated = once(node, 'created', { signal: AbortSignal.timeout(5000) });
      await admin.delete('/kept/node');
      await recreated;
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, firstSession);

      const afterExpiry = once(node, 'created', { signal: AbortSignal.timeout(8000) });
      await expire(node.client, through);
      await afterExpiry;
      const stat = await admin.exists('/kept/node');
      assert.notEqual(node.client.sessionId, firstSession);
      assert.equal(stat?.ephemeralOwner, node.client.sessionId, 'owned by the new session');
      assert.equal(text((await admin.getData('/kept/node')).data), 'here');

      await node.close();
      assert.equal(await admin.exists('/kept/node'), null);
    });

    it('gives a sequential node a new name each time it is re-created', async () => {
      const node = new PersistentEphemeralNode(await connect(), { path: '/kept/seq-', mode: 'ephemeralSequential' });
      node.start();
      const first = await node.waitForInitialCreate(5000);
      assert.match(first, /^\/kept\/seq-\d{10}$/);
      const recreated = once(node, 'created', { signal: AbortSignal.timeout(5000) });
      await admin.delete(first);
      const [second] = (await recreated) as [string];
      assert.notEqual(second, first);
      assert.equal(node.path, second);
      assert.deepEqual((await admin.getChildren('/kept')).children.filter((name) => name.startsWith('seq-')), [second.slice('/kept/'.length)]);
      await node.close();
    });
  });

  describe('ServiceDiscovery', () => {
    const instance = (name: string, id: string, port: number): ServiceInstance => ({ name, id, address: '10.0.0.1', port, payload: { zone: 'a' } });

    it('registers, queries and watches instances; an instance goes with its session', () => serviceDiscoveryLifecycle(() => connect()));

    it('re-registers after its session expires, and a watcher sees the instance come back', async () => {
      const through = await proxy();
      const discovery = new ServiceDiscovery(await connect(through.connectString), { basePath: '/renewing', newClient: () => connect(through.connectString) });
      await discovery.register(instance('web', 'web-1', 80));
      const watcher = await new ServiceDiscovery(admin, { basePath: '/renewing' }).watch('web');
      const ids: string[][] = [];
      watcher.on('change', (list) => ids.push(list.map((found) => found.id)));
      const expiredSession = discovery.session.client.sessionId;

      await expire(discovery.session.client, through);
      await waitUntil(async () => (await admin.exists('/renewing/web/web-1'))?.ephemeralOwner === discovery.session.client.sessionId, 're-registration');
      assert.notEqual(discovery.session.client.sessionId, expiredSession);
      await waitUntil(() => ids.length >= 2, 'the watcher to see the instance go and come back');
      assert.deepEqual(ids.slice(0, 2), [[], ['web-1']]);
      assert.deepEqual(await discovery.queryForInstances('web'), [instance('web', 'web-1', 80)]);
      await watcher.close();
      await discovery.close();
      assert.equal(await admin.exists('/renewing/web/web-1'), null);
    });
  });
});
