// Quota stats across snapshots and replay: derived state no txn carries, rebuilt as ZooKeeper 3.8 does
// (stats recomputed from the tree when a snapshot is loaded, then replay adds to them).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Acl, OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import { DataTree, applyTxn, parentOf } from '../tree/index.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { recover } from './recovery.js';
import { loadSnapshot } from './snapshot-reader.js';
import { serializeSnapshot } from './snapshot-writer.js';
import { TxnLog } from './txn-log.js';

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const epoch = 0x1_0000_0000;
const statsPath = (path: string): string => `/zookeeper/quota${path}/zookeeper_stats`;
const limits = 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=100';

/** A little server: applies each txn to its tree and logs it, one batch per call. */
class Writer {
  readonly tree = new DataTree();
  readonly log: TxnLog;
  private zxid = epoch;

  constructor(readonly fs: MemoryFileSystem) {
    this.log = new TxnLog({ fs, dir: '/data/version-2', preAllocBytes: 4096, forceSync: true });
  }

  async batch(txns: Txn[]): Promise<void> {
    for (const txn of txns) {
      const header: TxnHeader = { sessionId: 1n, cxid: 0, zxid: ++this.zxid, time: 5000 + this.zxid % 1000, type: txn.type };
      applyTxn(this.tree, header, txn);
      this.log.append(header, txn, { version: 2, treeDigest: this.tree.digest() });
    }
    await this.log.flush();
  }

  create(path: string, data = ''): Txn {
    const parentCVersion = (this.tree.getNode(parentOf(path))?.cversion ?? 0) + 1;
    return { type: OpCode.create, path, data: Buffer.from(data), acl: open, ephemeral: false, parentCVersion };
  }

  setData(path: string, data: string): Txn {
    return { type: OpCode.setData, path, data: Buffer.from(data), version: (this.tree.getNode(path)?.version ?? 0) + 1 };
  }

  /** zkCli setquota on an existing top-level path, one request at a time. */
  async setQuota(path: string): Promise<void> {
    for (const txn of [`/zookeeper/quota${path}`, `/zookeeper/quota${path}/zookeeper_limits`, statsPath(path)]) {
      await this.batch([this.create(txn, txn.endsWith('limits') ? limits : txn.endsWith('stats') ? 'count=0,bytes=0' : '')]);
    }
  }
}

function text(tree: DataTree, path: string): string | undefined {
  const node = tree.getNode(path);
  return node === undefined ? undefined : Buffer.from(node.data!).toString('utf8');
}

describe('quota stats across snapshots and replay', () => {
  it('are recomputed from the tree when a snapshot is loaded, whatever the snapshot\'s stats node held', async () => {
    const writer = new Writer(new MemoryFileSystem());
    await writer.batch([writer.create('/q', 'ab'), writer.create('/q/x', '123')]);
    await writer.setQuota('/q');
    await writer.batch([writer.setData(statsPath('/q'), 'count=100,bytes=100')]);
    const digestAtSnapshot = writer.tree.digest();
    const bytes = Buffer.concat([...serializeSnapshot(writer.tree, { sessions: new Map(), zxid: writer.tree.lastProcessedZxid })]);
    const loaded = new DataTree({ withSystemNodes: false });
    loadSnapshot('snapshot', bytes, loaded);
    assert.equal(text(loaded, statsPath('/q')), 'count=2,bytes=5');
    assert.deepEqual(loaded.quotas.list(), ['/q']);
    await writer.batch([writer.create('/q/y', 'abcd')]);
    assert.equal(text(writer.tree, statsPath('/q')), 'count=101,bytes=104', 'the live server went on from what the client wrote');
    assert.equal(loaded.digest(), digestAtSnapshot, 'recomputed stats leave the digest alone');
  });

  it('reach the live server\'s stats by replaying the log over a snapshot taken while writes continued', async () => {
    const fs = new MemoryFileSystem();
    await recover({ fs, dataDir: '/data', dataLogDir: '/data', writeInitialSnapshot: true, createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => undefined });
    const writer = new Writer(fs);
    await writer.batch([writer.create('/q', 'ab'), writer.create('/r')]);
    for (let i = 0; i < 10; i++) await writer.batch([writer.create(`/q/n${i}`, `v${i}`)]);
    await writer.setQuota('/q');
    const zxid = writer.tree.lastProcessedZxid;
    writer.log.roll();
    const chunks: Uint8Array[] = [];
    let step = 0;
    for (const chunk of serializeSnapshot(writer.tree, { sessions: new Map(), zxid, nodesPerChunk: 3 })) {
      chunks.push(chunk);
      // Writes land between chunks: on nodes already written, not yet written, new ones; a second quota.
      const i = step++;
      const txns = [writer.setData(`/q/n${i % 10}`, 'w'.repeat(i + 1)), writer.create(`/q/late${i}`, 'late')];
      if (i === 2) txns.push({ type: OpCode.delete, path: '/q/n9' });
      await writer.batch(txns);
      if (i === 3) await writer.setQuota('/r');
      if (i === 4) await writer.batch([writer.create('/r/x', 'xyz')]);
    }
    await fs.writeFileAtomic(`/data/version-2/snapshot.${zxid.toString(16)}`, Buffer.concat(chunks));
    await writer.batch([writer.setData('/q', ''), { type: OpCode.delete, path: '/q/late0' }, writer.create('/r/y', 'y')]);
    const state = await recover({ fs, dataDir: '/data', dataLogDir: '/data', createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => undefined });
    assert.equal(state.snapshotFile, `/data/version-2/snapshot.${zxid.toString(16)}`);
    for (const path of ['/q', '/r']) {
      const usage = writer.tree.subtreeUsage(path);
      assert.equal(text(writer.tree, statsPath(path)), `count=${usage.count},bytes=${usage.bytes}`, `live ${path}`);
      assert.equal(text(state.tree, statsPath(path)), text(writer.tree, statsPath(path)), `recovered ${path}`);
    }
    assert.deepEqual(state.tree.quotas.list(), ['/q', '/r']);
    assert.deepEqual([state.tree.digest(), state.digestMismatches], [writer.tree.digest(), 0]);
  });
});
