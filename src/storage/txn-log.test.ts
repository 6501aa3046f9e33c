import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { JuteWriter, OpCode, type Txn, type TxnHeader, writeAclList, writeTxnDigest, writeTxnHeader } from '../proto/index.js';
import { AssertionError } from '../util/index.js';
import { adler32 } from './adler32.js';
import type { AppendFile } from './file-system.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { BadFileError, CorruptLogError, LogBrokenError, ZxidGapError } from './storage-errors.js';
import { TxnLog, paddedFileSize, spareLogFileName } from './txn-log.js';
import { type ReadLogEntry, lastLoggedZxid, readLog, readLogFiles, truncateLog } from './txn-log-reader.js';
import { createRecordsFrom, decodeLogEntry, encodeFileHeader, fileHeaderBytes, logMagic, parseLogFile, writeLogRecord } from './txn-log-format.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const dir = '/data/version-2';
/** Run from the repository root (as npm test does): the fixture is not copied into dist/. */
const zookeeperDir = join(process.cwd(), 'src/storage/testdata/zookeeper-3.8/version-2');
const epoch1 = 0x1_0000_0000;

function create(zxid: number, path = `/n${zxid}`): { header: TxnHeader; txn: Txn } {
  return {
    header: { sessionId: 5n, cxid: zxid % 1000, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create },
    txn: { type: OpCode.create, path, data: Buffer.from(`data-${zxid}`), acl: open, ephemeral: false, parentCVersion: 1 },
  };
}

function newLog(fs: MemoryFileSystem, options: { preAllocBytes?: number; lastZxid?: number } = {}): TxnLog {
  return new TxnLog({ fs, dir, preAllocBytes: options.preAllocBytes ?? 4096, forceSync: true, lastZxid: options.lastZxid });
}

/** Writes txns `zxids` to `log`, one flush per txn. */
async function writeTxns(log: TxnLog, zxids: number[]): Promise<void> {
  for (const zxid of zxids) {
    const { header, txn } = create(zxid);
    log.append(header, txn);
    await log.flush();
  }
}

async function readAll(fs: MemoryFileSystem, options: { fromZxid?: number; repair?: boolean; warnings?: string[] } = {}): Promise<ReadLogEntry[]> {
  const entries: ReadLogEntry[] = [];
  const warn = (message: string): void => void options.warnings?.push(message);
  for await (const entry of readLog({ fs, dir, fromZxid: options.fromZxid ?? 0, repairTornTail: options.repair ?? true, warn })) entries.push(entry);
  return entries;
}

const zxidsOf = (entries: ReadLogEntry[]): number[] => entries.map((entry) => entry.header.zxid);

/** One record's entry bytes (what the checksum covers), assembled by hand. */
function entryBytes(header: TxnHeader, body: (writer: JuteWriter) => void): Buffer {
  const writer = new JuteWriter();
  writeTxnHeader(writer, header);
  body(writer);
  return writer.toBuffer();
}

describe('txn log format', () => {
  it('uses Adler32 as java.util.zip.Adler32 computes it', () => {
    assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  });

  it('encodes every record ZooKeeper 3.8 wrote byte for byte: header, txn, TxnDigest, end marker', () => {
    let records = 0;
    for (const name of readdirSync(zookeeperDir).filter((file) => file.startsWith('log.'))) {
      const bytes = readFileSync(join(zookeeperDir, name));
      assert.deepEqual(bytes.subarray(0, fileHeaderBytes), Buffer.from(encodeFileHeader(logMagic, 0n)), name);
      const { entries, tornTail, corruption } = parseLogFile(name, bytes);
      assert.deepEqual([tornTail, corruption], [null, null], name);
      const out = new JuteWriter();
      for (const entry of entries) writeLogRecord(out, entry.header, entry.txn, entry.digest);
      assert.deepEqual(out.toBuffer(), bytes.subarray(fileHeaderBytes), name);
      records += entries.length;
    }
    assert.ok(records >= 30, `${records} records`);
  });

  it('reads the txn types ZooKeeper logs: sessions, creates of every kind, multi, error', () => {
    const types = new Set<number>();
    for (const name of readdirSync(zookeeperDir).filter((file) => file.startsWith('log.'))) {
      for (const entry of parseLogFile(name, readFileSync(join(zookeeperDir, name))).entries) {
        types.add(entry.txn.type);
        assert.equal(entry.digest?.version, 2, 'ZooKeeper 3.8 logs a TxnDigest with every txn');
      }
    }
    for (const type of [OpCode.createSession, OpCode.closeSession, OpCode.create, OpCode.createContainer, OpCode.createTTL, OpCode.setData, OpCode.setACL, OpCode.delete, OpCode.multi]) {
      assert.ok(types.has(type), `type ${type} in ${[...types]}`);
    }
  });

  it('reads a closeSession with no body (before ZooKeeper 3.6), with and without a digest after it', () => {
    const header = { sessionId: 9n, cxid: 1, zxid: 7, time: 1, type: OpCode.closeSession };
    const bare = entryBytes(header, () => {});
    assert.deepEqual(decodeLogEntry(bare, 0, bare.length), { header, txn: { type: OpCode.closeSession, paths2Delete: null }, digest: null });
    const digested = entryBytes(header, (writer) => writeTxnDigest(writer, { version: 2, treeDigest: 0x1234_5678_9abcn }));
    assert.deepEqual(decodeLogEntry(digested, 0, digested.length).digest, { version: 2, treeDigest: 0x1234_5678_9abcn });
    assert.equal(decodeLogEntry(digested, 0, digested.length).txn.type, OpCode.closeSession);
  });

  it('reads a create without parentCVersion (CreateTxnV0) with parentCVersion -1, as ZooKeeper does', () => {
    const header = { sessionId: 9n, cxid: 1, zxid: 7, time: 1, type: OpCode.create };
    const bytes = entryBytes(header, (writer) => {
      writer.ustring('/old').buffer(Buffer.from('x'));
      writeAclList(writer, open);
      writer.bool(false);
    });
    assert.deepEqual(decodeLogEntry(bytes, 0, bytes.length).txn, { type: OpCode.create, path: '/old', data: Buffer.from('x'), acl: open, ephemeral: false, parentCVersion: -1 });
  });

  it('refuses to log a body-less closeSession with a digest, which ZooKeeper 3.6+ would misread', () => {
    const header = { sessionId: 9n, cxid: 1, zxid: 7, time: 1, type: OpCode.closeSession };
    const txn: Txn = { type: OpCode.closeSession, paths2Delete: null };
    assert.throws(() => writeLogRecord(new JuteWriter(), header, txn, { version: 2, treeDigest: 1n }), AssertionError);
    assert.doesNotThrow(() => writeLogRecord(new JuteWriter(), header, { ...txn, paths2Delete: [] }, { version: 2, treeDigest: 1n }));
  });

  it('rejects bytes after a txn body that are not a TxnDigest', () => {
    const header = { sessionId: 9n, cxid: 1, zxid: 7, time: 1, type: OpCode.delete };
    const bytes = entryBytes(header, (writer) => writer.ustring('/a').int(5));
    assert.throws(() => decodeLogEntry(bytes, 0, bytes.length), /4 unexpected bytes/);
  });
});

describe('txn log writer', () => {
  it('writes a batch with one write and one fsync, in a file grown as FilePadding grows it', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs, { preAllocBytes: 65536 });
    await writeTxns(log, [1]);
    const syncsBefore = fs.syncs;
    for (let zxid = 2; zxid <= 10; zxid++) log.append(create(zxid).header, create(zxid).txn);
    assert.equal(log.pendingCount, 9);
    await log.flush();
    assert.equal(fs.syncs - syncsBefore, 1, 'one fsync for the batch of 9');
    assert.equal(log.lastDurableZxid, 10);
    const bytes = await fs.readFile(`${dir}/log.1`);
    assert.equal(bytes.length, fileHeaderBytes + 65536, 'header + one preAllocSize step');
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('pads as ZooKeeper does: a fresh 64 MiB log is 64 MiB + 16 bytes; growth starts 4 KiB before the end', () => {
    const mib64 = 64 * 1024 * 1024;
    assert.equal(paddedFileSize(16, 16, mib64), mib64 + 16);
    assert.equal(paddedFileSize(1000, mib64 + 16, mib64), mib64 + 16);
    assert.equal(paddedFileSize(mib64 + 16 - 4096, mib64 + 16, mib64), 2 * mib64 + 16);
    assert.equal(paddedFileSize(3 * mib64 + 5, mib64 + 16, mib64), 4 * mib64);
  });

  it('refuses an append whose zxid does not increase', () => {
    const log = newLog(new MemoryFileSystem(), { lastZxid: 5 });
    assert.throws(() => log.append(create(5).header, create(5).txn), AssertionError);
  });

  it('starts a new file named after its first zxid when rolled', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2]);
    log.roll();
    await writeTxns(log, [3]);
    assert.equal(log.currentFile, 'log.3');
    assert.deepEqual((await fs.list(dir)).sort(), ['log.1', 'log.3']);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3]);
  });

  it('after a failed write, cuts off what reached the file and rewinds, so the batch can be appended again', async () => {
    const fs = new MemoryFileSystem();
    const failures = { write: false, truncate: false };
    const realOpen = fs.open.bind(fs);
    fs.open = async (path) => {
      const file = await realOpen(path);
      const failable: AppendFile = {
        ...file,
        // A full disk: the first 100 bytes of the batch (a whole record) land, then ENOSPC.
        write: async (bytes, position) => {
          if (!failures.write) return file.write(bytes, position);
          await file.write(bytes.subarray(0, 100), position);
          throw new Error('ENOSPC');
        },
        truncate: async (length) => (failures.truncate ? Promise.reject(new Error('EIO')) : file.truncate(length)),
      };
      return failable;
    };
    const log = newLog(fs);
    await writeTxns(log, [1]);
    failures.write = true;
    for (const zxid of [2, 3]) log.append(create(zxid).header, create(zxid).txn);
    await assert.rejects(log.flush(), /ENOSPC/);
    assert.deepEqual([log.lastDurableZxid, log.pendingCount], [1, 0]);
    assert.deepEqual(zxidsOf(await readAll(fs, { repair: false })), [1], 'the record that landed is gone');
    failures.write = false;
    await writeTxns(log, [2]);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2]);
    // A disk that cannot even cut the file back (here the file cannot grow either): the log is broken.
    failures.truncate = true;
    log.append(create(3).header, create(3).txn);
    await assert.rejects(log.flush(), /EIO/);
    failures.truncate = false;
    log.append(create(3).header, create(3).txn);
    await assert.rejects(log.flush(), (error: unknown) => error instanceof LogBrokenError && /unusable after a failed write \(EIO\)/.test(error.message));
  });

  /** A memory file system whose record writes (not zero fill) land at once and report through `onWrite`. */
  function interceptedFileSystem(onWrite: (land: () => Promise<void>) => Promise<void>): MemoryFileSystem {
    const fs = new MemoryFileSystem();
    const realOpen = fs.open.bind(fs);
    fs.open = async (path) => {
      const file = await realOpen(path);
      return {
        ...file,
        write: (bytes, position) => (bytes.some((byte) => byte !== 0) ? onWrite(() => file.write(bytes, position)) : file.write(bytes, position)),
      };
    };
    return fs;
  }
  const turns = async (count: number): Promise<void> => {
    for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  const appendTxns = (log: TxnLog, zxids: number[]): void => zxids.forEach((zxid) => log.append(create(zxid).header, create(zxid).txn));

  it('keeps several flushes in flight and resolves them in order, each once every earlier batch is durable', async () => {
    let hold = false;
    const held: Array<() => void> = [];
    const fs = interceptedFileSystem(async (land) => {
      await land();
      if (hold) await new Promise<void>((resolve) => held.push(resolve));
    });
    const log = newLog(fs);
    await writeTxns(log, [1]);
    hold = true;
    const settled: number[] = [];
    const flushes = [2, 3, 4].map((zxid) => {
      appendTxns(log, [zxid]);
      return log.flush().then(() => settled.push(zxid));
    });
    await turns(3);
    assert.equal(held.length, 3, 'every batch went to the file before any write returned');
    held[2]!();
    held[1]!();
    await turns(3);
    assert.deepEqual([settled, log.lastDurableZxid], [[], 1], 'later batches wait for the first');
    held[0]!();
    await Promise.all(flushes);
    assert.deepEqual([settled, log.lastDurableZxid], [[2, 3, 4], 4]);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4]);
  });

  it('fails every flush in flight behind a failed one, cuts their records off, and takes the txns again', async () => {
    let failNext = false;
    const fs = interceptedFileSystem(async (land) => {
      if (!failNext) return land();
      failNext = false;
      throw new Error('ENOSPC');
    });
    const log = newLog(fs);
    await writeTxns(log, [1]);
    failNext = true;
    const outcomes = [2, 3, 4].map((zxid) => {
      appendTxns(log, [zxid]);
      return log.flush().then(() => 'durable', (error: Error) => error.message);
    });
    assert.deepEqual(await Promise.all(outcomes), ['ENOSPC', 'ENOSPC', 'ENOSPC'], 'batches 3 and 4 landed but follow a lost one');
    assert.deepEqual([log.lastDurableZxid, log.pendingCount], [1, 0]);
    assert.deepEqual(zxidsOf(await readAll(fs, { repair: false })), [1], 'the records of 3 and 4 are cut off');
    await writeTxns(log, [2, 3, 4]);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4]);
  });

  it('makes the next file ready in the background and rolls into it with a rename', async () => {
    const fs = new MemoryFileSystem();
    const log = new TxnLog({ fs, dir, preAllocBytes: 4096, forceSync: true, spareFile: true });
    await writeTxns(log, [1, 2]);
    await log.spareSettled();
    assert.deepEqual((await fs.list(dir)).sort(), ['log.1', spareLogFileName]);
    const spare = await fs.readFile(`${dir}/${spareLogFileName}`);
    assert.deepEqual([...spare.subarray(0, fileHeaderBytes)], [...encodeFileHeader(logMagic, 0n)], 'the header is there before the rename');
    assert.ok(spare.length >= 4096 && spare.subarray(fileHeaderBytes).every((byte) => byte === 0), 'grown and zero-filled');
    log.roll();
    await writeTxns(log, [3, 4]);
    assert.equal(log.currentFile, 'log.3');
    await log.spareSettled();
    assert.deepEqual((await fs.list(dir)).sort(), ['log.1', 'log.3', spareLogFileName], 'the next spare is on its way');
    fs.crash();
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4], 'everything flushed is durable in the renamed file; readers skip the spare');
  });

  it('makes the file as before when the spare is not ready at a roll, or cannot be made', async () => {
    for (const trouble of ['slow', 'failing'] as const) {
      const fs = new MemoryFileSystem();
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const realOpen = fs.open.bind(fs);
      fs.open = async (path) => {
        if (!path.endsWith(spareLogFileName)) return realOpen(path);
        if (trouble === 'failing') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        await gate;
        return realOpen(path);
      };
      const log = new TxnLog({ fs, dir, preAllocBytes: 4096, forceSync: true, spareFile: true });
      await writeTxns(log, [1, 2]);
      log.roll();
      await writeTxns(log, [3]);
      assert.equal(log.currentFile, 'log.3', trouble);
      release();
      await log.spareSettled();
      log.roll();
      await writeTxns(log, [4]);
      assert.equal(log.currentFile, 'log.4', trouble);
      assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4], trouble);
      await log.close();
    }
  });

  it('truncates to a zxid (ZAB TRUNC) and continues in a new file', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2, 3]);
    log.roll();
    await writeTxns(log, [4, 5]);
    await log.truncate(2);
    assert.deepEqual(await fs.list(dir), ['log.1']);
    await writeTxns(log, [3]);
    assert.deepEqual((await fs.list(dir)).sort(), ['log.1', 'log.3']);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3]);
    assert.equal(await lastLoggedZxid(fs, dir), 3);
  });
});

describe('txn log reader', () => {
  it('reads from a zxid across files, starting in the newest file named at or before it', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2, 3]);
    log.roll();
    await writeTxns(log, [4, 5, 6]);
    log.roll();
    await writeTxns(log, [7]);
    assert.deepEqual(zxidsOf(await readAll(fs, { fromZxid: 5 })), [5, 6, 7]);
    assert.deepEqual((await readAll(fs, { fromZxid: 7 }))[0]!.file, `${dir}/log.7`);
    assert.deepEqual(await readAll(fs, { fromZxid: 8 }), []);
  });

  it('keeps every synced txn after a crash that keeps any prefix of an unsynced record', async () => {
    const record = new JuteWriter();
    writeLogRecord(record, create(3).header, create(3).txn);
    for (let kept = 0; kept <= record.position; kept++) {
      const fs = new MemoryFileSystem();
      await writeTxns(newLog(fs), [1, 2]);
      const end = parseLogFile('log.1', await fs.readFile(`${dir}/log.1`)).validEnd;
      // The record reaches the file, then the power fails before its fsync: `kept` bytes survive.
      await (await fs.open(`${dir}/log.1`)).write(record.view(), end);
      fs.crash(kept);
      const expected = kept === record.position ? [1, 2, 3] : [1, 2];
      assert.deepEqual(zxidsOf(await readAll(fs)), expected, `kept ${kept}`);
      assert.deepEqual(zxidsOf(await readAll(fs)), expected, `the same again after repair, kept ${kept}`);
    }
  });

  it('truncates a torn tail at every byte offset of the last record', async () => {
    const reference = new MemoryFileSystem();
    await writeTxns(newLog(reference, { preAllocBytes: 0 }), [1, 2, 3]);
    const full = await reference.readFile(`${dir}/log.1`);
    const lastStart = parseLogFile('log.1', full).entries[2]!.offset;
    for (let cut = lastStart + 1; cut < full.length; cut++) {
      for (const padding of [0, 64]) {
        const fs = new MemoryFileSystem();
        await fs.writeFileAtomic(`${dir}/log.1`, Buffer.concat([full.subarray(0, cut), Buffer.alloc(padding)]));
        const warnings: string[] = [];
        assert.deepEqual(zxidsOf(await readAll(fs, { warnings })), [1, 2], `cut at ${cut}`);
        // Without padding the cut record is always seen; in zeros, a cut inside its checksum's high
        // (always zero) bytes leaves nothing to tell from padding, and nothing to truncate.
        if (padding === 0) assert.match(warnings.join(), /torn tail/);
        const after = parseLogFile('log.1', await fs.readFile(`${dir}/log.1`));
        assert.deepEqual([after.entries.length, after.validEnd, after.tornTail], [2, lastStart, null], `clean after repair, cut at ${cut}`);
      }
    }
  });

  it('treats a checksum mismatch in the last record as a torn tail', async () => {
    const fs = new MemoryFileSystem();
    await writeTxns(newLog(fs), [1, 2, 3]);
    const bytes = await fs.readFile(`${dir}/log.1`);
    const last = parseLogFile('log.1', bytes).entries[2]!.offset;
    bytes[last + 30]! ^= 0x01;
    await fs.writeFileAtomic(`${dir}/log.1`, bytes);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2]);
  });

  it('refuses a flipped bit in the middle of the log with an error naming file and offset', async () => {
    const fs = new MemoryFileSystem();
    await writeTxns(newLog(fs), [1, 2, 3, 4, 5]);
    const bytes = await fs.readFile(`${dir}/log.1`);
    const second = parseLogFile('log.1', bytes).entries[1]!.offset;
    for (const at of [second + 3, second + 20, second + 40]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x04;
      await fs.writeFileAtomic(`${dir}/log.1`, damaged);
      await assert.rejects(readAll(fs), (error: unknown) =>
        error instanceof CorruptLogError && error.offset === second && error.file === `${dir}/log.1` && /log\.1 at byte/.test(error.message));
    }
  });

  it('refuses a gap in zxids within an epoch, and accepts the jump to a new epoch', async () => {
    const gap = new MemoryFileSystem();
    const log = newLog(gap);
    await writeTxns(log, [1, 2, 3]);
    log.roll();
    await writeTxns(log, [7]);
    await assert.rejects(readAll(gap), (error: unknown) => error instanceof ZxidGapError && error.zxid === 7 && error.previousZxid === 3);
    const newEpoch = new MemoryFileSystem();
    const next = newLog(newEpoch);
    await writeTxns(next, [epoch1 + 1, epoch1 + 2]);
    next.roll();
    await writeTxns(next, [2 * epoch1 + 1]);
    assert.deepEqual(zxidsOf(await readAll(newEpoch)), [epoch1 + 1, epoch1 + 2, 2 * epoch1 + 1]);
  });

  it('refuses a log that starts after the zxid asked for (a missing file)', async () => {
    const fs = new MemoryFileSystem();
    await writeTxns(newLog(fs, { lastZxid: 4 }), [5, 6]);
    await assert.rejects(readAll(fs, { fromZxid: 3 }), ZxidGapError);
  });

  it('skips, with a warning, a torn record in an older file when the next file continues the log', async () => {
    const fs = new MemoryFileSystem();
    await writeTxns(newLog(fs), [1, 2, 3]);
    // ZooKeeper restarted after the crash and logged zxid 3 again, in a new file.
    await writeTxns(newLog(fs, { lastZxid: 2 }), [3]);
    const bytes = await fs.readFile(`${dir}/log.1`);
    const third = parseLogFile('log.1', bytes).entries[2]!.offset;
    await fs.writeFileAtomic(`${dir}/log.1`, Buffer.concat([bytes.subarray(0, third + 20), Buffer.alloc(100)]));
    const warnings: string[] = [];
    assert.deepEqual(zxidsOf(await readAll(fs, { warnings })), [1, 2, 3]);
    assert.match(warnings.join(), /skipping a torn record/);
  });

  it('removes a newest log file whose header never reached the disk', async () => {
    const fs = new MemoryFileSystem();
    await writeTxns(newLog(fs), [1, 2]);
    await fs.writeFileAtomic(`${dir}/log.3`, Buffer.from(encodeFileHeader(logMagic, 0n).subarray(0, 6)));
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2]);
    assert.deepEqual(await fs.list(dir), ['log.1']);
  });

  it('rejects a file that is not a txn log, naming it', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic(`${dir}/log.1`, Buffer.from('definitely not a zookeeper log file'));
    await assert.rejects(readAll(fs), (error: unknown) => error instanceof BadFileError && /log\.1: wrong magic/.test(error.message));
    const wrongVersion = Buffer.from(encodeFileHeader(logMagic, 0n));
    wrongVersion.writeInt32BE(3, 4);
    await fs.writeFileAtomic(`${dir}/log.1`, Buffer.concat([wrongVersion, Buffer.alloc(32)]));
    await assert.rejects(readAll(fs), /unsupported format version 3/);
  });

  it('hands files over one at a time and refuses the next before the last is read to its end', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2]);
    log.roll();
    await writeTxns(log, [3]);
    const files = readLogFiles({ fs, dir, fromZxid: 2 });
    const first = (await files.next()).value!;
    assert.equal(first.path, `${dir}/log.1`);
    assert.equal(first.next()!.header.zxid, 2);
    await assert.rejects(files.next(), AssertionError);
  });

  it('counts the creates logged from a zxid on, from record headers alone', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2, 3]);
    log.append({ sessionId: 5n, cxid: 4, zxid: 4, time: 0, type: OpCode.setData }, { type: OpCode.setData, path: '/n1', data: Buffer.from('x'), version: -1 });
    await writeTxns(log, [5]);
    const bytes = await fs.readFile(`${dir}/log.1`);
    assert.equal(createRecordsFrom(bytes, 0), 4);
    assert.equal(createRecordsFrom(bytes, 3), 2);
    assert.equal(createRecordsFrom(bytes, 6), 0);
  });

  it('truncateLog keeps txns up to the zxid, cuts padding, and deletes later files', async () => {
    const fs = new MemoryFileSystem();
    const log = newLog(fs);
    await writeTxns(log, [1, 2, 3]);
    log.roll();
    await writeTxns(log, [4, 5]);
    await log.close();
    await truncateLog(fs, { dir, zxid: 4 });
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2, 3, 4]);
    const kept = await fs.readFile(`${dir}/log.4`);
    assert.equal(kept.length, parseLogFile('log.4', kept).validEnd);
    await truncateLog(fs, { dir, zxid: 2 });
    assert.deepEqual(await fs.list(dir), ['log.1']);
    assert.deepEqual(zxidsOf(await readAll(fs)), [1, 2]);
  });
});
