// Data-directory interop with Apache ZooKeeper 3.8, both ways: Meerkat starts on a data directory
// ZooKeeper wrote (several log files and snapshots, every node type, ACLs, sessions) and serves the
// identical tree; ZooKeeper starts on one Meerkat wrote and serves the identical tree (also one where
// Meerkat never reached its first regular snapshot: it writes one at start-up); and ZooKeeper's own
// TxnLogToolkit and SnapshotFormatter read Meerkat's files. A Meerkat directory holds the start-up
// snapshot besides the regular ones, so tests that want "the" snapshot take the newest.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZooKeeperClient } from '../../src/client/index.js';
import { type Acl, CreateMode, OpCode } from '../../src/proto/index.js';
import { startServer } from '../../src/runtime/index.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { recover } from '../../src/storage/index.js';
import { DataTree } from '../../src/tree/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { dumpTree } from '../helpers/tree-dump.js';
import { referenceJars, referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const empty = new Uint8Array(0);

/**
 * Writes a varied tree: every node type, ACLs, sequential names, data of several sizes, deletes, and
 * nodes with no data (null, which both servers keep apart from empty data) early, so snapshots hold
 * them, and late, so only the log does.
 */
async function populate(client: RawClient): Promise<void> {
  const request = async (req: Parameters<RawClient['request']>[0]): Promise<void> => {
    const reply = await client.request(req);
    assert.equal(reply.header.err, 0, JSON.stringify(req, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  };
  await request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('carol:pw') });
  await request({ type: OpCode.create, path: '/app', data: Buffer.from('config-v1'), acl: open, flags: 0 });
  await request({ type: OpCode.create, path: '/no-data', data: null, acl: open, flags: 0 });
  await request({ type: OpCode.create, path: '/emptied', data: Buffer.from('x'), acl: open, flags: 0 });
  await request({ type: OpCode.setData, path: '/emptied', data: null, version: 0 });
  for (let i = 0; i < 30; i++) {
    await request({ type: OpCode.create, path: '/app/item-', data: Buffer.alloc(i * 10, i), acl: open, flags: CreateMode.persistentSequential });
  }
  await request({ type: OpCode.setData, path: '/app', data: Buffer.from('config-v2'), version: 0 });
  await request({ type: OpCode.delete, path: '/app/item-0000000003', version: -1 });
  await request({ type: OpCode.create, path: '/private', data: Buffer.from('p'), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 });
  await request({ type: OpCode.setACL, path: '/private', acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }, { perms: 1, id: { scheme: 'world', id: 'anyone' } }], version: 0 });
  await request({ type: OpCode.create, path: '/session-node', data: empty, acl: open, flags: CreateMode.ephemeral });
  await request({ type: OpCode.createContainer, path: '/box', data: empty, acl: open, flags: CreateMode.container });
  await request({ type: OpCode.create, path: '/box/inside', data: empty, acl: open, flags: 0 });
  await request({ type: OpCode.createTTL, path: '/ttl', data: empty, acl: open, flags: CreateMode.persistentWithTtl, ttl: 3_600_000 });
  await request({
    type: OpCode.multi,
    ops: [
      { type: OpCode.create, path: '/multi', data: Buffer.from('m'), acl: open, flags: 0 },
      { type: OpCode.setData, path: '/multi', data: Buffer.from('m2'), version: 0 },
      { type: OpCode.create, path: '/multi/none', data: null, acl: open, flags: 0 },
    ],
  });
  await request({ type: OpCode.createContainer, path: '/box/none', data: null, acl: open, flags: CreateMode.container });
  await request({ type: OpCode.createTTL, path: '/ttl-none', data: null, acl: open, flags: CreateMode.persistentWithTtl, ttl: 3_600_000 });
  await request({ type: OpCode.setData, path: '/app', data: null, version: 1 });
  await request({ type: OpCode.create, path: '/empty', data: empty, acl: open, flags: 0 });
}

/** The snapshot with the highest zxid in a version-2 directory (compressed ones excluded). */
function newestSnapshot(names: readonly string[]): string {
  const snapshots = names.filter((name) => /^snapshot\.[0-9a-f]+$/.test(name));
  assert.ok(snapshots.length > 0, `a snapshot: ${names.join(' ')}`);
  const zxid = (name: string): bigint => BigInt(`0x${name.slice('snapshot.'.length)}`);
  return snapshots.reduce((newest, name) => (zxid(name) > zxid(newest) ? name : newest));
}

async function dumpOf(host: string, port: number): Promise<Awaited<ReturnType<typeof dumpTree>>> {
  const client = await RawClient.connect({ host, port });
  await client.request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('carol:pw') });
  try {
    return await dumpTree(client);
  } finally {
    client.destroy();
  }
}

/** The tree populate() wrote keeps null data apart from empty data. */
function assertNoDataKept(dump: Awaited<ReturnType<typeof dumpTree>>): void {
  for (const path of ['/no-data', '/emptied', '/multi/none', '/box/none', '/ttl-none', '/app']) {
    assert.equal(dump[path]?.data, null, `${path} has no data`);
    assert.equal(dump[path]?.stat.dataLength, 0, path);
  }
  assert.equal(dump['/empty']?.data, '', '/empty has empty data');
}

describe('data directory interop with Apache ZooKeeper 3.8', { skip: referenceSkipReason(), timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-interop-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('Meerkat serves the identical tree from a data directory ZooKeeper wrote', async () => {
    const dataDir = tempDir();
    const zk = await startReferenceZooKeeper({ dataDir, config: { snapCount: '10' } });
    let expected;
    try {
      const client = await RawClient.connect({ host: zk.host, port: zk.port });
      await populate(client);
      expected = await dumpOf(zk.host, zk.port);
      assertNoDataKept(expected);
      client.destroy();
    } finally {
      await zk.stop();
    }
    const files = readdirSync(join(dataDir, 'version-2'));
    assert.ok(files.filter((name) => name.startsWith('log.')).length >= 2, `several log files: ${files.join(' ')}`);
    assert.ok(files.some((name) => name.startsWith('snapshot.')), `a snapshot: ${files.join(' ')}`);
    // The tree digest Meerkat computes (null data included) is the one ZooKeeper logged with each txn.
    const warnings: string[] = [];
    const recovered = await recover({
      fs: new NodeFileSystem(), dataDir, dataLogDir: dataDir, warn: (message) => void warnings.push(message),
      createTree: (withSystemNodes) => new DataTree({ withSystemNodes }),
    });
    // ZooKeeper snapshots at a random count in [snapCount/2, snapCount): its last snapshot may fall on
    // the last txn, leaving nothing to replay, so only the snapshot is certain.
    assert.ok(recovered.snapshotFile !== null, 'a snapshot (and the log after it, unless the snapshot fell on the last txn)');
    assert.equal(recovered.digestMismatches, 0, warnings.join('; '));
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    try {
      assert.deepEqual(await dumpOf(server.host, server.port), expected);
    } finally {
      await server.close();
    }
  });

  it('ZooKeeper serves the identical tree from a data directory Meerkat wrote', async () => {
    const dataDir = tempDir();
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { snapCount: 10, preAllocBytes: 64 * 1024 } });
    let expected;
    try {
      const client = await RawClient.connect({ host: server.host, port: server.port });
      await populate(client);
      expected = await dumpOf(server.host, server.port);
      assertNoDataKept(expected);
      client.destroy();
    } finally {
      await server.close();
    }
    const files = readdirSync(join(dataDir, 'version-2'));
    assert.ok(files.filter((name) => name.startsWith('log.')).length >= 2, `several log files: ${files.join(' ')}`);
    assert.ok(files.some((name) => /^snapshot\.[0-9a-f]+$/.test(name)), `a snapshot: ${files.join(' ')}`);
    const zk = await startReferenceZooKeeper({ dataDir });
    try {
      assert.deepEqual(await dumpOf(zk.host, zk.port), expected);
    } finally {
      await zk.stop();
    }
  });

  it('ZooKeeper starts on a data directory Meerkat created, before its first regular snapshot, and serves its znodes', async () => {
    const dataDir = tempDir();
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    const written = [['/started', 'on an empty directory'], ['/started/child', 'one'], ['/other', 'two']] as const;
    try {
      const client = await ZooKeeperClient.connect(server.connectString, { sessionTimeoutMs: 10_000 });
      try {
        for (const [path, data] of written) await client.create(path, data);
        await client.setData('/other', 'three');
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
    }
    const files = readdirSync(join(dataDir, 'version-2'));
    assert.deepEqual(files.filter((name) => name.startsWith('snapshot.')), ['snapshot.0'], 'only the start-up snapshot');
    assert.ok(files.some((name) => name.startsWith('log.')), `a log: ${files.join(' ')}`);
    const zk = await startReferenceZooKeeper({ dataDir });
    try {
      const client = await ZooKeeperClient.connect(zk.connectString, { sessionTimeoutMs: 10_000 });
      try {
        const text = async (path: string): Promise<string> => Buffer.from((await client.getData(path)).data!).toString();
        assert.deepEqual(
          await Promise.all(['/started', '/started/child', '/other'].map(text)),
          ['on an empty directory', 'one', 'three'],
        );
        assert.deepEqual((await client.getChildren('/started')).children, ['child']);
      } finally {
        await client.close();
      }
    } finally {
      await zk.stop();
    }
  });

  it("ZooKeeper's TxnLogToolkit and SnapshotFormatter read Meerkat's files", async () => {
    const dataDir = tempDir();
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { snapCount: 10, preAllocBytes: 64 * 1024 } });
    try {
      const client = await RawClient.connect({ host: server.host, port: server.port });
      await populate(client);
      client.destroy();
    } finally {
      await server.close();
    }
    const versionDir = join(dataDir, 'version-2');
    const names = readdirSync(versionDir);
    const java = (mainClass: string, file: string): string =>
      execFileSync('java', ['-cp', `${referenceJars.server}`, mainClass, file], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const firstLog = names.filter((name) => name.startsWith('log.')).sort()[0]!;
    const logText = java('org.apache.zookeeper.server.persistence.TxnLogToolkit', join(versionDir, firstLog));
    assert.match(logText, /createSession/);
    assert.match(logText, /create/);
    const snapshot = newestSnapshot(names);
    const snapText = java('org.apache.zookeeper.server.SnapshotFormatter', join(versionDir, snapshot));
    assert.match(snapText, /\/app/);
    assert.match(snapText, /Session Details/);
  });
});
