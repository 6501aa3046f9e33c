// NodeCache, ChildrenCache and GroupMembership against a real Meerkat server.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZooKeeperClient } from '../../src/client/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { ChildrenCache, GroupMembership, NodeCache } from '../../src/recipes/index.js';

/** The next event of `name`, bounded. */
async function next<T>(emitter: NodeJS.EventEmitter, name: string, ms = 5000): Promise<T> {
  const [value] = (await once(emitter, name, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
}

describe('recipes: caches and group membership', () => {
  let server: RunningServer;
  let client: ZooKeeperClient;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-recipes-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    client = await ZooKeeperClient.connect(server.connectString, { sessionTimeoutMs: 10_000 });
  });

  after(async () => {
    await client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('NodeCache follows a node through creation, every change and deletion', async () => {
    const cache = new NodeCache(client, '/cached');
    await cache.start();
    assert.equal(cache.current, null);
    const created = next<unknown>(cache, 'change');
    await client.create('/cached', 'one');
    await created;
    assert.equal(Buffer.from(cache.current!.data).toString(), 'one');
    for (const value of ['two', 'three']) {
      const changed = next<unknown>(cache, 'change');
      await client.setData('/cached', value);
      await changed;
      assert.equal(Buffer.from(cache.current!.data).toString(), value);
    }
    const deleted = next<unknown>(cache, 'change');
    await client.delete('/cached');
    assert.equal(await deleted, null);
    cache.stop();
  });

  it('ChildrenCache keeps the sorted child list', async () => {
    await client.create('/kids');
    const cache = new ChildrenCache(client, '/kids');
    await cache.start();
    assert.deepEqual(cache.current, []);
    const added = next<string[]>(cache, 'change');
    await client.create('/kids/b');
    assert.deepEqual(await added, ['b']);
    const more = next<string[]>(cache, 'change');
    await client.create('/kids/a');
    assert.deepEqual(await more, ['a', 'b']);
    cache.stop();
  });

  it('a member leaves the group when its session ends, and watchers see it', async () => {
    const group = new GroupMembership(client, '/services/api');
    const watcher = await group.watch();
    const other = await ZooKeeperClient.connect(server.connectString, { sessionTimeoutMs: 10_000 });
    const joined = next<string[]>(watcher, 'change');
    await new GroupMembership(other, '/services/api').join('worker-1', 'host:1234');
    assert.deepEqual(await joined, ['worker-1']);
    await assert.rejects(new GroupMembership(client, '/services/api').join('worker-1'), { name: 'NodeExistsError' });
    const left = next<string[]>(watcher, 'change');
    await other.close();
    assert.deepEqual(await left, []);
    assert.deepEqual(await group.members(), []);
    watcher.stop();
  });
});
