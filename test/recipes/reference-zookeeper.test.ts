// Every recipe against Apache ZooKeeper 3.8 (test/helpers/reference-zookeeper.ts): one compact
// behavioural check per recipe, so a recipe that only works because of a Meerkat quirk fails here.
// Skipped when ZooKeeper is not installed, except on CI (CI=true), where a missing install fails.
//
// The server runs with tickTime 200 ms, so it allows session timeouts from 400 ms to 4 s. A session
// is expired by reattaching a second client to it and closing that one (ZooKeeper then closes the
// session and deletes its ephemerals); the original client talks through a CutProxy frozen meanwhile,
// so it cannot reclaim the session in between, and learns of the expiry once the proxy lets it
// reconnect. Every wait is bounded; the whole file takes well under a minute.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { NoNodeError, OperationTimeoutError, ZooKeeperClient, type ClientOptions } from '../../src/client/index.js';
import { stillPending, within } from '../helpers/waits.js';
import {
  AtomicCounter,
  Barrier,
  ChildrenCache,
  DistributedQueue,
  DoubleBarrier,
  GroupMembership,
  LeaderElection,
  LeaderLatch,
  Lock,
  NodeCache,
  PersistentEphemeralNode,
  ReadWriteLock,
  ServiceDiscovery,
  TreeCache,
  type ServiceInstance,
} from '../../src/recipes/index.js';
import { referenceSkipReason, startReferenceZooKeeper, type ReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import { semaphoreSaturates, serviceDiscoveryLifecycle } from './recipe-scenarios.js';
import { CutProxy } from '../client/cut-proxy.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

/** The next event of `name`, bounded. */
async function next<T>(emitter: NodeJS.EventEmitter, name: string, ms = 5000): Promise<T> {
  const [value] = (await once(emitter, name, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Settles within `ms` or rejects. */

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

describe('recipes against Apache ZooKeeper 3.8', { skip: referenceSkipReason(), timeout: 60_000 }, () => {
  let zookeeper: ReferenceZooKeeper;
  let admin: ZooKeeperClient;
  const clients: ZooKeeperClient[] = [];
  const proxies: CutProxy[] = [];

  const connect = async (options: ClientOptions & { via?: CutProxy } = {}): Promise<ZooKeeperClient> => {
    const { via, ...clientOptions } = options;
    const client = await ZooKeeperClient.connect(via?.connectString ?? zookeeper.connectString, {
      sessionTimeoutMs: 4000,
      connectTimeoutMs: 5000,
      ...clientOptions,
    });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  const proxy = async (): Promise<CutProxy> => {
    const started = await CutProxy.start({ host: zookeeper.host, port: zookeeper.port });
    proxies.push(started);
    return started;
  };

  /** Ends `client`'s session on the server while it cannot hear about it, then lets it find out. */
  const expire = async (client: ZooKeeperClient, through: CutProxy): Promise<void> => {
    through.freeze(true);
    const thief = await ZooKeeperClient.connect(zookeeper.connectString, {
      session: { id: client.sessionId, password: client.sessionPassword },
      connectTimeoutMs: 5000,
    });
    await thief.close();
    through.freeze(false);
    through.cut();
    await waitUntil(() => client.state === 'expired', 'the session to expire', 8000);
  };

  before(async () => {
    zookeeper = await startReferenceZooKeeper({ tickTimeMs: 200 });
    admin = await connect();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 1000 }).catch(() => undefined)));
    await Promise.all(proxies.map((started) => started.close()));
    await zookeeper?.stop();
  });

  describe('Lock', () => {
    it('admits one holder at a time among five contenders, with strictly increasing fencing tokens', async () => {
      const sessions = await Promise.all([0, 1, 2].map(() => connect()));
      let holders = 0;
      let holdersMax = 0;
      const tokens: number[] = [];
      await within(Promise.all(Array.from({ length: 5 }, async (_, index) => {
        const lock = new Lock(sessions[index % sessions.length]!, '/locks/mutex');
        for (let round = 0; round < 3; round++) {
          const handle = await lock.acquire({ timeoutMs: 10_000 });
          holders++;
          holdersMax = Math.max(holdersMax, holders);
          tokens.push(handle.fencingToken);
          await sleep(2);
          holders--;
          await handle.release();
        }
      })), 15_000, 'every contender to finish');
      assert.equal(holdersMax, 1);
      assert.equal(tokens.length, 15);
      for (let index = 1; index < tokens.length; index++) assert.ok(tokens[index]! > tokens[index - 1]!, `token ${index} increases: ${tokens.join(' ')}`);
      assert.deepEqual(await new Lock(admin, '/locks/mutex').participants(), [], 'every node was removed');
    });

    it("tells a holder whose session is expired that it lost the lock; the waiter gets a larger token", async () => {
      const through = await proxy();
      const doomed = await connect({ via: through });
      const held = await new Lock(doomed, '/locks/expiry').acquire();
      const waiting = new Lock(await connect(), '/locks/expiry').acquire({ timeoutMs: 10_000 });
      assert.ok(await stillPending(waiting), 'the waiter waits for the holder');
      const lost = next<Error>(held, 'lost', 8000);
      await expire(doomed, through);
      const successor = await within(waiting, 5000, 'the waiter to acquire');
      assert.ok(successor.fencingToken > held.fencingToken, 'the fencing token grows');
      assert.equal((await lost).name, 'LockLostError');
      assert.equal(held.state, 'lost');
      assert.ok(held.signal.aborted);
      await held.release();
      await successor.release();
    });
  });

  describe('ReadWriteLock', () => {
    it('lets readers share and keeps a writer alone', async () => {
      const rw = new ReadWriteLock(await connect(), '/locks/rw');
      const readers = await within(Promise.all([rw.acquireRead(), rw.acquireRead(), rw.acquireRead()]), 5000, 'three readers together');
      const writer = rw.acquireWrite({ timeoutMs: 10_000 });
      assert.ok(await stillPending(writer), 'the writer waits for the readers');
      const lateReader = rw.acquireRead({ timeoutMs: 10_000 });
      assert.ok(await stillPending(lateReader), 'a reader behind a waiting writer waits');
      await readers[0]!.release();
      await readers[1]!.release();
      assert.ok(await stillPending(writer), 'the writer waits for the last reader');
      await readers[2]!.release();
      const written = await within(writer, 5000, 'the writer');
      assert.ok(written.fencingToken > Math.max(...readers.map((reader) => reader.fencingToken)));
      assert.ok(await stillPending(lateReader), 'a reader waits while the writer holds');
      await written.release();
      const read = await within(lateReader, 5000, 'the late reader');
      await read.release();
    });
  });

  describe('Semaphore', () => {
    it('never grants more than maxLeases at once, and does reach it', () =>
      semaphoreSaturates(() => connect(), { sessions: 3, contenders: 6, rounds: 2, maxLeases: 2, holdMs: 40, withinMs: 15_000 }));
  });

  describe('LeaderLatch', () => {
    it('elects exactly one leader, and hands leadership down the queue as leaders close', async () => {
      let leadersMax = 0;
      const latches = await Promise.all([0, 1, 2, 3].map(async (index) => new LeaderLatch(await connect(), '/election/latch', { id: `p${index}` })));
      const leaders = (): LeaderLatch[] => latches.filter((latch) => latch.hasLeadership);
      for (const latch of latches) latch.on('isLeader', () => (leadersMax = Math.max(leadersMax, leaders().length)));
      await Promise.all(latches.map((latch) => latch.start()));
      const queue = (await latches[0]!.getParticipants()).map((participant) => participant.id);
      assert.deepEqual([...queue].sort(), ['p0', 'p1', 'p2', 'p3']);
      for (const expected of queue) {
        await waitUntil(() => leaders().length === 1, 'one leader');
        const [leader] = leaders();
        assert.equal(leader!.id, expected, 'leadership follows the candidates\' creation order');
        assert.equal((await leader!.getLeader())?.id, expected);
        await leader!.close();
        assert.equal(leader!.hasLeadership, false);
      }
      assert.equal(leadersMax, 1, 'never two leaders');
      assert.deepEqual(await latches[0]!.getParticipants(), []);
    });

    it('a leader whose connection is cut steps down at once; another leads only once the session expired', async () => {
      const sessionTimeoutMs = 1200;
      const cut = await proxy();
      const steps: string[] = [];
      const leader = new LeaderLatch(await connect({ via: cut, sessionTimeoutMs }), '/election/cut');
      leader.on('notLeader', () => steps.push('old:notLeader'));
      await leader.start();
      await waitUntil(() => leader.hasLeadership, 'the first leader');
      const contender = new LeaderLatch(await connect(), '/election/cut');
      contender.on('isLeader', () => steps.push('new:isLeader'));
      await contender.start();
      const cutAt = Date.now();
      cut.refuse(true);
      cut.cut();
      await waitUntil(() => contender.hasLeadership, 'the contender to lead', 8000);
      const electedAfterMs = Date.now() - cutAt;
      assert.deepEqual(steps, ['old:notLeader', 'new:isLeader']);
      assert.ok(electedAfterMs >= sessionTimeoutMs * 0.9, `elected ${electedAfterMs} ms after the cut, before the session could expire`);
      await contender.close();
      await leader.close();
    });
  });

  describe('LeaderElection', () => {
    it('runs lead for one participant at a time, each in turn', async () => {
      const order: string[] = [];
      let active = 0;
      let overlapped = false;
      const leadsMax = 9;
      const elections = await Promise.all(['a', 'b', 'c'].map(async (who) => new LeaderElection(await connect(), '/election/rounds', {
        id: who,
        lead: async () => {
          if (order.length >= leadsMax) return;
          overlapped ||= ++active > 1;
          await sleep(15);
          order.push(who);
          active--;
        },
      })));
      await Promise.all(elections.map((election) => election.start()));
      await waitUntil(() => order.length >= leadsMax, `${leadsMax} leads`, 10_000);
      await Promise.all(elections.map((election) => election.close()));
      assert.equal(overlapped, false, 'two leads overlapped');
      for (const who of ['a', 'b', 'c']) assert.ok(order.filter((leader) => leader === who).length >= 2, `${who} led at least twice: ${order.join('')}`);
      assert.deepEqual(await elections[0]!.getParticipants(), []);
    });
  });

  describe('Barrier', () => {
    it('holds three waiters until the barrier is removed', async () => {
      const owner = new Barrier(await connect(), '/barriers/gate');
      await owner.setBarrier();
      const waiters = await Promise.all([1, 2, 3].map(async () => new Barrier(await connect(), '/barriers/gate')));
      let through = 0;
      const waits = waiters.map((barrier) => barrier.waitOnBarrier({ timeoutMs: 5000 }).then((passed) => {
        through++;
        return passed;
      }));
      assert.equal(await waiters[0]!.waitOnBarrier({ timeoutMs: 100 }), false);
      assert.equal(through, 0);
      await owner.removeBarrier();
      assert.deepEqual(await Promise.all(waits), [true, true, true]);
    });
  });

  describe('DoubleBarrier', () => {
    it('lets nobody in before three members entered, and nobody out before all left', async () => {
      const memberCount = 3;
      const members = await Promise.all([0, 1, 2].map(async (index) => new DoubleBarrier(await connect(), '/barriers/double', { memberCount, memberId: `m${index}` })));
      const events: string[] = [];
      await Promise.all(members.map(async (member, index) => {
        await sleep(index * 60);
        events.push(`enter:${index}`);
        assert.equal(await member.enter({ timeoutMs: 5000 }), true);
        events.push(`entered:${index}`);
      }));
      assert.deepEqual(events.slice(0, memberCount), ['enter:0', 'enter:1', 'enter:2']);
      events.length = 0;
      await Promise.all(members.map(async (member, index) => {
        await sleep((memberCount - index) * 60);
        events.push(`leave:${index}`);
        assert.equal(await member.leave({ timeoutMs: 5000 }), true);
        events.push(`left:${index}`);
      }));
      assert.ok(events.slice(0, memberCount).every((event) => event.startsWith('leave:')), events.join(' '));
      assert.deepEqual((await admin.getChildren('/barriers/double')).children, [], 'members and the ready node are gone');
    });
  });

  describe('AtomicCounter', () => {
    it('sums concurrent increments from several clients exactly, each seeing a distinct value', async () => {
      const counters = await Promise.all([0, 1, 2].map(async () => new AtomicCounter(await connect(), '/counters/hits')));
      const seen: bigint[] = [];
      await within(Promise.all(counters.flatMap((counter) => [0, 1].map(async () => {
        for (let count = 0; count < 10; count++) {
          const { preValue, postValue } = await counter.increment();
          assert.equal(postValue, preValue + 1n);
          seen.push(postValue);
        }
      }))), 15_000, 'every increment');
      assert.equal(await counters[0]!.get(), 60n);
      assert.equal(new Set(seen).size, seen.length, 'no two increments saw the same value');
      const { data } = await admin.getData('/counters/hits');
      assert.equal(data.length, 8, 'stored as an 8-byte big-endian long');
      assert.equal(Buffer.from(data).readBigInt64BE(0), 60n);
    });
  });

  describe('DistributedQueue', () => {
    it('hands out items in put order, lower priorities first', async () => {
      const fifo = new DistributedQueue(admin, '/queues/fifo');
      for (const item of ['a', 'b', 'c', 'd']) await fifo.put(item);
      const taken: string[] = [];
      for (let index = 0; index < 4; index++) taken.push(text((await fifo.take({ timeoutMs: 2000 })).data));
      assert.deepEqual(taken, ['a', 'b', 'c', 'd']);
      await assert.rejects(fifo.take({ timeoutMs: 100 }), OperationTimeoutError);

      const priority = new DistributedQueue(admin, '/queues/priority');
      const puts: Array<[string, number]> = [['a', 5], ['b', -3], ['c', 0], ['d', 5], ['e', 2_000_000_000], ['f', -3], ['g', -2_000_000_000]];
      for (const [data, level] of puts) await priority.put(data, { priority: level });
      const order: string[] = [];
      for (let index = 0; index < puts.length; index++) order.push(text((await priority.take({ timeoutMs: 2000 })).data));
      assert.deepEqual(order, ['g', 'b', 'f', 'c', 'a', 'd', 'e']);
    });

    it('delivers every item of two producers exactly once to two consumers', async () => {
      const itemsPerProducer = 30;
      const delivered = new Map<string, number>();
      let producing = true;
      const produce = async (producer: number): Promise<void> => {
        const queue = new DistributedQueue(await connect(), '/queues/work');
        for (let item = 0; item < itemsPerProducer; item++) await queue.put(`p${producer}-${item}`);
      };
      const consume = async (): Promise<void> => {
        const queue = new DistributedQueue(await connect(), '/queues/work');
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          try {
            const item = await queue.take({ timeoutMs: 300 });
            delivered.set(text(item.data), (delivered.get(text(item.data)) ?? 0) + 1);
          } catch (error) {
            if (!(error instanceof OperationTimeoutError)) throw error;
            if (!producing) return;
          }
        }
        throw new Error('a consumer was still busy after 20 s');
      };
      const consumers = [consume(), consume()];
      await Promise.all([produce(0), produce(1)]);
      producing = false;
      await Promise.all(consumers);
      assert.deepEqual([...delivered].filter(([, count]) => count > 1), [], 'no item delivered twice');
      const missing = [0, 1].flatMap((producer) => Array.from({ length: itemsPerProducer }, (_, item) => `p${producer}-${item}`)).filter((item) => !delivered.has(item));
      assert.deepEqual(missing, [], 'no item lost');
      assert.deepEqual((await admin.getChildren('/queues/work')).children, [], 'the queue is empty');
    });
  });

  describe('NodeCache', () => {
    it('follows a node through creation, changes and deletion', async () => {
      const cache = new NodeCache(await connect(), '/cached');
      await cache.start();
      assert.equal(cache.current, null);
      const created = next<unknown>(cache, 'change');
      await admin.create('/cached', 'one');
      await created;
      assert.equal(text(cache.current!.data), 'one');
      for (const value of ['two', 'three']) {
        const changed = next<unknown>(cache, 'change');
        await admin.setData('/cached', value);
        await changed;
        assert.equal(text(cache.current!.data), value);
      }
      const deleted = next<unknown>(cache, 'change');
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
      const added = next<string[]>(cache, 'change');
      await admin.create('/kids/b');
      assert.deepEqual(await added, ['b']);
      const more = next<string[]>(cache, 'change');
      await admin.create('/kids/a');
      assert.deepEqual(await more, ['a', 'b']);
      const fewer = next<string[]>(cache, 'change');
      await admin.delete('/kids/b');
      assert.deepEqual(await fewer, ['a']);
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
      const initialized = next<void>(cache, 'initialized');
      await cache.start();
      await initialized;
      assert.deepEqual(events.sort(), ['nodeAdded /tree ', 'nodeAdded /tree/a a0', 'nodeAdded /tree/b b0']);
      events.length = 0;
      await admin.create('/tree/a/x');
      await admin.create('/tree/a/x/y', 'deep');
      await admin.setData('/tree/a/x/y', 'deeper');
      await admin.setData('/tree/b', 'b1');
      await admin.delete('/tree/a/x/y');
      await admin.create('/tree/a/x/w', 'w0');
      await waitUntil(async () => (await cache.idle(), cached(cache).join('\n') === (await walk(admin, '/tree')).join('\n')), 'the cache to match the tree');
      assert.ok(events.includes('nodeAdded /tree/a/x/w w0'), events.join('\n'));
      assert.ok(events.includes('nodeUpdated /tree/b b1'), events.join('\n'));
      assert.equal(cache.get('/tree/a/x/y'), undefined);
      assert.deepEqual(cache.children('/tree/a/x'), ['w']);
      await cache.stop();
    });

    it('re-syncs after a connection cut: changes made while disconnected show up, later ones still fire', async () => {
      await admin.create('/synced');
      for (const name of ['keep', 'change', 'drop']) await admin.create(`/synced/${name}`, `${name}0`);
      const through = await proxy();
      const client = await connect({ via: through });
      const cache = new TreeCache(client, '/synced');
      await cache.start();
      const removed: string[] = [];
      cache.on('nodeRemoved', (path) => removed.push(path));
      const reconnected = next<void>(client, 'connected', 8000);
      through.refuse(true);
      through.cut();
      await admin.setData('/synced/change', 'change1');
      await admin.delete('/synced/drop');
      await admin.create('/synced/new', 'new0');
      through.refuse(false);
      await reconnected;
      const expected = (await walk(admin, '/synced')).join('\n');
      await waitUntil(async () => (await cache.idle(), cached(cache).join('\n') === expected), 'the cache to match a fresh walk');
      assert.deepEqual(removed, ['/synced/drop']);
      const updated = next<string>(cache, 'nodeUpdated');
      await admin.setData('/synced/keep', 'keep1');
      assert.equal(await updated, '/synced/keep', 'the persistent watch was registered again');
      await cache.stop();
    });
  });

  describe('ServiceDiscovery', () => {
    const instance = (name: string, id: string, port: number): ServiceInstance => ({ name, id, address: '10.0.0.1', port, payload: { zone: 'a' } });

    it('registers, queries and watches instances; an instance goes with its session', () => serviceDiscoveryLifecycle(() => connect()));

    it('re-registers on a new session after its session expires', async () => {
      const through = await proxy();
      const discovery = new ServiceDiscovery(await connect({ via: through }), { basePath: '/renewing', newClient: () => connect({ via: through }) });
      await discovery.register(instance('web', 'web-1', 80));
      const expiredSession = discovery.session.client.sessionId;
      await expire(discovery.session.client, through);
      await waitUntil(async () => (await admin.exists('/renewing/web/web-1'))?.ephemeralOwner === discovery.session.client.sessionId, 're-registration', 8000);
      assert.notEqual(discovery.session.client.sessionId, expiredSession);
      assert.deepEqual(await discovery.queryForInstances('web'), [instance('web', 'web-1', 80)]);
      await discovery.close();
      assert.equal(await admin.exists('/renewing/web/web-1'), null);
    });
  });

  describe('GroupMembership', () => {
    it('a member is refused a taken id, and leaves when its session ends; watchers see it', async () => {
      const group = new GroupMembership(admin, '/groups/api');
      const watcher = await group.watch();
      const other = await connect();
      const joined = next<string[]>(watcher, 'change');
      await new GroupMembership(other, '/groups/api').join('worker-1', 'host:1234');
      assert.deepEqual(await joined, ['worker-1']);
      assert.equal(text((await admin.getData('/groups/api/worker-1')).data), 'host:1234');
      await assert.rejects(group.join('worker-1'), { name: 'NodeExistsError' });
      const second = next<string[]>(watcher, 'change');
      await group.join('worker-2');
      assert.deepEqual(await second, ['worker-1', 'worker-2']);
      const left = next<string[]>(watcher, 'change');
      await other.close();
      assert.deepEqual(await left, ['worker-2']);
      const gone = next<string[]>(watcher, 'change');
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

      const recreated = next<string>(node, 'created');
      await admin.delete('/kept/node');
      assert.equal(await recreated, '/kept/node');
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, firstSession);

      const afterExpiry = next<string>(node, 'created', 8000);
      await expire(node.client, through);
      await afterExpiry;
      assert.notEqual(node.client.sessionId, firstSession);
      assert.equal((await admin.exists('/kept/node'))?.ephemeralOwner, node.client.sessionId, 'owned by the new session');
      assert.equal(text((await admin.getData('/kept/node')).data), 'here');

      await node.close();
      assert.equal(await admin.exists('/kept/node'), null);
    });
  });
});
