import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Acl, OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import {
  TxnLog, lastLoggedZxid, parseLogFile, readEpoch, recover, truncateLog, versionDirName, writeEpoch, writeSnapshotFile,
} from '../storage/index.js';
import { DataTree, applyTxn } from '../tree/index.js';
import { NodeFileSystem } from './node-file-system.js';

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const epoch = 0x1_0000_0000;

describe('NodeFileSystem (the real disk, with fsync)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-nodefs-'));
  const logDir = join(dataDir, versionDirName);
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const fs = new NodeFileSystem();
  const createTree = (withSystemNodes: boolean): DataTree => new DataTree({ withSystemNodes });

  it('logs batches with O_DSYNC writes, snapshots while logging, and recovers the same tree', async () => {
    const first = await recover({ fs, dataDir, dataLogDir: dataDir, createTree, warn: assert.fail, writeInitialSnapshot: true });
    assert.deepEqual(readdirSync(logDir), ['snapshot.0']);
    const tree = first.tree;
    const log = new TxnLog({ fs, dir: logDir, preAllocBytes: 64 * 1024, forceSync: true, lastZxid: first.lastZxid });
    let zxid = epoch;
    const batch = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const txn: Txn = { type: OpCode.create, path: `/n${++zxid - epoch}`, data: Buffer.alloc(100, zxid % 256), acl: open, ephemeral: false, parentCVersion: zxid - epoch };
        const header: TxnHeader = { sessionId: 3n, cxid: i, zxid, time: 1_700_000_000_000, type: txn.type };
        applyTxn(tree, header, txn);
        log.append(header, txn, { version: 2, treeDigest: tree.digest() });
      }
      await log.flush();
    };
    await batch(50);
    log.roll();
    const snapshot = writeSnapshotFile(tree, {
      fs, dir: logDir, sessions: new Map([[3n, 10_000]]), zxid: tree.lastProcessedZxid, nodesPerChunk: 10,
      pause: () => new Promise((resolve) => setImmediate(resolve)),
    });
    await batch(30);
    await snapshot;
    await batch(20);
    await log.close();
    const names = readdirSync(logDir).sort();
    assert.deepEqual(names, ['log.100000001', 'log.100000033', 'snapshot.0', 'snapshot.100000032']);
    assert.equal(statSync(join(logDir, 'log.100000001')).size, 16 + 64 * 1024, 'preallocated as FilePadding does');
    const recovered = await recover({ fs, dataDir, dataLogDir: dataDir, createTree, warn: assert.fail });
    assert.equal(recovered.snapshotFile, join(logDir, 'snapshot.100000032'));
    assert.deepEqual([recovered.lastZxid, recovered.txnsReplayed, recovered.digestMismatches], [epoch + 100, 50, 0]);
    assert.equal(recovered.tree.digest(), tree.digest());
    assert.deepEqual([...recovered.sessions], [[3n, 10_000]]);
  });

  it('runs a durable file\'s operations in call order without waiting for each, and reports a failed one', async () => {
    for (const durableWrites of [true, false]) {
      const path = join(dataDir, `ordered-${durableWrites}`);
      const file = await fs.open(path, { durableWrites });
      assert.equal(file.writesAreDurable, durableWrites);
      // Issued back to back: a grow, 200 appends (those queued behind the grow go out as one
      // write), a shrink that cuts the last 100, and a sync.
      const pending = [file.truncate(8192)];
      for (let i = 0; i < 200; i++) pending.push(file.write(Buffer.alloc(10, i), i * 10));
      pending.push(file.truncate(1000), file.sync());
      await Promise.all(pending);
      const bytes = readFileSync(path);
      assert.equal(bytes.length, 1000);
      for (let i = 0; i < 100; i++) assert.deepEqual(bytes.subarray(i * 10, i * 10 + 10), Buffer.alloc(10, i));
      await file.close();
      await assert.rejects(file.write(Buffer.from('late'), 0), /EBADF|closed/, 'an operation on a closed file fails with the error');
    }
    const other = await fs.open(join(dataDir, 'after-failure'), { durableWrites: true });
    await other.write(Buffer.from('still works'), 0);
    await other.close();
    assert.equal(readFileSync(join(dataDir, 'after-failure'), 'utf8'), 'still works');
  });

  it('truncates the log on disk to a zxid, padding included', async () => {
    await truncateLog(fs, { dir: logDir, zxid: epoch + 60 });
    assert.equal(await lastLoggedZxid(fs, logDir), epoch + 60);
    const bytes = readFileSync(join(logDir, 'log.100000033'));
    assert.equal(bytes.length, parseLogFile('log', bytes).validEnd);
  });

  it('writes epoch files atomically where ZooKeeper keeps them', async () => {
    await writeEpoch(fs, dataDir, 'acceptedEpoch', 4);
    await writeEpoch(fs, dataDir, 'currentEpoch', 3);
    assert.equal(readFileSync(join(logDir, 'acceptedEpoch'), 'utf8'), '4');
    assert.deepEqual([await readEpoch(fs, dataDir, 'acceptedEpoch'), await readEpoch(fs, dataDir, 'currentEpoch')], [4, 3]);
    assert.ok(!readdirSync(logDir).some((name) => name.endsWith('.tmp')));
  });
});
