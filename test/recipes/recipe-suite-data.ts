// The data half of the recipe suite (recipe-suite.ts): queues, caches, service discovery, group
// membership and persistent ephemeral nodes, against whichever server the fixture runs.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ClientClosedError, NoNodeError, OperationTimeoutError, SessionExpiredError, type ZooKeeperClient } from '../../src/client/index.js';
import {
  ChildrenCache,
  DistributedQueue,
  GroupMembership,
  NodeCache,
  PersistentEphemeralNode,
  ServiceDiscovery,
  TreeCache,
  type ServiceInstance,
} from '../../src/recipes/index.js';
import { QueueOutcomeUnknownError } from '../../src/recipes/queue.js';
import { ensurePath } from '../../src/recipes/paths.js';
import type { ServerFixture } from '../helpers/server-fixture.js';
import { nextEvent, waitUntil } from '../helpers/waits.js';

const text = (bytes: Uint8Array | null): string => {
  assert.ok(bytes !== null, 'the node has data (not null)');
  return Buffer.from(bytes).toString();
};

const instance = (name: string, id: string, port: number): ServiceInstance => ({ name, id, address: '10.0.0.1', port, payload: { zone: 'a' } });

/** The subtree as sorted `path data@mzxid` lines, read node by node (what a TreeCache must equal). */
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

export function dataRecipes({ connect, proxy, expire }: ServerFixture): void {
  let admin: ZooKeeperClient;

  before(async () => {
    admin = await connect();
  });

  /** Until the subtree at `path` in `cache` equals a fresh walk of the server's. */
  const cacheMatches = (cache: TreeCache, path: string): Promise<void> =>
    waitUntil(async () => (await cache.idle(), cached(cache).join('\n') === (await walk(admin, path)).join('\n')), 'the cache to match the tree', 8000);

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
      const consumerClients = await Promise.all(consumerProxies.map((through) => connect({ via: through })));
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
              consumerClients[index] = await connect({ via: consumerProxies[index]! });
            } else if (!(error instanceof OperationTimeoutError)) throw error;
            else if (!producing) return;
          }
        }
        throw new Error(`consumer ${index} still busy after 30 s`);
      };

      await ensurePath(admin, queuePath);
      const consumers = [0, 1, 2, 3].map((index) => consume(index));
      const producers = [0, 1, 2].map((producer) => produce(producer));
      await waitUntil(() => delivered.size >= total / 4, 'a quarter of the items', 8000);
      consumerProxies[0]!.cut();
      await waitUntil(() => delivered.size >= total / 2, 'half of the items', 8000);
      await expire(consumerClients[1]!, consumerProxies[1]!);
      await Promise.all(producers);
      producing = false;
      await Promise.all(consumers);

      assert.deepEqual([...delivered].filter(([, count]) => count > 1), [], 'no item delivered twice');
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

    it('hands out items in put order, lower priorities first, and equal priorities in put order', async () => {
      const fifo = new DistributedQueue(admin, '/queues/fifo');
      for (const item of ['a', 'b', 'c', 'd']) await fifo.put(item);
      const taken: string[] = [];
      for (let index = 0; index < 4; index++) taken.push(text((await fifo.take({ timeoutMs: 2000 })).data));
      assert.deepEqual(taken, ['a', 'b', 'c', 'd']);

      const queue = new DistributedQueue(admin, '/queues/priority');
      const puts: Array<[string, number]> = [['a', 5], ['b', -3], ['c', 0], ['d', 5], ['e', 2_000_000_000], ['f', -3], ['g', -2_000_000_000]];
      for (const [data, priority] of puts) await queue.put(data, { priority });
      const order: string[] = [];
      for (let index = 0; index < puts.length; index++) order.push(text((await queue.take({ timeoutMs: 2000 })).data));
      assert.deepEqual(order, ['g', 'b', 'f', 'c', 'a', 'd', 'e']);
      await assert.rejects(queue.take({ timeoutMs: 100 }), OperationTimeoutError);
      await assert.rejects(queue.put('x', { priority: 2 ** 31 }), RangeError);
    });
  });

  describe('NodeCache', () => {
    it('follows a node through creation, every change and deletion', async () => {
      const cache = new NodeCache(await connect(), '/cached');
      await cache.start();
      assert.equal(cache.current, null);
      const created = nextEvent(cache, 'change');
      await admin.create('/cached', 'one');
      await created;
      assert.equal(text(cache.current!.data), 'one');
      for (const value of ['two', 'three']) {
        const changed = nextEvent(cache, 'change');
        await admin.setData('/cached', value);
        await changed;
        assert.equal(text(cache.current!.data), value);
      }
      const deleted = nextEvent(cache, 'change');
      await admin.delete('/cached');
      assert.equal(await deleted, null);
      cache.stop();
    });
  });

  describe('ChildrenCache', () => {
    it('keeps the sorted child list through adds and removals', async () => {
      await admin.create('/kids');
      const cache = new ChildrenCache(await connect(), '/kids');
      await cache.start();
      assert.deepEqual(cache.current, []);
      for (const [change, expected] of [[() => admin.create('/kids/b'), ['b']], [() => admin.create('/kids/a'), ['a', 'b']], [() => admin.delete('/kids/b'), ['a']]] as const) {
        const changed = nextEvent<string[]>(cache, 'change');
        await change();
        assert.deepEqual(await changed, expected);
      }
      cache.stop();
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
      const initialized = nextEvent(cache, 'initialized');
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
      await cacheMatches(cache, '/tree');
      assert.ok(events.includes('nodeAdded /tree/a/x/y/w w0'), events.join('\n'));
      assert.ok(events.includes('nodeUpdated /tree/b b1'), events.join('\n'));
      assert.equal(cache.get('/tree/a/x/y/z'), undefined);
      assert.deepEqual(cache.children('/tree/a/x/y'), ['w']);
      assert.equal(text(cache.get('/tree/a/x/y/w')!.data), 'w0');
      await cache.stop();
    });

    it('re-syncs after a connection cut: changes made while disconnected show up, later ones still fire', async () => {
      await admin.create('/synced');
      for (const name of ['keep', 'change', 'drop']) await admin.create(`/synced/${name}`, `${name}0`);
      await admin.create('/synced/drop/leaf');
      const through = await proxy();
      const client = await connect({ via: through });
      const cache = new TreeCache(client, '/synced');
      await cache.start();
      const removed: string[] = [];
      cache.on('nodeRemoved', (path) => removed.push(path));

      const reconnected = nextEvent(client, 'connected', 8000);
      through.refuse(true);
      through.cut();
      await admin.setData('/synced/change', 'change1');
      await admin.delete('/synced/drop/leaf');
      await admin.delete('/synced/drop');
      await admin.create('/synced/new', 'new0');
      await admin.create('/synced/new/child', 'child0');
      through.refuse(false);
      await reconnected;
      await cacheMatches(cache, '/synced');
      assert.deepEqual(removed.sort(), ['/synced/drop', '/synced/drop/leaf']);

      const updated = nextEvent<string>(cache, 'nodeUpdated');
      await admin.setData('/synced/keep', 'keep1');
      assert.equal(await updated, '/synced/keep', 'the persistent watch was registered again');
      await cache.stop();
    });
  });

  describe('ServiceDiscovery', () => {
    it('registers, queries and watches instances; a taken id is refused; an instance goes with its session and on unregister', async () => {
      const discovery = new ServiceDiscovery(await connect(), { basePath: '/services' });
      await discovery.register(instance('api', 'api-1', 8080));
      await discovery.register(instance('db', 'db-1', 5432));
      assert.deepEqual(await discovery.queryForNames(), ['api', 'db']);
      assert.deepEqual(await discovery.queryForInstances('api'), [instance('api', 'api-1', 8080)]);
      assert.deepEqual(await discovery.queryForInstances('cache'), []);

      const observer = new ServiceDiscovery(await connect(), { basePath: '/services' });
      const watcher = await observer.watch('api');
      assert.deepEqual(watcher.current.map((found) => found.id), ['api-1']);
      const ids = async (): Promise<string[]> => (await nextEvent<ServiceInstance[]>(watcher, 'change')).map((found) => found.id);

      const otherClient = await connect();
      const joined = ids();
      await new ServiceDiscovery(otherClient, { basePath: '/services' }).register(instance('api', 'api-2', 8081));
      assert.deepEqual(await joined, ['api-1', 'api-2']);
      await assert.rejects(discovery.register(instance('api', 'api-2', 9999)), { name: 'NodeExistsError' });

      const left = ids();
      await otherClient.close();
      assert.deepEqual(await left, ['api-1']);

      const unregistered = ids();
      await discovery.unregister('api', 'api-1');
      assert.deepEqual(await unregistered, []);
      assert.deepEqual(await observer.queryForInstances('api'), []);
      await discovery.close();
      await observer.close();
    });

    it('re-registers on a new session after its session expires, and a watcher sees the instance come back', async () => {
      const through = await proxy();
      const discovery = new ServiceDiscovery(await connect({ via: through }), { basePath: '/renewing', newClient: () => connect({ via: through }) });
      await discovery.register(instance('web', 'web-1', 80));
      const watcher = await new ServiceDiscovery(admin, { basePath: '/renewing' }).watch('web');
      const ids: string[][] = [];
      watcher.on('change', (list) => ids.push(list.map((found) => found.id)));
      const expiredSession = discovery.session.client.sessionId;

      await expire(discovery.session.client, through);
      await waitUntil(async () => (await admin.exists('/renewing/web/web-1'))?.ephemeralOwner === discovery.session.client.sessionId, 're-registration', 8000);
      assert.notEqual(discovery.session.client.sessionId, expiredSession);
      await waitUntil(() => ids.length >= 2, 'the watcher to see the instance go and come back', 8000);
      assert.deepEqual(ids.slice(0, 2), [[], ['web-1']]);
      assert.deepEqual(await discovery.queryForInstances('web'), [instance('web', 'web-1', 80)]);
      await watcher.close();
      await discovery.close();
      assert.equal(await admin.exists('/renewing/web/web-1'), null);
    });
  });

  describe('GroupMembership', () => {
    it('refuses a taken member id, and a member leaves when its session ends; watchers see it', async () => {
      const group = new GroupMembership(admin, '/groups/api');
      const watcher = await group.watch();
      const other = await connect();
      const members = (): Promise<string[]> => nextEvent<string[]>(watcher, 'change');
      const joined = members();
      await new GroupMembership(other, '/groups/api').join('worker-1', 'host:1234');
      assert.deepEqual(await joined, ['worker-1']);
      assert.equal(text((await admin.getData('/groups/api/worker-1')).data), 'host:1234');
      await assert.rejects(group.join('worker-1'), { name: 'NodeExistsError' });
      const second = members();
      await group.join('worker-2');
      assert.deepEqual(await second, ['worker-1', 'worker-2']);
      const left = members();
      await other.close();
      assert.deepEqual(await left, ['worker-2']);
      const gone = members();
      await group.leave('worker-2');
      assert.deepEqual(await gone, []);
      assert.deepEqual(await group.members(), []);
      watcher.stop();
    });
  });

  describe('PersistentEphemeralNode', () => {
    it('re-creates the node after a foreign delete and, on a new session, after expiry; close() deletes it', async () => {
      const through = await proxy();
      const node = new PersistentEphemeralNode(await connect({ via: through }), {
        path: '/kept/node',
        data: 'here',
        newClient: () => connect({ via: through }),
      });
      node.start();
      assert.equal(await node.waitForInitialCreate(5000), '/kept/node');
      const firstSession = node.client.sessionId;
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, firstSession);

      const recreated = nextEvent<string>(node, 'created');
      await admin.delete('/kept/node');
      assert.equal(await recreated, '/kept/node');
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, firstSession);

      const afterExpiry = nextEvent<string>(node, 'created', 8000);
      await expire(node.client, through);
      await afterExpiry;
      assert.notEqual(node.client.sessionId, firstSession);
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, node.client.sessionId, 'owned by the new session');
      assert.equal(text((await admin.getData('/kept/node')).data), 'here');

      await node.close();
      assert.equal(await admin.exists('/kept/node'), null);
    });
  });
}
