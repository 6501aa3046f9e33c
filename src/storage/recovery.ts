// Recovery at start-up (FileTxnSnapLog.restore): the newest snapshot that verifies, then every logged
// txn after it, applied in zxid order (replay is idempotent, so the overlap with a fuzzy snapshot is
// harmless; replay.ts repairs the parents of nodes the snapshot caught early, as ZooKeeper does). A
// torn tail in the newest log file (a crash mid-append) is truncated; any other damage, or a gap in
// zxids, stops start-up with an error naming the file and offset (txn-log-reader.ts).
// Snapshot-only damage falls back to an older snapshot, as ZooKeeper does; if none verifies, start-up
// fails rather than serve an empty tree. With `writeInitialSnapshot`, a data directory without any
// snapshot gets one, durable before recover() returns (so before the server serves): `snapshot.0` of
// the fresh tree on an empty directory, as ZooKeeper writes one, or `snapshot.<last zxid>` of the
// replayed tree when only logs exist (written by a Meerkat that did not do this yet). ZooKeeper
// refuses to start on a directory with logs but no snapshot ("No snapshot found, but there are log
// entries"), so this is what lets it start on any directory Meerkat wrote.
//
// Digests are compared as ZooKeeper does: the snapshot's digest when replay reaches its zxid, then
// each replayed txn's TxnDigest. A mismatch is reported through `warn` (ZooKeeper logs it and counts
// it in a metric) and counted in the result; it does not stop start-up.

import { gunzipSync } from 'node:zlib';
import { OpCode, type TxnDigest } from '../proto/index.js';
import type { DataTree } from '../tree/index.js';
import { type SnapshotFile, isSnapshotTempFile, sortedSnapshots, versionDirName } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';
import { type LoadedSnapshot, type SnapshotDigest, SnapshotReader, type SnapshotTarget, loadSnapshot } from './snapshot-reader.js';
import { digestVersion, writeSnapshotFile } from './snapshot-writer.js';
import { limits } from '../util/index.js';
import { BadFileError, SnapshotChecksumError } from './storage-errors.js';
import { replayTxn } from './replay.js';
import { createRecordsFrom } from './txn-log-format.js';
import { logFilesFrom, readLogFiles } from './txn-log-reader.js';

export interface RecoveryOptions<W> {
  fs: FileSystem;
  dataDir: string;
  dataLogDir: string;
  /** Makes a tree: with ZooKeeper's system nodes for a fresh start, empty to load a snapshot into. */
  createTree: (withSystemNodes: boolean) => DataTree<W>;
  /** Told about things an operator should know (a truncated tail, a skipped snapshot, a digest mismatch). */
  warn: (message: string) => void;
  /** Write a snapshot (fsynced) when the directory holds none: `snapshot.0`, or one at the last logged zxid (default false). */
  writeInitialSnapshot?: boolean;
  /** Computes snapshot checksums elsewhere (runtime/: on another thread) while the snapshot is parsed; default: inline. */
  prefixChecksums?: PrefixChecksums;
}

/**
 * Adler-32 of a file's prefixes, computed off the loading thread: the restart on 10^6 znodes spent
 * ~12 % of its time summing the snapshot, which a second core can do while the first parses it.
 */
export interface PrefixChecksums {
  /** Starts summing `path`; `at` resolves with the Adler-32 of bytes [0, offset) for each offset. */
  start(path: string): { at(offsets: readonly number[]): Promise<number[]>; cancel(): Promise<void> };
}

export interface RecoveredState<W> {
  tree: DataTree<W>;
  /** Live sessions: id → timeout in ms. */
  sessions: Map<bigint, number>;
  /** The newest zxid in the tree (0 for a fresh start). */
  lastZxid: number;
  /** The snapshot the tree was loaded from (null when there was none, even if one was written). */
  snapshotFile: string | null;
  txnsReplayed: number;
  /** Digests (snapshot and per txn) that differed from the tree's: 0 on a healthy data directory. */
  digestMismatches: number;
}

interface LoadedState<W> {
  tree: DataTree<W>;
  sessions: Map<bigint, number>;
  zxid: number;
  file: string | null;
  digest: SnapshotDigest | null;
}

/**
 * Uncompressed snapshots are read in pieces of this size: the tree copies node data out of each, so
 * restarting on a 200 MB snapshot never holds the whole file.
 */
const snapshotReadChunkBytes = 1 << 20;

/** Loads a snapshot file into `tree` (SnapStream: the checksum covers the uncompressed stream). */
async function loadSnapshotFile(
  fs: FileSystem, path: string, file: SnapshotFile, tree: SnapshotTarget, options: { prefixChecksums?: PrefixChecksums; nodesAfter: number },
): Promise<LoadedSnapshot> {
  const { prefixChecksums, nodesAfter } = options;
  if (file.compression === 'snappy') {
    throw new BadFileError(path, 'snappy-compressed snapshots are not supported; let ZooKeeper write one with zookeeper.snapshot.compression.method=none, or use gzip');
  }
  if (file.compression === 'gzip') {
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(await fs.readFile(path));
    } catch (error) {
      throw new BadFileError(path, `not a readable gzip stream: ${(error as Error).message}`);
    }
    return loadSnapshot(path, bytes, tree);
  }
  const job = prefixChecksums?.start(path);
  try {
    const reader = new SnapshotReader(path, tree, { totalBytes: await fs.fileSize(path), deferChecksums: job !== undefined, nodesAfter });
    for await (const piece of fs.readChunks(path, { chunkBytes: snapshotReadChunkBytes })) reader.push(piece);
    const loaded = reader.end();
    if (job === undefined) return loaded;
    const seals = loaded.unverifiedSeals;
    const computed = await job.at(seals.map((seal) => seal.offset));
    seals.forEach((seal, index) => {
      if (computed[index] !== seal.stored) throw new SnapshotChecksumError(path, { stored: seal.stored, computed: computed[index]! });
    });
    return { ...loaded, unverifiedSeals: [] };
  } finally {
    // Waited for: a server measured (or asked for its RSS) once serving has the thread's memory back.
    await job?.cancel();
  }
}

/**
 * How many creates the log holds after `zxid`: the nodes replay may add to a snapshot taken there.
 * The tree is sized for them while the snapshot loads: sizing it again after the load rehashed its
 * whole child index, a third of replaying 10^5 creates onto 9 × 10^5 nodes. Reads only record headers.
 */
async function createsLoggedAfter(fs: FileSystem, logDir: string, zxid: number): Promise<number> {
  let creates = 0;
  for (const file of await logFilesFrom(fs, logDir, zxid + 1)) creates += createRecordsFrom(await fs.readFile(joinPath(logDir, file.name)), zxid + 1);
  return creates;
}

async function loadNewestSnapshot<W>(options: RecoveryOptions<W>, dirs: { snapDir: string; logDir: string }): Promise<LoadedState<W> | null> {
  const { snapDir, logDir } = dirs;
  const names = await options.fs.list(snapDir);
  for (const name of names.filter(isSnapshotTempFile)) {
    options.warn(`${joinPath(snapDir, name)}: removing an unfinished snapshot (a crash while it was written)`);
    await options.fs.remove(joinPath(snapDir, name));
  }
  const snapshots = sortedSnapshots(names).reverse().slice(0, limits.snapshotsTriedMax);
  const failures: string[] = [];
  for (const snapshot of snapshots) {
    const path = joinPath(snapDir, snapshot.name);
    const tree = options.createTree(false);
    try {
      const nodesAfter = await createsLoggedAfter(options.fs, logDir, snapshot.zxid);
      const loaded = await loadSnapshotFile(options.fs, path, snapshot, tree, { prefixChecksums: options.prefixChecksums, nodesAfter });
      if (failures.length > 0) options.warn(`skipped damaged snapshots: ${failures.join('; ')}`);
      return { tree, sessions: loaded.sessions, zxid: snapshot.zxid, file: path, digest: loaded.digest };
    } catch (error) {
      if (!(error instanceof BadFileError)) throw error;
      failures.push(error.message);
    }
  }
  if (failures.length > 0) throw new BadFileError(snapDir, `no snapshot verifies: ${failures.join('; ')}`);
  return null;
}

/** Compares digests as ZooKeeper's DataTree does, counting and reporting mismatches. */
class DigestCheck {
  mismatches = 0;

  constructor(private readonly tree: DataTree<unknown>, private pendingSnapshot: SnapshotDigest | null, private readonly warn: (message: string) => void) {
    // ZooKeeper writes zxid 0 when it had no digest yet ("the digest value is empty"): nothing to compare.
    if (pendingSnapshot !== null && (pendingSnapshot.zxid <= 0 || pendingSnapshot.version !== digestVersion)) this.pendingSnapshot = null;
  }

  /** Called with the tree at `zxid` (after loading, then after each replayed txn). */
  at(zxid: number, txnDigest: TxnDigest | null): void {
    const pending = this.pendingSnapshot;
    if (pending !== null) {
      if (zxid < pending.zxid) return;
      this.pendingSnapshot = null;
      // Txn digests are compared only once the fuzzy snapshot has caught up to its own digest.
      if (zxid === pending.zxid) this.compare(zxid, pending.digest, 'the snapshot');
      return;
    }
    if (txnDigest !== null && txnDigest.version === digestVersion) this.compare(zxid, txnDigest.treeDigest, 'its log record');
  }

  private compare(zxid: number, expected: bigint, source: string): void {
    const actual = BigInt.asIntN(64, this.tree.digest());
    if (actual === BigInt.asIntN(64, expected)) return;
    if (this.mismatches++ === 0) {
      this.warn(`tree digest at zxid 0x${zxid.toString(16)} is 0x${BigInt.asUintN(64, actual).toString(16)}, ` +
        `${source} says 0x${BigInt.asUintN(64, expected).toString(16)} (later mismatches are only counted)`);
    }
  }
}

export async function recover<W>(options: RecoveryOptions<W>): Promise<RecoveredState<W>> {
  const { fs } = options;
  const snapDir = joinPath(options.dataDir, versionDirName);
  const logDir = joinPath(options.dataLogDir, versionDirName);
  await fs.mkdir(snapDir);
  await fs.mkdir(logDir);
  const loaded = await loadNewestSnapshot(options, { snapDir, logDir });
  const state: LoadedState<W> = loaded ?? { tree: options.createTree(true), sessions: new Map(), zxid: 0, file: null, digest: null };
  const { tree, sessions } = state;
  tree.lastProcessedZxid = state.zxid;
  const digests = new DigestCheck(tree as DataTree<unknown>, state.digest, options.warn);
  digests.at(state.zxid, null);
  let lastZxid = state.zxid;
  let replayed = 0;
  const fromZxid = state.zxid + 1;
  for await (const file of readLogFiles({ fs, dir: logDir, fromZxid, repairTornTail: true, warn: options.warn })) {
    tree.reserve(createRecordsFrom(file.bytes, fromZxid));
    for (let entry = file.next(); entry !== null; entry = file.next()) {
      const { header, txn } = entry;
      replayTxn(tree, header, txn);
      if (txn.type === OpCode.createSession) sessions.set(header.sessionId, txn.timeOut);
      else if (txn.type === OpCode.closeSession) sessions.delete(header.sessionId);
      lastZxid = header.zxid;
      tree.lastProcessedZxid = lastZxid;
      digests.at(lastZxid, entry.digest);
      replayed++;
    }
  }
  if (options.writeInitialSnapshot === true && loaded === null) {
    // Nothing changes the tree while this runs: the snapshot is exact at lastZxid, not fuzzy.
    await writeSnapshotFile(tree, { fs, dir: snapDir, sessions, zxid: lastZxid });
  }
  return { tree, sessions, lastZxid, snapshotFile: state.file, txnsReplayed: replayed, digestMismatches: digests.mismatches };
}
