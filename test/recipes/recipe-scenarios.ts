// Recipe scenarios run by both the Meerkat suites and the Apache ZooKeeper suite
// (reference-zookeeper.test.ts), so the two servers are held to the same assertions.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ZooKeeperClient } from '../../src/client/index.js';
import { Semaphore, ServiceDiscovery, type ServiceInstance } from '../../src/recipes/index.js';
import { sleep, within } from '../helpers/waits.js';

type Connect = () => Promise<ZooKeeperClient>;

/** Contenders on a few sessions take leases in rounds: never more than maxLeases hold, and the pool fills up. */
export async function semaphoreSaturates(connect: Connect, shape: { sessions: number; contenders: number; rounds: number; maxLeases: number; holdMs: number; withinMs: number }): Promise<void> {
  const sessions = await Promise.all(Array.from({ length: shape.sessions }, () => connect()));
  const { maxLeases } = shape;
  let holders = 0;
  let holdersMax = 0;
  await within(Promise.all(Array.from({ length: shape.contenders }, async (_, index) => {
    const semaphore = new Semaphore(sessions[index % sessions.length]!, { path: '/semaphores/pool', maxLeases });
    for (let round = 0; round < shape.rounds; round++) {
      const lease = await semaphore.acquire({ timeoutMs: 10_000 });
      holders++;
      holdersMax = Math.max(holdersMax, holders);
      await sleep(shape.holdMs);
      holders--;
      await lease.release();
    }
  })), shape.withinMs, 'every contender to finish');
  assert.equal(holdersMax, maxLeases);
  assert.equal(await new Semaphore(sessions[0]!, { path: '/semaphores/pool', maxLeases }).leaseCount(), 0);
}

async function nextChange(emitter: NodeJS.EventEmitter): Promise<ServiceInstance[]> {
  const [value] = (await once(emitter, 'change', { signal: AbortSignal.timeout(5000) })) as [ServiceInstance[]];
  return value;
}

/** Register, query, watch; a taken id is refused; an instance goes with its session and on unregister. */
export async function serviceDiscoveryLifecycle(connect: Connect): Promise<void> {
  const instance = (name: string, id: string, port: number): ServiceInstance => ({ name, id, address: '10.0.0.1', port, payload: { zone: 'a' } });
  const discovery = new ServiceDiscovery(await connect(), { basePath: '/services' });
  await discovery.register(instance('api', 'api-1', 8080));
  await discovery.register(instance('db', 'db-1', 5432));
  assert.deepEqual(await discovery.queryForNames(), ['api', 'db']);
  assert.deepEqual(await discovery.queryForInstances('api'), [instance('api', 'api-1', 8080)]);
  assert.deepEqual(await discovery.queryForInstances('cache'), []);

  const observer = new ServiceDiscovery(await connect(), { basePath: '/services' });
  const watcher = await observer.watch('api');
  assert.deepEqual(watcher.current.map((found) => found.id), ['api-1']);

  const otherClient = await connect();
  const joined = nextChange(watcher);
  await new ServiceDiscovery(otherClient, { basePath: '/services' }).register(instance('api', 'api-2', 8081));
  assert.deepEqual((await joined).map((found) => found.id), ['api-1', 'api-2']);
  await assert.rejects(discovery.register(instance('api', 'api-2', 9999)), { name: 'NodeExistsError' });

  const left = nextChange(watcher);
  await otherClient.close();
  assert.deepEqual((await left).map((found) => found.id), ['api-1']);

  const unregistered = nextChange(watcher);
  await discovery.unregister('api', 'api-1');
  assert.deepEqual(await unregistered, []);
  assert.deepEqual(await observer.queryForInstances('api'), []);
  await discovery.close();
  await observer.close();
}
