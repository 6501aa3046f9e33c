// A 3-member ensemble of real `meerkat start` processes on 127.0.0.1 (runtime/cluster.ts), driven by
// our client and by node-zookeeper-client: what users of a ZooKeeper ensemble rely on — one history
// whatever member a client talks to, sync, watches across members, sessions that move and expire
// everywhere, failover after kill -9 with no acknowledged write lost, and members that catch up by
// DIFF and by SNAP. Every test ends with every running member's tree equal.

import { after, before, describe, it } from 'node:test';
import { closeSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ZooKeeperClient } from '../../src/client/index.js';
import { CreateMode, ErrorCode, OpCode } from '../../src/proto/index.js';
import { type Cluster, type ClusterMember, startCluster } from '../../src/runtime/index.js';
import { NodeZkClient } from '../helpers/node-zk-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { sleep, waitUntil, within } from '../helpers/waits.js';

const tickTimeMs = 200;
const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const clients: ZooKeeperClient[] = [];

async function connect(target: ClusterMember | string, options: Parameters<typeof ZooKeeperClient.connect>[1] = {}): Promise<ZooKeeperClient> {
  const connectString = typeof target === 'string' ? target : target.connectString;
  const client = await within(ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 4000, ...options }), 10_000, `connect to ${connectString}`);
  clients.push(client);
  return client;
}

/** Every node's path, data and stat as one member serves them, after syncing it with the leader. */
async function treeOf(member: ClusterMember): Promise<string> {
  const client = await connect(member);
  try {
    await client.sync('/');
    const lines: string[] = [];
    const pending = ['/'];
    while (pending.length > 0) {
      const path = pending.pop()!;
      const { data, stat } = await client.getData(path);
      lines.push(`${path} ${data === null ? 'null' : Buffer.from(data).toString('hex')} ${JSON.stringify(stat, (_key, value: unknown) => typeof value === 'bigint' ? value.toString(16) : value)}`);
      const { children } = await client.getChildren(path);
      for (const child of children) pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
    }
    return lines.sort().join('\n');
  } finally {
    await client.close();
  }
}

async function assertTreesEqual(cluster: Cluster): Promise<void> {
  const running = cluster.members.filter((member) => member.alive());
  const trees = await Promise.all(running.map((member) => treeOf(member)));
  for (const [index, tree] of trees.entries()) assert.equal(tree, trees[0], `member ${running[index]!.id}'s tree differs from member ${running[0]!.id}'s`);
}

function followers(cluster: Cluster): ClusterMember[] {
  return cluster.members.filter((member) => member.alive() && member.state === 'follower');
}

describe('a 3-member ensemble of real processes', { timeout: 240_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ size: 3, tickTimeMs, config: { snapCount: '200' } });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await cluster?.stop();
  });

  it('gives clients on different members one history, and a write through one is read on another after sync', async () => {
    const [first, second] = followers(cluster);
    const a = await connect(first!);
    const b = await connect(second!);
    const c = await connect(cluster.leader()!);
    await a.create('/history', Buffer.from('0'));
    for (let i = 1; i <= 30; i++) await [a, b, c][i % 3]!.setData('/history', Buffer.from(String(i)));
    for (const client of [a, b, c]) {
      await client.sync('/history');
      const { data, stat } = await client.getData('/history');
      assert.equal(Buffer.from(data!).toString(), '30');
      assert.equal(stat.version, 30);
    }
    await assertTreesEqual(cluster);
  });

  it('fires a watch on a follower for a write made through another member', async () => {
    const [first, second] = followers(cluster);
    const watcher = await connect(first!);
    const writer = await connect(second!);
    await writer.create('/watched', Buffer.from('a'));
    await watcher.sync('/watched');
    const fired = new Promise<string>((resolve) => {
      void watcher.getData('/watched', { watch: (event) => resolve(`${event.type} ${event.path}`) });
    });
    await sleep(50);
    await writer.setData('/watched', Buffer.from('b'));
    assert.equal(await within(fired, 5000, 'the watch event'), 'nodeDataChanged /watched');
  });

  it('keeps sequential names unique across members', async () => {
    const members = cluster.members.filter((member) => member.alive());
    const sessions = await Promise.all(members.map((member) => connect(member)));
    await sessions[0]!.create('/seq');
    const names = await Promise.all(sessions.flatMap((client) => Array.from({ length: 10 }, () => client.create('/seq/n-', null, { mode: 'persistentSequential' }))));
    assert.equal(new Set(names.map((result) => result.path)).size, names.length);
    await assertTreesEqual(cluster);
  });

  it('moves a session to another member with its ephemerals; once it expires they vanish everywhere', async () => {
    const [first, second] = followers(cluster);
    const address = (member: ClusterMember): { host: string; port: number } => ({ host: '127.0.0.1', port: member.clientPort });
    const owner = await RawClient.connect({ ...address(first!), sessionTimeoutMs: 2000 });
    const created = await owner.request({ type: OpCode.create, path: '/eph', data: Buffer.from('x'), acl: openAcl, flags: CreateMode.ephemeral });
    assert.equal(created.header.err, 0);
    const moved = await RawClient.connect({ ...address(second!), sessionTimeoutMs: 2000, sessionId: owner.sessionId, password: owner.password });
    assert.equal(moved.sessionId, owner.sessionId);
    const ephemerals = await moved.request({ type: OpCode.getEphemerals, prefixPath: '/' });
    assert.deepEqual(ephemerals.response?.type === OpCode.getEphemerals ? ephemerals.response.ephemerals : null, ['/eph']);
    // Both connections drop without closeSession: nothing reports the session to the leader any
    // more, so the leader expires it and its ephemeral goes from every member.
    owner.destroy();
    moved.destroy();
    const observer = await connect(cluster.leader()!);
    await waitUntil(async () => (await observer.exists('/eph')) === null, 'the expired session\'s ephemeral goes', 15_000);
    await assertTreesEqual(cluster);
  });

  it('loses no acknowledged write when the leader is killed -9 under a write load, and a new leader serves writes', async () => {
    // The writers' members survive; their writes go through the leader that is killed.
    const survivors = cluster.members.filter((member) => member !== cluster.leader()).map((member) => member.connectString).join(',');
    const writers = await Promise.all([1, 2, 3].map(() => connect(survivors)));
    await writers[0]!.create('/load');
    const acknowledged: string[] = [];
    let running = true;
    const loops = writers.map(async (client, index) => {
      for (let i = 0; running && i < 2000; i++) {
        const path = `/load/w${index}-${i}`;
        try {
          await client.create(path, null, { retry: false });
          acknowledged.push(path);
        } catch {
          await sleep(20);
        }
      }
    });
    await sleep(500);
    const old = cluster.leader()!;
    const killedAt = Date.now();
    await old.kill();
    const next = await cluster.waitForQuorum(15_000);
    assert.notEqual(next.id, old.id);
    const failoverMs = Date.now() - killedAt;
    await sleep(500);
    running = false;
    await Promise.all(loops);
    const reader = await connect(next);
    await reader.sync('/load');
    const present = new Set((await reader.getChildren('/load')).children.map((name) => `/load/${name}`));
    const lost = acknowledged.filter((path) => !present.has(path));
    assert.deepEqual(lost, [], `acknowledged writes lost after the leader's kill -9 (${acknowledged.length} acknowledged, failover ${failoverMs} ms)`);
    assert.ok(acknowledged.length > 50, `only ${acknowledged.length} writes acknowledged`);
    await old.restart();
    await cluster.waitForQuorum(15_000);
    await assertTreesEqual(cluster);
  });

  it('fails node-zookeeper-client over to another member when its member is killed', async () => {
    const victim = followers(cluster)[0]!;
    const others = cluster.members.filter((member) => member !== victim).map((member) => member.connectString);
    const client = await NodeZkClient.connect([victim.connectString, ...others].join(','), { sessionTimeoutMs: 6000 });
    try {
      await client.create('/nzk', Buffer.from('1'));
      await victim.kill();
      await waitUntil(async () => {
        try {
          await client.setData('/nzk', Buffer.from('2'));
          return true;
        } catch {
          return false;
        }
      }, 'a write after failover', 15_000);
      const { data } = await client.getData('/nzk');
      assert.equal(Buffer.from(data!).toString(), '2');
    } finally {
      client.close();
    }
    await victim.restart();
    await cluster.waitForQuorum(15_000);
  });

  it('rejoins a member restarted with a torn record at the end of its log', async () => {
    const writer = await connect(cluster.leader()!);
    await writer.create('/torn');
    const member = followers(cluster)[0]!;
    for (let i = 0; i < 10; i++) await writer.create(`/torn/t${i}`);
    await member.kill();
    const logDir = join(member.dataDir, 'version-2');
    const newest = join(logDir, readdirSync(logDir).filter((name) => name.startsWith('log.')).sort().pop()!);
    // The file is preallocated with zeros; its records end with the last non-zero byte (a record's
    // 0x42 end marker). Part of a record there is what a crash in the middle of an append leaves.
    const bytes = readFileSync(newest);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    const file = openSync(newest, 'r+');
    writeSync(file, Buffer.from([0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x40, 0xde, 0xad, 0xbe]), 0, 11, end);
    closeSync(file);
    await member.restart();
    assert.match(member.log(), /torn|truncat/i, 'recovery reports the torn tail it cut');
    await cluster.waitForQuorum(15_000);
    for (let i = 10; i < 20; i++) await writer.create(`/torn/t${i}`);
    await assertTreesEqual(cluster);
  });

  it('catches a member up by DIFF after a short absence and by SNAP after more than snapCount writes', async () => {
    const writer = await connect(cluster.leader()!);
    await writer.create('/catchup');
    for (const count of [20, 600]) {
      const absent = followers(cluster)[0]!;
      await absent.kill();
      for (let i = 0; i < count; i++) await writer.create(`/catchup/c${count}-${i}`, Buffer.from('v'));
      await absent.restart();
      await cluster.waitForQuorum(15_000);
      await assertTreesEqual(cluster);
    }
  });
});

describe('a follower down for 10^5 writes', { timeout: 180_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ size: 3, tickTimeMs });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('catches up by SNAP (past the leader\'s 10^4-txn DIFF window) and serves the same 10^5 znodes', async () => {
    const absent = followers(cluster)[0]!;
    const writer = await connect(cluster.leader()!);
    await writer.create('/big');
    await absent.kill();
    const total = 100_000;
    const batch = 2000;
    for (let start = 0; start < total; start += batch) {
      await Promise.all(Array.from({ length: batch }, (_, index) => writer.create(`/big/n${start + index}`, Buffer.from('v'))));
    }
    await absent.restart();
    await cluster.waitForQuorum(30_000);
    const reader = await connect(absent);
    await reader.sync('/big');
    assert.equal(await reader.getAllChildrenNumber('/big'), total);
    const sample = await reader.getData(`/big/n${total - 1}`);
    assert.equal(Buffer.from(sample.data!).toString(), 'v');
    const expected = await writer.getData(`/big/n${total - 1}`);
    assert.deepEqual(sample.stat, expected.stat);
  });
});

describe('read-only mode (readonlymode.enabled) on a member cut off from its quorum', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ size: 3, tickTimeMs, config: { 'readonlymode.enabled': 'true' } });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('serves reads to clients that allow it, refuses writes with NOTREADONLY, and returns to read-write with the quorum', async () => {
    const writer = await connect(cluster.connectString);
    await writer.create('/ro', Buffer.from('before'));
    await writer.close();
    const [survivor, ...others] = cluster.members;
    for (const member of others) await member.kill();
    await waitUntil(() => survivor!.state === 'looking', 'the survivor loses its quorum', 10_000);
    const address = { host: '127.0.0.1', port: survivor!.clientPort };
    const reader = await RawClient.connect({ ...address, readOnly: true });
    assert.equal(reader.session.readOnly, true, 'a read-only session');
    const read = await reader.request({ type: OpCode.getData, path: '/ro', watch: false });
    assert.equal(read.response?.type === OpCode.getData ? Buffer.from(read.response.data!).toString() : null, 'before');
    const write = await reader.request({ type: OpCode.create, path: '/ro2', data: null, acl: openAcl, flags: CreateMode.persistent });
    assert.equal(write.header.err, ErrorCode.notReadOnly);
    await assert.rejects(RawClient.connect({ ...address, readOnly: false }), 'a client that does not allow read-only is refused');
    for (const member of others) await member.restart();
    await cluster.waitForQuorum(15_000);
    await within(reader.closed, 10_000, 'the read-only session ends once the member has a quorum again');
    const again = await connect(survivor!);
    await again.create('/ro2');
    assert.ok((await again.exists('/ro2')) !== null);
  });
});

describe('a 5-member ensemble with an observer', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ size: 5, observers: 1, tickTimeMs });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('takes writes through the observer, survives two members killed (the leader among them), and ends with equal trees', async () => {
    const observer = cluster.members.find((member) => member.role === 'observer')!;
    assert.equal(observer.state, 'observer');
    const client = await connect(observer);
    await client.create('/five');
    for (let i = 0; i < 20; i++) await client.create(`/five/a${i}`);
    const leader = cluster.leader()!;
    const follower = followers(cluster)[0]!;
    await leader.kill();
    await follower.kill();
    const next = await cluster.waitForQuorum(15_000);
    assert.notEqual(next.id, leader.id);
    const again = await connect(observer);
    for (let i = 0; i < 20; i++) await again.create(`/five/b${i}`);
    await leader.restart();
    await follower.restart();
    await cluster.waitForQuorum(15_000);
    const reader = await connect(leader);
    await reader.sync('/five');
    assert.equal((await reader.getChildren('/five')).children.length, 40);
    await assertTreesEqual(cluster);
  });
});
