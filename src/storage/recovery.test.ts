import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { type Acl, OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import { DataTree, applyTxn, parentOf } from '../tree/index.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { type RecoveredState, recover } from './recovery.js';
import { loadSnapshot } from './snapshot-reader.js';
import { serializeSnapshot } from './snapshot-writer.js';
import { BadFileError } from './storage-errors.js';
import { TxnLog } from './txn-log.js';

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** Run from the repository root (as npm test does): the fixture is not copied into dist/. */
const zookeeperDir = join(process.cwd(), 'src/storage/testdata/zookeeper-3.8/version-2');
const epoch = 0x1_0000_0000;

async function recoverFrom(fs: MemoryFileSystem, warnings: string[] = [], dataDir = '/data'): Promise<RecoveredState<unknown>> {
  return recover({
    fs, dataDir, dataLogDir: dataDir, writeInitialSnapshot: true, createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: (message) => void warnings.push(message),
  });
}

async function zookeeperDataDir(without: string[] = []): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  for (const name of readdirSync(zookeeperDir)) {
    if (!without.includes(name)) await fs.writeFileAtomic(`/zk/version-2/${name}`, readFileSync(join(zookeeperDir, name)));
  }
  return fs;
}

function assertSameTree(actual: DataTree<unknown>, expected: DataTree<unknown>): void {
  const paths = (tree: DataTree<unknown>): string[] => [...tree.entries()].map(([path]) => path).sort();
  assert.deepEqual(paths(actual), paths(expected));
  for (const [path, node] of expected.entries()) {
    const copy = actual.getNode(path)!;
    assert.deepEqual(actual.statOf(copy), expected.statOf(node), path);
    assert.deepEqual(copy.data && Buffer.from(copy.data), node.data && Buffer.from(node.data), path);
    assert.deepEqual(copy.acl, node.acl, path);
  }
  assert.equal(actual.digest(), expected.digest());
}

/** A little server: applies each txn to its tree and logs it, one batch per call. */
class Writer {
  readonly tree = new DataTree();
  readonly log: TxnLog;
  private zxid = epoch;
  private creates = 0;

  constructor(readonly fs: MemoryFileSystem) {
    this.log = new TxnLog({ fs, dir: '/data/version-2', preAllocBytes: 4096, forceSync: true });
  }

  async batch(txns: Array<{ txn: Txn; sessionId?: bigint }>): Promise<void> {
    for (const { txn, sessionId } of txns) {
      const header: TxnHeader = { sessionId: sessionId ?? 1n, cxid: 0, zxid: ++this.zxid, time: 5000 + this.zxid % 1000, type: txn.type };
      applyTxn(this.tree, header, txn);
      this.log.append(header, txn, { version: 2, treeDigest: this.tree.digest() });
    }
    await this.log.flush();
  }

  create(path: string, data = 'd'): { txn: Txn } {
    return { txn: { type: OpCode.create, path, data: Buffer.from(data), acl: open, ephemeral: false, parentCVersion: ++this.creates } };
  }
}

describe('recovery', () => {
  it('starts on the data directory ZooKeeper 3.8 wrote: newest snapshot, then its logs', async () => {
    const fs = await zookeeperDataDir();
    const state = await recoverFrom(fs, [], '/zk');
    assert.equal(state.snapshotFile, '/zk/version-2/snapshot.1a');
    assert.equal(state.lastZxid, 0x21);
    assert.equal(state.txnsReplayed, 0x21 - 0x1a);
    const data = (path: string): string | undefined => {
      const node = state.tree.getNode(path);
      return node === undefined ? undefined : Buffer.from(node.data!).toString();
    };
    assert.deepEqual([data('/app'), data('/multi'), data('/eph'), data('/eph2'), data('/box/in'), data('/never')], ['v8', 'm2', 'e', undefined, undefined, undefined]);
    assert.equal(state.sessions.size, 1, 'the session still open when ZooKeeper stopped');
    assert.deepEqual([...state.tree.getEphemerals([...state.sessions.keys()][0]!)], ['/eph']);
  });

  it('reaches the same tree from any of ZooKeeper\'s snapshots (replay over a fuzzy snapshot is harmless)', async () => {
    const newest = (await recoverFrom(await zookeeperDataDir(), [], '/zk')).tree;
    const fromFuzzy = await recoverFrom(await zookeeperDataDir(['snapshot.1a']), [], '/zk');
    assert.equal(fromFuzzy.snapshotFile, '/zk/version-2/snapshot.c');
    assertSameTree(fromFuzzy.tree, newest);
    const fromEmpty = await recoverFrom(await zookeeperDataDir(['snapshot.1a', 'snapshot.c']), [], '/zk');
    assert.equal(fromEmpty.txnsReplayed, 0x21);
    assertSameTree(fromEmpty.tree, newest);
  });

  it('matches every TxnDigest ZooKeeper logged', async () => {
    const state = await recoverFrom(await zookeeperDataDir(['snapshot.1a', 'snapshot.c']), [], '/zk');
    assert.equal(state.digestMismatches, 0);
  });

  it('writes snapshot.0 of the fresh tree on an empty data directory when asked, as ZooKeeper does', async () => {
    const fs = new MemoryFileSystem();
    const first = await recoverFrom(fs);
    assert.deepEqual([first.lastZxid, first.snapshotFile], [0, null]);
    assert.deepEqual(await fs.list('/data/version-2'), ['snapshot.0']);
    const second = await recoverFrom(fs);
    assert.equal(second.snapshotFile, '/data/version-2/snapshot.0');
    assertSameTree(second.tree, first.tree);
  });

  it('writes a snapshot at the last logged zxid when a data directory holds logs but no snapshot', async () => {
    const fs = await zookeeperDataDir(['snapshot.0', 'snapshot.c', 'snapshot.1a']);
    const first = await recoverFrom(fs, [], '/zk');
    assert.deepEqual([first.snapshotFile, first.txnsReplayed], [null, 0x21]);
    assert.ok((await fs.list('/zk/version-2')).includes('snapshot.21'));
    const second = await recoverFrom(fs, [], '/zk');
    assert.deepEqual([second.snapshotFile, second.txnsReplayed, second.digestMismatches], ['/zk/version-2/snapshot.21', 0, 0]);
    assertSameTree(second.tree, first.tree);
    assert.deepEqual([...second.sessions], [...first.sessions]);
  });

  it('recovers the live tree from a snapshot taken while writes continued, and the logs after it', async () => {
    const fs = new MemoryFileSystem();
    await recoverFrom(fs);
    const writer = new Writer(fs);
    await writer.batch([{ txn: { type: OpCode.createSession, timeOut: 30_000 }, sessionId: 77n }, writer.create('/a'), writer.create('/b')]);
    for (let i = 0; i < 20; i++) await writer.batch([writer.create(`/a/n${i}`, `v${i}`)]);
    const zxid = writer.tree.lastProcessedZxid;
    writer.log.roll();
    const chunks: Uint8Array[] = [];
    let step = 0;
    for (const chunk of serializeSnapshot(writer.tree, { sessions: new Map([[77n, 30_000]]), zxid, nodesPerChunk: 3 })) {
      chunks.push(chunk);
      // Writes land between chunks: on nodes already written, not yet written, and new ones.
      const i = step++;
      await writer.batch([
        { txn: { type: OpCode.setData, path: `/a/n${i % 20}`, data: Buffer.from(`w${i}`), version: 1 } },
        { txn: { type: OpCode.setACL, path: `/a/n${(i + 7) % 20}`, acl: [{ perms: 1 + (i % 30), id: { scheme: 'world', id: 'anyone' } }], version: i + 1 } },
        writer.create(`/b/late${i}`),
        { txn: { type: OpCode.create, path: `/e${i}`, data: Buffer.from('e'), acl: open, ephemeral: true, parentCVersion: 0 }, sessionId: 77n },
      ]);
    }
    await fs.writeFileAtomic(`/data/version-2/snapshot.${zxid.toString(16)}`, Buffer.concat(chunks));
    await writer.batch([{ txn: { type: OpCode.delete, path: '/b/late0' } }, { txn: { type: OpCode.closeSession, paths2Delete: [...writer.tree.getEphemerals(77n)].sort() }, sessionId: 77n }]);
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings);
    assert.equal(state.snapshotFile, `/data/version-2/snapshot.${zxid.toString(16)}`);
    assert.equal(state.lastZxid, writer.tree.lastProcessedZxid);
    assert.deepEqual([...state.sessions], []);
    assertSameTree(state.tree, writer.tree);
    assert.deepEqual([state.digestMismatches, warnings], [0, []]);
  });

  it('raises the parent cversion and pzxid for a replayed create whose node a fuzzy snapshot already holds', async () => {
    const fs = new MemoryFileSystem();
    await recoverFrom(fs);
    const writer = new Writer(fs);
    const create = (path: string, type: typeof OpCode.create | typeof OpCode.create2 = OpCode.create): Txn => ({
      type, path, data: Buffer.from(path), acl: open, ephemeral: false, parentCVersion: writer.tree.getNode(parentOf(path))!.cversion + 1,
    });
    await writer.batch([{ txn: create('/p') }]);
    await writer.batch([{ txn: create('/p/a') }]);
    const zxid = writer.tree.lastProcessedZxid;
    writer.log.roll();
    // As ZooKeeper's snapshots do (Meerkat's own leave out nodes newer than their zxid), this one
    // includes children created after their parent was written: every child the loop below adds.
    const chunks: Uint8Array[] = [];
    for (const chunk of serializeSnapshot(writer.tree, { sessions: new Map(), zxid: Number.MAX_SAFE_INTEGER, nodesPerChunk: 1 })) {
      chunks.push(chunk);
      // '/', the three /zookeeper nodes, then '/p': its stat is now in the snapshot.
      if (chunks.length === 5) {
        await writer.batch([{ txn: create('/p/b') }]);
        await writer.batch([{ txn: create('/p/c', OpCode.create2) }]);
        await writer.batch([{ txn: { type: OpCode.multi, txns: [create('/p/d'), { type: OpCode.setData, path: '/p/a', data: Buffer.from('m'), version: 1 }] } }]);
      }
    }
    const snapshotPath = `/data/version-2/snapshot.${zxid.toString(16)}`;
    await fs.writeFileAtomic(snapshotPath, Buffer.concat(chunks));
    const inSnapshot = new DataTree({ withSystemNodes: false });
    loadSnapshot(snapshotPath, Buffer.concat(chunks), inSnapshot);
    assert.deepEqual(['/p/b', '/p/c', '/p/d'].map((path) => inSnapshot.getNode(path) !== undefined), [true, true, true]);
    assert.deepEqual([inSnapshot.getNode('/p')!.cversion, inSnapshot.getNode('/p')!.pzxid], [1, zxid], 'the snapshot caught /p before its last three children');

    const warnings: string[] = [];
    const fuzzy = await recoverFrom(fs, warnings);
    assert.deepEqual([fuzzy.snapshotFile, fuzzy.txnsReplayed], [snapshotPath, 3]);
    const live = writer.tree.statOf(writer.tree.getNode('/p')!);
    assert.deepEqual([live.cversion, live.pzxid], [4, zxid + 3]);
    assert.deepEqual(fuzzy.tree.statOf(fuzzy.tree.getNode('/p')!), live);
    assertSameTree(fuzzy.tree, writer.tree);
    assert.deepEqual([fuzzy.digestMismatches, warnings], [0, []]);

    await fs.remove(snapshotPath);
    const clean = await recoverFrom(fs);
    assert.deepEqual([clean.snapshotFile, clean.txnsReplayed], ['/data/version-2/snapshot.0', 5]);
    assertSameTree(fuzzy.tree, clean.tree);
  });

  it('falls back to an older snapshot when the newest does not verify, and says so', async () => {
    const fs = new MemoryFileSystem();
    await recoverFrom(fs);
    const writer = new Writer(fs);
    await writer.batch([writer.create('/x'), writer.create('/y')]);
    const zxid = writer.tree.lastProcessedZxid;
    const bytes = Buffer.concat([...serializeSnapshot(writer.tree, { sessions: new Map(), zxid })]);
    bytes[bytes.length - 30]! ^= 0xff;
    await fs.writeFileAtomic(`/data/version-2/snapshot.${zxid.toString(16)}`, bytes);
    await writer.batch([writer.create('/z')]);
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings);
    assert.equal(state.snapshotFile, '/data/version-2/snapshot.0');
    assert.match(warnings.join(), /skipped damaged snapshots: .*snapshot\.100000002/);
    assertSameTree(state.tree, writer.tree);
  });

  it('refuses to start, naming the directory, when no snapshot verifies (never an empty tree)', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/data/version-2/snapshot.5', Buffer.from('not a snapshot at all, just text'));
    await assert.rejects(recoverFrom(fs), (error: unknown) => error instanceof BadFileError && /version-2: no snapshot verifies: .*snapshot\.5: wrong magic/.test(error.message));
  });

  it('truncates a torn batch and keeps logging after it', async () => {
    const fs = new MemoryFileSystem();
    await recoverFrom(fs);
    const writer = new Writer(fs);
    await writer.batch([writer.create('/kept')]);
    const lost = writer.create('/lost').txn;
    // The next batch reaches the file but not the disk: the power fails 40 bytes into it.
    const unsynced = new TxnLog({ fs, dir: '/data/version-2', preAllocBytes: 4096, forceSync: false, lastZxid: epoch + 1 });
    unsynced.append({ sessionId: 1n, cxid: 0, zxid: epoch + 2, time: 1, type: OpCode.create }, lost);
    await unsynced.flush();
    fs.crash(40);
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings);
    assert.equal(state.lastZxid, epoch + 1);
    assert.equal(state.tree.getNode('/lost'), undefined);
    assert.match(warnings.join(), /truncating a torn tail/);
    const log = new TxnLog({ fs, dir: '/data/version-2', preAllocBytes: 4096, forceSync: true, lastZxid: state.lastZxid });
    log.append({ sessionId: 1n, cxid: 0, zxid: epoch + 2, time: 1, type: OpCode.create }, { ...lost, path: '/again' } as Txn);
    await log.flush();
    const again = await recoverFrom(fs);
    assert.deepEqual([again.lastZxid, again.tree.getNode('/again') !== undefined], [epoch + 2, true]);
  });

  it('counts and reports a tree digest that differs from the one logged with a txn', async () => {
    const fs = new MemoryFileSystem();
    await recoverFrom(fs);
    const log = new TxnLog({ fs, dir: '/data/version-2', preAllocBytes: 4096, forceSync: true });
    const txn: Txn = { type: OpCode.create, path: '/d', data: Buffer.from('x'), acl: open, ephemeral: false, parentCVersion: 1 };
    log.append({ sessionId: 1n, cxid: 0, zxid: epoch + 1, time: 1, type: OpCode.create }, txn, { version: 2, treeDigest: 12345n });
    await log.flush();
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings);
    assert.equal(state.digestMismatches, 1);
    assert.match(warnings.join(), /tree digest at zxid 0x100000001 is 0x[0-9a-f]+, its log record says 0x3039/);
  });

  it('reads a gzip-compressed snapshot (snapshot.<zxid>.gz), as ZooKeeper 3.6+ may write', async () => {
    const fs = new MemoryFileSystem();
    const bytes = readFileSync(join(zookeeperDir, 'snapshot.1a'));
    await fs.writeFileAtomic('/zk/version-2/snapshot.1a.gz', gzipSync(bytes));
    for (const name of ['log.1', 'log.e', 'log.1c']) await fs.writeFileAtomic(`/zk/version-2/${name}`, readFileSync(join(zookeeperDir, name)));
    const state = await recoverFrom(fs, [], '/zk');
    assert.deepEqual([state.snapshotFile, state.lastZxid], ['/zk/version-2/snapshot.1a.gz', 0x21]);
  });

  it('names a snappy-compressed snapshot it cannot read, and falls back to an older one', async () => {
    const fs = await zookeeperDataDir(['snapshot.1a']);
    await fs.writeFileAtomic('/zk/version-2/snapshot.1a.snappy', Buffer.from('snappy bytes'));
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings, '/zk');
    assert.equal(state.snapshotFile, '/zk/version-2/snapshot.c');
    assert.match(warnings.join(), /snapshot\.1a\.snappy: snappy-compressed snapshots are not supported/);
  });

  it('removes a snapshot left unfinished by a crash, and never reads it as a snapshot', async () => {
    const fs = await zookeeperDataDir();
    await fs.writeFileAtomic('/zk/version-2/.snapshot.21.tmp', Buffer.from('half a snap'));
    await fs.writeFileAtomic('/zk/version-2/snapshot.22.tmp', Buffer.from('half a snap'));
    const warnings: string[] = [];
    const state = await recoverFrom(fs, warnings, '/zk');
    assert.equal(state.snapshotFile, '/zk/version-2/snapshot.1a');
    assert.equal(warnings.filter((warning) => /removing an unfinished snapshot/.test(warning)).length, 2);
    assert.ok(!(await fs.list('/zk/version-2')).some((name) => name.endsWith('.tmp')));
  });
});
