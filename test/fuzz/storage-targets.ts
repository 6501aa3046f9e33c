// Fuzz targets of src/storage: the txn log record codec, the log file parser, the snapshot reader and
// recovery, on the real files ZooKeeper 3.8 wrote and on files Meerkat writes, mutated.
//
// What a reader may do with a damaged file: read it correctly, stop at a torn tail (entries read so
// far are exactly the original's first ones and nothing valid follows), or refuse it with a
// StorageError naming the file. It must never throw anything else, and never load something other
// than the original: whenever it claims success, its result is compared with the undamaged file's.
// Random bytes behind a valid header (storage-garbage) must be read or refused the same way.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JuteWriter, OpCode } from '../../src/proto/index.js';
import { DataTree } from '../../src/tree/index.js';
import {
  BadFileError, type LogEntry, SnapshotReader, StorageError, encodeFileHeader, logDbid, logMagic, parseLogFile, parseLogRecord,
  recover, snapshotMagic, writeLogRecord,
} from '../../src/storage/index.js';
import { normalForm, txn, txnDigest, txnHeader } from './arbitraries.js';
import {
  type DataDirFiles, memoryDataDir, meerkatFiles, newestLog, referenceStates, stateKey, zookeeperFiles,
} from './data-dirs.js';
import { cuts, mutate, mutations, split } from './mutations.js';
import { type FuzzTarget, pureTarget } from './target.js';

const logRecordRoundTrip = pureTarget({
  name: 'log-record-round-trip',
  claim: 'a txn log record (header, body, optional digest) parses back to what was written',
  ciRuns: 3000,
  property: () => fc.property(
    txn.chain((body) => fc.record({ header: txnHeader(body.type), txn: fc.constant(body), digest: fc.option(txnDigest, { nil: null }) })),
    ({ header, txn: body, digest }) => {
      // A closeSession without its path list cannot carry a digest (writeLogRecord asserts it).
      const logged = body.type === OpCode.closeSession && body.paths2Delete === null ? null : digest;
      const writer = new JuteWriter(64);
      writeLogRecord(writer, header, body, logged);
      const bytes = writer.toBuffer();
      const parsed = parseLogRecord(bytes, 0);
      assert.equal(parsed.kind, 'entry', parsed.kind === 'bad' ? parsed.reason : parsed.kind);
      if (parsed.kind !== 'entry') return;
      assert.deepEqual(normalForm(parsed.entry), normalForm({ header, txn: body, digest: logged, offset: 0 }));
      assert.equal(parsed.next, bytes.length);
    },
  ),
});

/** Every file of both data directories whose name starts with `prefix`, with where it came from. */
async function baseFiles(prefix: string): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const dirs: Array<[string, DataDirFiles]> = [['zookeeper', zookeeperFiles()], ['meerkat', await meerkatFiles()]];
  return dirs.flatMap(([dir, files]) => [...files].filter(([name]) => name.startsWith(prefix))
    .map(([name, bytes]) => ({ name: `/${dir}/version-2/${name}`, bytes })));
}

function assertNamesFile(error: unknown, file: string): void {
  if (!(error instanceof StorageError)) throw error;
  assert.ok(error.message.includes(file), `${error.name} does not name ${file}: ${error.message}`);
}

/** The whole bytes of each record of an undamaged file. */
function recordBytes(bytes: Uint8Array, entries: readonly LogEntry[]): Buffer[] {
  return entries.map((entry, index) => Buffer.from(bytes.subarray(entry.offset, entries[index + 1]?.offset ?? lastRecordEnd(bytes, entry))));
}

/** Where the last record ends: crc (8), length (4), the entry, the end marker (1). */
function lastRecordEnd(bytes: Uint8Array, entry: LogEntry): number {
  return entry.offset + 13 + new DataView(bytes.buffer, bytes.byteOffset).getInt32(entry.offset + 8);
}

const logFileMutated: FuzzTarget = {
  name: 'log-file-mutated',
  claim: 'a mutated txn log file is read whole, cut at a torn tail with nothing valid after, or refused naming the file',
  ciRuns: 2000,
  async open() {
    const originals = (await baseFiles('log.')).map((file) => {
      const entries = parseLogFile(file.name, file.bytes).entries;
      return { ...file, entries, records: recordBytes(file.bytes, entries) };
    });
    const property = fc.property(fc.nat({ max: originals.length - 1 }), mutations, (index, changes) => {
      const original = originals[index]!;
      const bytes = mutate(original.bytes, changes);
      let contents: ReturnType<typeof parseLogFile>;
      try {
        contents = parseLogFile(original.name, bytes);
      } catch (error) {
        if (!(error instanceof BadFileError)) throw error;
        return assertNamesFile(error, original.name);
      }
      const read = contents.entries.length;
      assert.ok(read <= original.entries.length, `${read} entries from a file of ${original.entries.length}`);
      assert.deepEqual(normalForm(contents.entries), normalForm(original.entries.slice(0, read)));
      const damage = contents.corruption ?? contents.tornTail;
      if (damage === null) {
        if (read < original.entries.length) {
          const rest = bytes.subarray(contents.validEnd);
          assert.ok(rest.every((byte) => byte === 0), `clean end at byte ${contents.validEnd} of ${bytes.length}, with non-zero bytes after it`);
        }
        return;
      }
      assert.equal(damage.offset, contents.validEnd);
      if (contents.tornTail === null) return;
      for (const [at, record] of original.records.entries()) {
        if (at < read) continue;
        const found = bytes.indexOf(record, contents.validEnd + 1);
        assert.ok(found < 0, `torn tail at byte ${contents.validEnd}, but original record ${at} is intact at byte ${found}`);
      }
    });
    return { property, close: async () => {} };
  },
};

const snapshotMutated: FuzzTarget = {
  name: 'snapshot-mutated',
  claim: 'a mutated snapshot, read in any chunks, loads the original tree or is refused naming the file',
  ciRuns: 2000,
  async open() {
    const originals = (await baseFiles('snapshot.')).map((file) => {
      const tree = new DataTree({ withSystemNodes: false });
      const reader = new SnapshotReader(file.name, tree);
      reader.push(file.bytes);
      const loaded = reader.end();
      return { ...file, key: stateKey(tree, loaded.sessions), digest: normalForm(loaded.digest) };
    });
    const property = fc.property(fc.nat({ max: originals.length - 1 }), mutations, cuts, (index, changes, points) => {
      const original = originals[index]!;
      const bytes = mutate(original.bytes, changes);
      const tree = new DataTree({ withSystemNodes: false });
      let loaded: ReturnType<SnapshotReader['end']>;
      try {
        const reader = new SnapshotReader(original.name, tree, { totalBytes: bytes.length });
        for (const chunk of split(bytes, points)) reader.push(chunk);
        loaded = reader.end();
      } catch (error) {
        return assertNamesFile(error, original.name);
      }
      assert.equal(stateKey(tree, loaded.sessions), original.key, 'a damaged snapshot loaded a different tree');
      // The digest section is optional (ZooKeeper before 3.6 writes none), so a file cut right after
      // the first seal still loads, the tree verified by that seal, without its digest.
      if (loaded.digest !== null) assert.deepEqual(normalForm(loaded.digest), original.digest);
    });
    return { property, close: async () => {} };
  },
};

const recoveryMutated: FuzzTarget = {
  name: 'recovery-mutated',
  claim: 'recovery on a data directory with one mutated file reaches the state the files describe, or fails naming a file',
  ciRuns: 1000,
  async open() {
    const dirs = await Promise.all([zookeeperFiles(), await meerkatFiles()].map(async (files) => ({
      files, names: [...files.keys()], newestLog: newestLog(files), reference: await referenceStates(files),
    })));
    const property = fc.asyncProperty(fc.nat({ max: dirs.length - 1 }), fc.nat(), mutations, async (dirIndex, fileIndex, changes) => {
      const dir = dirs[dirIndex]!;
      const name = dir.names[fileIndex % dir.names.length]!;
      const damaged = new Map(dir.files).set(name, mutate(dir.files.get(name)!, changes));
      const fs = await memoryDataDir(damaged, '/data/version-2');
      const recovery = (): ReturnType<typeof recover<unknown>> => recover({
        fs, dataDir: '/data', dataLogDir: '/data', createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => {},
      });
      let state: Awaited<ReturnType<typeof recovery>>;
      try {
        state = await recovery();
      } catch (error) {
        return assertNamesFile(error, '/data/version-2');
      }
      const expected = dir.reference.byZxid.get(state.lastZxid);
      assert.ok(expected !== undefined, `recovered to zxid 0x${state.lastZxid.toString(16)}, which no txn has`);
      if (state.lastZxid !== dir.reference.lastZxid) {
        assert.equal(name, dir.newestLog, `recovery stopped at 0x${state.lastZxid.toString(16)} with ${name} damaged`);
      }
      assert.equal(stateKey(state.tree, state.sessions), expected, 'recovery loaded a state the files do not describe');
      // A torn tail was cut: the directory now recovers to the same state, without repair.
      const again = await recovery();
      assert.equal(again.lastZxid, state.lastZxid);
    });
    return { property, close: async () => {} };
  },
};

/** A valid file header of `magic`, then random bytes, or random records' worth of them. */
function headedGarbage(magic: number): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength: 400 }).map((body) => Buffer.concat([encodeFileHeader(magic, magic === logMagic ? logDbid : -1n), body]));
}

const storageGarbage = pureTarget({
  name: 'storage-garbage',
  claim: 'random bytes after a valid header, as a txn log or a snapshot in any chunks, are read or refused naming the file',
  ciRuns: 3000,
  property: () => fc.property(fc.boolean(), fc.oneof(headedGarbage(logMagic), headedGarbage(snapshotMagic), fc.uint8Array({ maxLength: 64 })), cuts,
    (asLog, bytes, points) => {
      const file = '/garbage/version-2/file';
      try {
        if (asLog) {
          const contents = parseLogFile(file, bytes);
          const damage = contents.corruption ?? contents.tornTail;
          if (damage !== null) assert.equal(damage.offset, contents.validEnd);
          return;
        }
        const reader = new SnapshotReader(file, new DataTree({ withSystemNodes: false }), { totalBytes: bytes.length });
        for (const chunk of split(bytes, points)) reader.push(chunk);
        reader.end();
      } catch (error) {
        assertNamesFile(error, file);
      }
    }),
});

export const storageTargets: FuzzTarget[] = [logRecordRoundTrip, logFileMutated, snapshotMutated, recoveryMutated, storageGarbage];
