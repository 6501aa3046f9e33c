import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode } from '../proto/index.js';
import { DataTree, applyTxn } from '../tree/index.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { purge } from './purge.js';
import { loadSnapshot, serializeSnapshot } from './snapshot-format.js';
import { BadFileError } from './storage-errors.js';
import { readEpoch, writeEpoch } from './epoch-files.js';

const digestAcl = [{ perms: 31, id: { scheme: 'digest', id: 'u:hash' } }];
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function sampleTree(): DataTree {
  const tree = new DataTree();
  let zxid = 0;
  const apply = (txn: Parameters<typeof applyTxn>[2], sessionId = 0n) =>
    applyTxn(tree, { sessionId, cxid: 0, zxid: ++zxid, time: 1000 + zxid, type: txn.type }, txn);
  apply({ type: OpCode.create, path: '/a', data: Buffer.from('x'), acl: open, ephemeral: false, parentCVersion: 1 });
  apply({ type: OpCode.create, path: '/a/b', data: Buffer.alloc(300, 7), acl: digestAcl, ephemeral: false, parentCVersion: 1 });
  apply({ type: OpCode.create, path: '/e', data: Buffer.from(''), acl: open, ephemeral: true, parentCVersion: 2 }, 42n);
  apply({ type: OpCode.createContainer, path: '/c', data: Buffer.from(''), acl: open, parentCVersion: 3 });
  apply({ type: OpCode.setData, path: '/a', data: Buffer.from('y'), version: 1 });
  return tree;
}

function snapshotBytes(tree: DataTree, zxid = tree.lastProcessedZxid): Buffer {
  return Buffer.concat([...serializeSnapshot(tree, { sessions: new Map([[42n, 30000]]), zxid, nodesPerChunk: 2 })]);
}

describe('snapshots', () => {
  it('round-trip nodes, stats, ACLs, ephemerals and sessions', () => {
    const tree = sampleTree();
    const loaded = new DataTree({ withSystemNodes: false });
    const result = loadSnapshot('snapshot.5', snapshotBytes(tree), loaded);
    assert.deepEqual([...result.sessions], [[42n, 30000]]);
    for (const [path, node] of tree.entries()) {
      const copy = loaded.getNode(path);
      assert.ok(copy !== undefined, path);
      assert.deepEqual(copy.aversion, node.aversion, path);
      assert.deepEqual(loaded.statOf(copy), tree.statOf(node), path);
      assert.deepEqual(Buffer.from(copy.data), Buffer.from(node.data), path);
      assert.deepEqual(copy.acl, node.acl, path);
    }
    assert.deepEqual([...loaded.getEphemerals(42n)], ['/e']);
    assert.deepEqual([...loaded.containers], ['/c']);
    assert.equal(loaded.digest(), tree.digest());
  });

  it('leave out nodes created after the snapshot began (their creates are replayed)', () => {
    const tree = sampleTree();
    const loaded = new DataTree({ withSystemNodes: false });
    loadSnapshot('snapshot.2', snapshotBytes(tree, 2), loaded);
    assert.ok(loaded.getNode('/a/b') !== undefined);
    assert.equal(loaded.getNode('/e'), undefined);
  });

  it('detect a flipped bit anywhere with a clear error naming the file', () => {
    const bytes = snapshotBytes(sampleTree());
    for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 20]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x10;
      assert.throws(() => loadSnapshot('snapshot.5', damaged, new DataTree({ withSystemNodes: false })), BadFileError);
    }
  });

  it('reject a truncated snapshot and a wrong magic', () => {
    const bytes = snapshotBytes(sampleTree());
    assert.throws(() => loadSnapshot('snapshot.5', bytes.subarray(0, bytes.length - 9), new DataTree({ withSystemNodes: false })), /snapshot\.5/);
    const wrong = Buffer.from(bytes);
    wrong.write('ZKLG', 0, 'latin1');
    assert.throws(() => loadSnapshot('snapshot.5', wrong, new DataTree({ withSystemNodes: false })), /wrong magic/);
  });
});

describe('purge', () => {
  it('keeps the newest snapshots and the logs they need', async () => {
    const fs = new MemoryFileSystem();
    for (const name of ['snapshot.0', 'snapshot.10', 'snapshot.20', 'snapshot.30', 'log.1', 'log.b', 'log.15', 'log.25']) {
      await fs.writeFileAtomic(`/d/version-2/${name}`, Buffer.from('x'));
    }
    const result = await purge(fs, { dataDir: '/d', dataLogDir: '/d', retainSnapshots: 3 });
    assert.deepEqual(result.removed.map((path) => path.split('/').pop()).sort(), ['log.1', 'snapshot.0']);
  });
});

describe('epoch files', () => {
  it('store a decimal epoch and read it back; a missing file reads as null', async () => {
    const fs = new MemoryFileSystem();
    assert.equal(await readEpoch(fs, '/d', 'currentEpoch'), null);
    await writeEpoch(fs, '/d', 'currentEpoch', 7);
    await fs.mkdir('/d');
    assert.equal(await readEpoch(fs, '/d', 'currentEpoch'), 7);
    assert.equal(Buffer.from(await fs.readFile('/d/currentEpoch')).toString(), '7');
  });
});
