// Every failure the fuzz targets found, as a named case with its minimal input. Each failed before
// its fix (the commit that added it says which); the fuzz target that found it is in parentheses.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, JuteDecodeError, JuteReader, JuteWriter, OpCode, type Txn, readTxn } from '../../src/proto/index.js';
import { frameBytesMax } from '../../src/util/limits.js';
import { ConfigError, configFromEntries, parseZooCfgText } from '../../src/runtime/zoo-cfg.js';
import {
  CorruptLogError, MemoryFileSystem, encodeFileHeader, logDbid, logMagic, parseLogFile, readLog, writeLogRecord,
} from '../../src/storage/index.js';

describe('fuzz regressions: frame decoder (found reviewing frame-garbage)', () => {
  // Joining every piece to the ones before was quadratic: this took ~10 s (1-byte pieces: minutes,
  // with the event loop blocked for every other session). Copied once per byte it takes well under 1 s.
  it('assembles a frame of jute.maxbuffer bytes sent 16 bytes at a time without quadratic copying', { timeout: 5000 }, () => {
    const frame = Buffer.alloc(4 + frameBytesMax, 7);
    frame.writeInt32BE(frameBytesMax, 0);
    const decoder = new FrameDecoder();
    const frames: number[] = [];
    for (let at = 0; at < frame.length; at += 16) decoder.push(frame.subarray(at, at + 16), (payload) => void frames.push(payload.length));
    assert.deepEqual(frames, [frameBytesMax]);
    assert.equal(decoder.bufferedBytes, 0);
  });
});

/** A multi txn body holding one sub-txn: `body` as a txn of `type`. */
function multiHolding(type: number, body: Uint8Array): Buffer {
  return new JuteWriter(body.length + 12).int(1).int(type).buffer(body).toBuffer();
}

describe('fuzz regressions: txn codec (record-garbage)', () => {
  it('refuses a multi txn inside a multi txn with JuteDecodeError', () => {
    const inner = new JuteWriter(4).int(0).toBuffer();
    assert.throws(() => readTxn(new JuteReader(multiHolding(OpCode.multi, inner)), OpCode.multi), JuteDecodeError);
  });

  it('refuses 20000 nested multi txns with JuteDecodeError, not a stack overflow', () => {
    // Written outside in: each level is {count 1, type multi, length of the level inside}.
    const depth = 20_000;
    const writer = new JuteWriter(12 * depth + 4);
    for (let level = depth; level > 0; level--) writer.int(1).int(OpCode.multi).int(12 * (level - 1) + 4);
    writer.int(0);
    assert.throws(() => readTxn(new JuteReader(writer.toBuffer()), OpCode.multi), JuteDecodeError);
  });
});

const header = (zxid: number, type: number) => ({ sessionId: 1n, cxid: 0, zxid, time: 1, type });
const setData = (value: string): Txn => ({ type: OpCode.setData, path: '/a', data: Buffer.from(value), version: 1 });

/** A log file of three setData records, zero-padded to 1 KiB; and where each record starts. */
function threeRecordLog(): { bytes: Buffer; offsets: number[] } {
  const writer = new JuteWriter(1024).raw(encodeFileHeader(logMagic, logDbid));
  const offsets: number[] = [];
  for (const zxid of [1, 2, 3]) {
    offsets.push(writer.position);
    writeLogRecord(writer, header(zxid, OpCode.setData), setData(`v${zxid}`));
  }
  const bytes = Buffer.alloc(1024);
  writer.view().copy(bytes);
  return { bytes, offsets };
}

describe('fuzz regressions: txn log file (log-file-mutated)', () => {
  it('calls a zeroed record header with valid records after it corruption, not the end of the log', () => {
    const { bytes, offsets } = threeRecordLog();
    bytes.fill(0, offsets[1]!, offsets[1]! + 12);
    const contents = parseLogFile('log.1', bytes);
    assert.equal(contents.entries.length, 1);
    assert.deepEqual(contents.corruption?.offset, offsets[1]);
    assert.equal(contents.tornTail, null);
  });

  it('refuses to recover past a zeroed record header in the middle of the newest log', async () => {
    const { bytes, offsets } = threeRecordLog();
    bytes.fill(0, offsets[1]!, offsets[1]! + 12);
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/d/log.1', bytes);
    const read = async (): Promise<void> => {
      for await (const entry of readLog({ fs, dir: '/d', fromZxid: 1, repairTornTail: true })) assert.equal(entry.header.zxid, 1);
    };
    await assert.rejects(read(), (error: unknown) => error instanceof CorruptLogError && error.message.includes(`/d/log.1 at byte ${offsets[1]}`));
  });

  it('calls a zeroed header of the last record, its body still there, a torn tail', async () => {
    const { bytes, offsets } = threeRecordLog();
    bytes.fill(0, offsets[2]!, offsets[2]! + 12);
    const contents = parseLogFile('log.1', bytes);
    assert.equal(contents.entries.length, 2);
    assert.equal(contents.corruption, null);
    assert.equal(contents.tornTail?.offset, offsets[2]);
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/d/log.1', bytes);
    const warnings: string[] = [];
    for await (const entry of readLog({ fs, dir: '/d', fromZxid: 1, repairTornTail: true, warn: (line) => void warnings.push(line) })) {
      assert.ok(entry.header.zxid <= 2);
    }
    assert.match(warnings.join('\n'), /truncating a torn tail/);
    assert.equal(await fs.fileSize('/d/log.1'), offsets[2]);
  });
});

describe('fuzz regressions: zoo.cfg (zoo-cfg)', () => {
  it('keeps "__proto__=1" as an unknown key instead of throwing a TypeError', () => {
    const config = configFromEntries(parseZooCfgText('__proto__=1\ntoString=x'));
    assert.deepEqual(Object.entries(config.extra), [['__proto__', '1'], ['toString', 'x']]);
  });

  it('refuses autopurge.purgeInterval=597, whose period overflows Node timers into a purge every millisecond', () => {
    assert.throws(() => configFromEntries(new Map([['autopurge.purgeInterval', '597']])), /autopurge.purgeInterval: 597 is outside/);
    assert.equal(configFromEntries(new Map([['autopurge.purgeInterval', '596']])).autopurgePurgeIntervalHours, 596);
    assert.equal(configFromEntries(new Map([['autopurge.purgeInterval', '-1']])).autopurgePurgeIntervalHours, 0);
  });

  it('refuses integers beyond a Java int and timer periods beyond 2^31 - 1 ms, naming the key', () => {
    assert.throws(() => configFromEntries(new Map([['tickTime', '99999999999999999999']])), /^ConfigError: tickTime: /);
    assert.throws(() => configFromEntries(new Map([['znode.container.checkIntervalMs', '0']])), /znode.container.checkIntervalMs: 0 is outside/);
    assert.throws(() => configFromEntries(new Map([['snapCount', '2147483648']])), /snapCount: /);
    assert.throws(() => configFromEntries(new Map([['globalOutstandingLimit', '0']])), /globalOutstandingLimit: /);
  });

  it('refuses a myid that does not fit the top byte of session ids, and 255 while TTL nodes are on', () => {
    assert.throws(() => configFromEntries(new Map([['myid', '300']])), /myid: 300 is outside \[0, 255\]/);
    assert.throws(() => configFromEntries(new Map([['myid', '255']])), (error: unknown) => error instanceof ConfigError && /myid 255/.test(error.message));
    assert.equal(configFromEntries(new Map([['myid', '255'], ['extendedTypesEnabled', 'false']])).serverId, 255);
  });

  it('reads minSessionTimeout=-1 as ZooKeeper does: derived from tickTime', () => {
    const config = configFromEntries(new Map([['tickTime', '500'], ['minSessionTimeout', '-1'], ['maxSessionTimeout', '-1']]));
    assert.equal(config.minSessionTimeoutMs, 1000);
    assert.equal(config.maxSessionTimeoutMs, 10_000);
  });
});
