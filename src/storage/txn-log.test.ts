import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import { DataTree } from '../tree/index.js';
import { adler32 } from './adler32.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { recover } from './recovery.js';
import { CorruptLogError, ZxidGapError } from './storage-errors.js';
import { TxnLog } from './txn-log.js';
import { fileHeaderBytes, parseLogFile } from './txn-log-format.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const dir = '/data/version-2';

function create(zxid: number, path: string, cversion: number): { header: TxnHeader; txn: Txn } {
  return {
    header: { sessionId: 5n, cxid: zxid, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create },
    txn: { type: OpCode.create, path, data: Buffer.from(`data-${zxid}`), acl: open, ephemeral: false, parentCVersion: cversion },
  };
}

async function writeLog(fs: MemoryFileSystem, count: number, options: { preAllocBytes?: number; sync?: boolean } = {}): Promise<TxnLog> {
  const log = new TxnLog({ fs, dir, preAllocBytes: options.preAllocBytes ?? 4096, forceSync: options.sync ?? true });
  for (let zxid = 1; zxid <= count; zxid++) {
    const { header, txn } = create(zxid, `/n${zxid}`, zxid);
    log.append(header, txn);
    await log.flush();
  }
  return log;
}

function recoverFrom(fs: MemoryFileSystem) {
  return recover({ fs, dataDir: '/data', dataLogDir: '/data', createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => {} });
}

describe('Adler32', () => {
  it('matches the reference value for "Wikipedia"', () => {
    assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  });
});

describe('txn log', () => {
  it('round-trips txns through a preallocated file, one fsync per batch', async () => {
    const fs = new MemoryFileSystem();
    const log = new TxnLog({ fs, dir, preAllocBytes: 4096, forceSync: true });
    for (let zxid = 1; zxid <= 10; zxid++) {
      const { header, txn } = create(zxid, `/n${zxid}`, zxid);
      log.append(header, txn);
    }
    await log.flush();
    const bytes = await fs.readFile(`${dir}/log.1`);
    assert.equal(bytes.length % 4096, 0, 'preallocated in whole blocks');
    const parsed = parseLogFile('log.1', bytes);
    assert.deepEqual(parsed.entries.map((entry) => entry.header.zxid), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(parsed.tornTail, null);
    assert.equal(parsed.corruption, null);
  });

  it('recovers every synced txn after a crash that loses unsynced bytes', async () => {
    const fs = new MemoryFileSystem();
    const log = await writeLog(fs, 5);
    const { header, txn } = create(6, '/n6', 6);
    log.append(header, txn);
    fs.crash();
    const state = await recoverFrom(fs);
    assert.equal(state.lastZxid, 5);
    assert.ok(state.tree.getNode('/n5') !== undefined);
    assert.equal(state.tree.getNode('/n6'), undefined);
  });

  it('truncates a torn tail at every byte offset of the last record', async () => {
    const reference = new MemoryFileSystem();
    await writeLog(reference, 3, { preAllocBytes: 1 });
    const full = await reference.readFile(`${dir}/log.1`);
    const lastStart = parseLogFile('log.1', full).entries[2]!.offset;
    for (let cut = lastStart + 1; cut < full.length; cut++) {
      const fs = new MemoryFileSystem();
      await fs.writeFileAtomic(`${dir}/log.1`, Buffer.concat([full.subarray(0, cut), Buffer.alloc(64)]));
      const state = await recoverFrom(fs);
      assert.equal(state.lastZxid, 2, `cut at ${cut}`);
      const after = parseLogFile('log.1', await fs.readFile(`${dir}/log.1`));
      assert.deepEqual([after.entries.length, after.validEnd, after.tornTail], [2, lastStart, null], 'clean after recovery');
    }
  });

  it('refuses to start on a flipped bit in the middle of the log, naming file and offset', async () => {
    const fs = new MemoryFileSystem();
    await writeLog(fs, 5, { preAllocBytes: 1 });
    const bytes = await fs.readFile(`${dir}/log.1`);
    const second = parseLogFile('log.1', bytes).entries[1]!.offset;
    bytes[second + 20]! ^= 0x04;
    await fs.writeFileAtomic(`${dir}/log.1`, bytes);
    await assert.rejects(recoverFrom(fs), (error: unknown) =>
      error instanceof CorruptLogError && error.offset === second && /log\.1/.test(error.message));
  });

  it('refuses a gap in zxids between log files', async () => {
    const fs = new MemoryFileSystem();
    await writeLog(fs, 3);
    const later = new TxnLog({ fs, dir, preAllocBytes: 4096, forceSync: true });
    const { header, txn } = create(7, '/n7', 7);
    later.append(header, txn);
    await later.flush();
    await assert.rejects(recoverFrom(fs), ZxidGapError);
  });

  it('starts a new file named after its first zxid when rolled', async () => {
    const fs = new MemoryFileSystem();
    const log = await writeLog(fs, 2);
    log.roll();
    const { header, txn } = create(3, '/n3', 3);
    log.append(header, txn);
    await log.flush();
    assert.deepEqual((await fs.list(dir)).sort(), ['log.1', 'log.3']);
    assert.equal((await recoverFrom(fs)).lastZxid, 3);
  });

  it('removes a newest log file whose header never reached the disk', async () => {
    const fs = new MemoryFileSystem();
    await writeLog(fs, 2);
    await fs.writeFileAtomic(`${dir}/log.3`, new Uint8Array(0));
    assert.equal((await recoverFrom(fs)).lastZxid, 2);
    assert.deepEqual(await fs.list(dir), ['log.1']);
  });

  it('rejects a file that is not a txn log', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic(`${dir}/log.1`, Buffer.from('definitely not a zookeeper log file'));
    await assert.rejects(recoverFrom(fs), /wrong magic/);
    assert.equal(fileHeaderBytes, 16);
  });
});
