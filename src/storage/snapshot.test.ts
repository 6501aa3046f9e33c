import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { JuteReader, OpCode, type Txn } from '../proto/index.js';
import { DataTree, applyTxn, arenaChunkBytes } from '../tree/index.js';
import { adler32 } from './adler32.js';
import { readEpoch, writeEpoch } from './epoch-files.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { purge } from './purge.js';
import { SnapshotReader, loadSnapshot } from './snapshot-reader.js';
import { type SnapshotOptions, digestVersion, serializeSnapshot, writeSnapshotFile } from './snapshot-writer.js';
import { BadFileError, SnapshotChecksumError } from './storage-errors.js';
import { readLog } from './txn-log-reader.js';

const digestAcl = [{ perms: 31, id: { scheme: 'digest', id: 'u:hash' } }];
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** Run from the repository root (as npm test does): the fixture is not copied into dist/. */
const zookeeperDir = join(process.cwd(), 'src/storage/testdata/zookeeper-3.8/version-2');

function applier(tree: DataTree): (txn: Txn, sessionId?: bigint) => void {
  return (txn, sessionId = 0n) => {
    const zxid = tree.lastProcessedZxid + 1;
    applyTxn(tree, { sessionId, cxid: 0, zxid, time: 1000 + zxid, type: txn.type }, txn);
  };
}

function sampleTree(): DataTree {
  const tree = new DataTree();
  const apply = applier(tree);
  apply({ type: OpCode.create, path: '/a', data: Buffer.from('x'), acl: open, ephemeral: false, parentCVersion: 1 });
  apply({ type: OpCode.create, path: '/a/b', data: Buffer.alloc(300, 7), acl: digestAcl, ephemeral: false, parentCVersion: 1 });
  apply({ type: OpCode.create, path: '/e', data: Buffer.from(''), acl: open, ephemeral: true, parentCVersion: 2 }, 42n);
  apply({ type: OpCode.createContainer, path: '/c', data: Buffer.from(''), acl: open, parentCVersion: 3 });
  apply({ type: OpCode.createTTL, path: '/t', data: Buffer.from('ttl'), acl: open, parentCVersion: 4, ttl: 60_000 });
  apply({ type: OpCode.setData, path: '/a', data: Buffer.from('y'), version: 1 });
  return tree;
}

function snapshotBytes(tree: DataTree, options: Partial<SnapshotOptions> = {}): Buffer {
  const sessions = new Map([[42n, 30000]]);
  return Buffer.concat([...serializeSnapshot(tree, { sessions, zxid: tree.lastProcessedZxid, nodesPerChunk: 2, ...options })]);
}

function emptyTree(): DataTree {
  return new DataTree({ withSystemNodes: false });
}

function assertSameTree(loaded: DataTree, original: DataTree): void {
  assert.equal(loaded.nodeCount, original.nodeCount);
  for (const [path, node] of original.entries()) {
    const copy = loaded.getNode(path);
    assert.ok(copy !== undefined, path);
    assert.deepEqual(loaded.statOf(copy), original.statOf(node), path);
    assert.deepEqual(copy.data && Buffer.from(copy.data), node.data && Buffer.from(node.data), path);
    assert.deepEqual(copy.acl, node.acl, path);
  }
  assert.equal(loaded.digest(), original.digest());
}

describe('snapshots', () => {
  it('round-trip nodes, stats, ACLs, ephemerals, containers, TTL nodes and sessions', () => {
    const tree = sampleTree();
    const loaded = emptyTree();
    const result = loadSnapshot('snapshot.6', snapshotBytes(tree), loaded);
    assert.deepEqual([...result.sessions], [[42n, 30000]]);
    assertSameTree(loaded, tree);
    assert.deepEqual([...loaded.getEphemerals(42n)], ['/e']);
    assert.deepEqual([...loaded.containers], ['/c']);
    assert.deepEqual([...loaded.ttls], ['/t']);
  });

  it('write no data (null) as length -1, as DataNode.serialize does, and load it back as null, not empty', () => {
    const tree = new DataTree();
    const apply = applier(tree);
    apply({ type: OpCode.create, path: '/none', data: null, acl: open, ephemeral: false, parentCVersion: 1 });
    apply({ type: OpCode.create, path: '/empty', data: new Uint8Array(0), acl: open, ephemeral: false, parentCVersion: 2 });
    apply({ type: OpCode.createTTL, path: '/none/ttl', data: null, acl: open, parentCVersion: 1, ttl: 60_000 });
    const bytes = snapshotBytes(tree);
    const lengthAfter = (path: string): number => {
      const record = Buffer.concat([Buffer.from([0, 0, 0, path.length]), Buffer.from(path)]);
      const at = bytes.indexOf(record);
      assert.ok(at > 0, path);
      return bytes.readInt32BE(at + record.length);
    };
    assert.equal(lengthAfter('/none'), -1);
    assert.equal(lengthAfter('/none/ttl'), -1);
    assert.equal(lengthAfter('/empty'), 0);
    const loaded = emptyTree();
    loadSnapshot('snapshot.3', bytes, loaded);
    assertSameTree(loaded, tree);
    assert.equal(loaded.getNode('/none')!.data, null);
    assert.deepEqual(loaded.getNode('/empty')!.data, new Uint8Array(0));
    assert.equal(loaded.statOf(loaded.getNode('/none')!).dataLength, 0);
  });

  it('end with the 3.6+ digest section (zxid, version 2, tree digest) and a second seal', () => {
    const tree = sampleTree();
    const bytes = snapshotBytes(tree);
    const result = loadSnapshot('snapshot.6', bytes, emptyTree());
    assert.deepEqual(result.digest, { zxid: 6, version: digestVersion, digest: BigInt.asIntN(64, tree.digest()) });
    const tail = new JuteReader(bytes, bytes.length - 13);
    assert.deepEqual([tail.long() > 0, tail.string()], [true, '/'], 'the file ends with a seal: checksum and "/"');
  });

  it('can leave the digest section out, as ZooKeeper before 3.6 does; such files load with no digest', () => {
    const tree = sampleTree();
    const withDigest = snapshotBytes(tree);
    const without = snapshotBytes(tree, { withDigest: false });
    assert.equal(withDigest.length - without.length, 20 + 13);
    assert.equal(loadSnapshot('snapshot.6', without, emptyTree()).digest, null);
  });

  it('stream: the same tree whether fed in one piece, byte by byte, or in random chunks', () => {
    const tree = sampleTree();
    const bytes = snapshotBytes(tree);
    const byByte = emptyTree();
    const reader = new SnapshotReader('snapshot.6', byByte);
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    reader.end();
    assertSameTree(byByte, tree);
    let seed = 7;
    for (let round = 0; round < 20; round++) {
      const chunked = emptyTree();
      const chunkReader = new SnapshotReader('snapshot.6', chunked);
      for (let at = 0; at < bytes.length;) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const size = 1 + (seed % 200);
        // The reader must copy what it keeps: the chunk's memory is reused right after.
        const chunk = Buffer.from(bytes.subarray(at, at + size));
        chunkReader.push(chunk);
        chunk.fill(0xee);
        at += size;
      }
      chunkReader.end();
      assertSameTree(chunked, tree);
    }
  });

  it('stream: the same tree from chunks larger than the reader\'s join, with a node larger than a chunk', () => {
    const tree = sampleTree();
    const apply = applier(tree);
    for (let i = 0; i < 3000; i++) apply({ type: OpCode.create, path: `/a/n${i}`, data: Buffer.alloc(100, i), acl: open, ephemeral: false, parentCVersion: i + 2 });
    apply({ type: OpCode.create, path: '/big', data: Buffer.alloc(300_000, 9), acl: open, ephemeral: false, parentCVersion: 6 });
    const bytes = snapshotBytes(tree);
    for (const size of [70_000, 100_003, 131_072]) {
      const loaded = emptyTree();
      const reader = new SnapshotReader('snapshot.6', loaded);
      for (let at = 0; at < bytes.length; at += size) {
        const chunk = Buffer.from(bytes.subarray(at, at + size));
        reader.push(chunk);
        chunk.fill(0xee);
      }
      reader.end();
      assertSameTree(loaded, tree);
    }
  });

  it('load the snapshots ZooKeeper 3.8 wrote, with their sessions and digest sections', () => {
    const loaded = emptyTree();
    const result = loadSnapshot('snapshot.1a', readFileSync(join(zookeeperDir, 'snapshot.1a')), loaded);
    assert.equal(result.sessions.size, 1);
    assert.deepEqual(result.digest?.zxid, 0x1a);
    assert.equal(Buffer.from(loaded.getNode('/app')!.data!).toString(), 'v2');
    assert.deepEqual(loaded.getNode('/private')!.acl.map((acl) => acl.id.scheme), ['digest', 'world']);
    assert.ok(loaded.getNode('/zookeeper/config') !== undefined);
    assert.equal(loaded.containers.size + loaded.ttls.size, 2);
    const empty = loadSnapshot('snapshot.0', readFileSync(join(zookeeperDir, 'snapshot.0')), emptyTree());
    assert.deepEqual(empty.digest, { zxid: 0, version: 2, digest: 0n }, 'ZooKeeper writes zxid 0 when it had no digest yet');
  });

  it('match the tree digest ZooKeeper recorded in its snapshot: the digest at its zxid, while the fuzzy contents may be ahead', async () => {
    // snapshot.1a records the digest after txn 0x1a, but its contents already hold txn 0x1b (the
    // root's pzxid is 0x1b): ZooKeeper writes the section after the nodes, from the digest of the
    // last txn it had logged a digest for. Replaying ZooKeeper's own log from empty to 0x1a gives it.
    const loaded = emptyTree();
    const result = loadSnapshot('snapshot.1a', readFileSync(join(zookeeperDir, 'snapshot.1a')), loaded);
    assert.equal(result.digest?.zxid, 0x1a);
    const fs = new MemoryFileSystem();
    for (const name of ['log.1', 'log.e']) await fs.writeFileAtomic(`/zk/${name}`, readFileSync(join(zookeeperDir, name)));
    const replayed = new DataTree();
    const digestAfter = new Map<number, bigint>();
    for await (const entry of readLog({ fs, dir: '/zk', fromZxid: 1 })) {
      applyTxn(replayed, entry.header, entry.txn);
      digestAfter.set(entry.header.zxid, BigInt.asIntN(64, replayed.digest()));
    }
    assert.equal(digestAfter.get(0x1a), result.digest?.digest, 'the recorded digest is the tree digest after its zxid');
    assert.equal(BigInt.asIntN(64, loaded.digest()), digestAfter.get(0x1b), 'the fuzzy contents are the tree after 0x1b');
  });

  it('leave out nodes created after the snapshot began (their creates are replayed)', () => {
    const tree = sampleTree();
    const loaded = emptyTree();
    loadSnapshot('snapshot.2', snapshotBytes(tree, { zxid: 2 }), loaded);
    assert.ok(loaded.getNode('/a/b') !== undefined);
    assert.equal(loaded.getNode('/e'), undefined);
  });

  it('stay loadable when the tree changes between chunks (a fuzzy snapshot)', () => {
    const tree = sampleTree();
    const apply = applier(tree);
    const chunks: Uint8Array[] = [];
    let step = 0;
    for (const chunk of serializeSnapshot(tree, { sessions: new Map(), zxid: tree.lastProcessedZxid, nodesPerChunk: 1 })) {
      chunks.push(chunk);
      if (step++ === 1) {
        apply({ type: OpCode.setACL, path: '/t', acl: [{ perms: 1, id: { scheme: 'ip', id: '10.0.0.1' } }], version: 1 });
        apply({ type: OpCode.delete, path: '/c' });
        apply({ type: OpCode.create, path: '/late', data: Buffer.from('l'), acl: open, ephemeral: false, parentCVersion: 9 });
      }
    }
    const loaded = emptyTree();
    loadSnapshot('snapshot.6', Buffer.concat(chunks), loaded);
    assert.equal(loaded.getNode('/late'), undefined);
  });

  it('detect a flipped bit anywhere with an error naming the file', () => {
    const bytes = snapshotBytes(sampleTree());
    for (let at = 0; at < bytes.length; at += 7) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x10;
      assert.throws(() => loadSnapshot('snapshot.6', damaged, emptyTree()), (error: unknown) =>
        error instanceof BadFileError && error.file === 'snapshot.6', `bit flipped at ${at}`);
    }
  });

  it('report a damaged node data byte as a checksum mismatch', () => {
    const bytes = snapshotBytes(sampleTree());
    const at = bytes.indexOf(Buffer.alloc(300, 7)) + 100;
    bytes[at]! ^= 0x01;
    assert.throws(() => loadSnapshot('snapshot.6', bytes, emptyTree()), SnapshotChecksumError);
  });

  it('with deferred checksums, hand every seal to the caller and verify none itself', () => {
    const bytes = snapshotBytes(sampleTree());
    const damaged = Buffer.from(bytes);
    damaged[damaged.indexOf(Buffer.alloc(300, 7)) + 100]! ^= 0x01;
    for (const [input, intact] of [[bytes, true], [damaged, false]] as const) {
      const reader = new SnapshotReader('snapshot.6', emptyTree(), { deferChecksums: true });
      reader.push(input);
      const { unverifiedSeals } = reader.end();
      assert.ok(unverifiedSeals.length >= 1);
      const matches = unverifiedSeals.every((seal) => adler32(input, 0, seal.offset) === seal.stored);
      assert.equal(matches, intact, 'the seals and offsets check the file exactly as the inline path does');
    }
  });

  it('reject a truncated snapshot, a wrong magic and a wrong version', () => {
    const bytes = snapshotBytes(sampleTree());
    for (const cut of [0, 10, 40, bytes.length - 40, bytes.length - 1]) {
      assert.throws(() => loadSnapshot('snapshot.6', bytes.subarray(0, cut), emptyTree()), /snapshot\.6/, `cut at ${cut}`);
    }
    const wrong = Buffer.from(bytes);
    wrong.write('ZKLG', 0, 'latin1');
    assert.throws(() => loadSnapshot('snapshot.6', wrong, emptyTree()), /snapshot\.6: wrong magic/);
    const version = Buffer.from(bytes);
    version.writeInt32BE(1, 4);
    assert.throws(() => loadSnapshot('snapshot.6', version, emptyTree()), /unsupported format version 1/);
  });

  it('are written durably as snapshot.<zxid> through a temp file', async () => {
    const fs = new MemoryFileSystem();
    const tree = sampleTree();
    let pauses = 0;
    const written = await writeSnapshotFile(tree, {
      fs, dir: '/d/version-2', sessions: new Map(), zxid: tree.lastProcessedZxid, nodesPerChunk: 2, pause: async () => void pauses++,
    });
    assert.equal(written.path, '/d/version-2/snapshot.6');
    assert.deepEqual(await fs.list('/d/version-2'), ['snapshot.6'], 'the temp file is gone');
    assert.ok(pauses >= 3, `${pauses} pauses between chunks`);
    assertSameTree((() => {
      const loaded = emptyTree();
      loadSnapshot('snapshot.6', fs.files.get(written.path)!.data, loaded);
      return loaded;
    })(), tree);
  });
});

describe('purge', () => {
  it('keeps the newest snapshots and the logs they need, as PurgeTxnLog does', async () => {
    const fs = new MemoryFileSystem();
    const names = ['snapshot.0', 'snapshot.10', 'snapshot.20.gz', 'snapshot.30', 'snapshot.40', 'log.1', 'log.b', 'log.15', 'log.25', 'log.35', 'currentEpoch', '.snapshot.50.tmp'];
    for (const name of names) await fs.writeFileAtomic(`/d/version-2/${name}`, Buffer.from('x'));
    const result = await purge(fs, { dataDir: '/d', dataLogDir: '/d', retainSnapshots: 3 });
    assert.deepEqual(result.removed.map((path) => path.split('/').pop()).sort(), ['log.1', 'log.b', 'snapshot.0', 'snapshot.10']);
  });

  it('keeps at least 3 snapshots, as ZooKeeper insists', async () => {
    const fs = new MemoryFileSystem();
    for (const name of ['snapshot.1', 'snapshot.2', 'snapshot.3', 'snapshot.4']) await fs.writeFileAtomic(`/d/version-2/${name}`, Buffer.from('x'));
    const result = await purge(fs, { dataDir: '/d', dataLogDir: '/d', retainSnapshots: 1 });
    assert.deepEqual(result.removed, ['/d/version-2/snapshot.1']);
  });
});

describe('epoch files', () => {
  it('store a decimal epoch, with no newline, in version-2 as QuorumPeer does; a missing file reads as null', async () => {
    const fs = new MemoryFileSystem();
    assert.equal(await readEpoch(fs, '/d', 'currentEpoch'), null);
    await writeEpoch(fs, '/d', 'currentEpoch', 7);
    await writeEpoch(fs, '/d', 'acceptedEpoch', 8);
    assert.equal(await readEpoch(fs, '/d', 'currentEpoch'), 7);
    assert.equal(await readEpoch(fs, '/d', 'acceptedEpoch'), 8);
    assert.equal(Buffer.from(await fs.readFile('/d/version-2/currentEpoch')).toString(), '7');
  });

  it('accept a trailing newline and reject anything that is not a number, naming the file', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/d/version-2/acceptedEpoch', Buffer.from('12\n'));
    assert.equal(await readEpoch(fs, '/d', 'acceptedEpoch'), 12);
    await fs.writeFileAtomic('/d/version-2/acceptedEpoch', Buffer.from('twelve'));
    await assert.rejects(readEpoch(fs, '/d', 'acceptedEpoch'), /acceptedEpoch: expected a decimal epoch/);
  });
});

describe('node data loaded from a snapshot', () => {
  it('goes into the arena chunks and columns the tree is given (chunks whatever they held), and reads back exactly', () => {
    const source = new DataTree();
    const apply = applier(source);
    const dataOf = (i: number): Buffer => Buffer.alloc(1 + (i % 700), i % 253);
    const nodes = Math.ceil((3 * arenaChunkBytes) / 350);
    for (let i = 0; i < nodes; i++) apply({ type: OpCode.create, path: `/n${i}`, data: dataOf(i), acl: open, ephemeral: false, parentCVersion: i + 1 });
    const bytes = Buffer.concat([...serializeSnapshot(source as DataTree<unknown>, { sessions: new Map(), zxid: nodes })]);
    // Every other chunk asked for is supplied (shared memory, not zeroed); the store allocates the rest.
    let asked = 0;
    const tree = new DataTree({
      withSystemNodes: false,
      memory: {
        chunk: () => (asked++ % 2 === 0 ? new Uint8Array(new SharedArrayBuffer(arenaChunkBytes)).fill(0xee) : undefined),
        column: (bytes) => new SharedArrayBuffer(bytes),
      },
    });
    loadSnapshot('snapshot', bytes, tree);
    assert.ok(asked >= 3, 'the load asked for several chunks');
    assert.equal(tree.digest(), source.digest());
    for (let i = 0; i < nodes; i++) assert.deepEqual(Buffer.from(tree.getNode(`/n${i}`)!.data!), dataOf(i), `/n${i}`);
    assert.ok(tree.getNode('/n0')!.data!.buffer instanceof SharedArrayBuffer, 'data lives in a supplied chunk');
    // Past the loaded size, the columns grow again (into memory of their own once the source is done).
    tree.lastProcessedZxid = source.lastProcessedZxid;
    const applyToTree = applier(tree);
    for (let i = nodes; i < 2 * nodes; i++) {
      const txn: Txn = i % 3 === 0
        ? { type: OpCode.delete, path: `/n${i - nodes}` }
        : { type: OpCode.create, path: `/n${i}`, data: dataOf(i), acl: open, ephemeral: false, parentCVersion: i + 1 };
      apply(txn);
      applyToTree(txn);
    }
    assert.equal(tree.digest(), source.digest(), 'the loaded tree grows and changes as the source does');
  });
});
