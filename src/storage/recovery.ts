// Recovery at start-up: the newest snapshot that verifies, then every logged txn after it, applied in
// zxid order (replay is idempotent, so the overlap with a fuzzy snapshot is harmless). A torn tail in
// the last log file (a crash mid-append) is truncated; any other damage, or a gap in zxids, stops
// start-up with an error naming the file and offset. Snapshot-only damage falls back to an older
// snapshot, as ZooKeeper does; if no snapshot verifies, start-up fails rather than serve an empty tree.

import { OpCode } from '../proto/index.js';
import { type DataTree, applyTxn } from '../tree/index.js';
import { zxidEpoch } from '../util/index.js';
import { sortedFiles, versionDirName } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';
import { loadSnapshot } from './snapshot-format.js';
import { BadFileError, CorruptLogError, ZxidGapError } from './storage-errors.js';
import { fileHeaderBytes, parseLogFile } from './txn-log-format.js';

export interface RecoveryOptions<W> {
  fs: FileSystem;
  dataDir: string;
  dataLogDir: string;
  /** Makes a tree: with ZooKeeper's system nodes for a fresh start, empty to load a snapshot into. */
  createTree: (withSystemNodes: boolean) => DataTree<W>;
  /** Told about things an operator should know (a truncated tail, a skipped snapshot). */
  warn: (message: string) => void;
}

export interface RecoveredState<W> {
  tree: DataTree<W>;
  /** Live sessions: id → timeout in ms. */
  sessions: Map<bigint, number>;
  lastZxid: number;
  snapshotFile: string | null;
  txnsReplayed: number;
}

async function loadNewestSnapshot<W>(options: RecoveryOptions<W>, snapDir: string): Promise<{
  tree: DataTree<W>; sessions: Map<bigint, number>; zxid: number; file: string | null;
}> {
  const snapshots = sortedFiles(await options.fs.list(snapDir), 'snapshot').reverse();
  const failures: string[] = [];
  for (const snapshot of snapshots) {
    const path = joinPath(snapDir, snapshot.name);
    const tree = options.createTree(false);
    try {
      const loaded = loadSnapshot(path, await options.fs.readFile(path), tree as DataTree<unknown>);
      if (failures.length > 0) options.warn(`skipped damaged snapshots: ${failures.join('; ')}`);
      return { tree, sessions: loaded.sessions, zxid: snapshot.zxid, file: path };
    } catch (error) {
      if (!(error instanceof BadFileError)) throw error;
      failures.push(error.message);
    }
  }
  if (failures.length > 0) throw new BadFileError(snapDir, `no snapshot verifies: ${failures.join('; ')}`);
  return { tree: options.createTree(true), sessions: new Map(), zxid: 0, file: null };
}

function headerNeverWritten(bytes: Uint8Array): boolean {
  return bytes.subarray(0, fileHeaderBytes).every((byte) => byte === 0);
}

export async function recover<W>(options: RecoveryOptions<W>): Promise<RecoveredState<W>> {
  const { fs } = options;
  const snapDir = joinPath(options.dataDir, versionDirName);
  const logDir = joinPath(options.dataLogDir, versionDirName);
  await fs.mkdir(snapDir);
  await fs.mkdir(logDir);
  const { tree, sessions, zxid: snapshotZxid, file: snapshotFile } = await loadNewestSnapshot(options, snapDir);

  const logs = sortedFiles(await fs.list(logDir), 'log');
  let first = 0;
  logs.forEach((log, index) => {
    if (log.zxid <= snapshotZxid + 1) first = index;
  });
  let lastZxid = snapshotZxid;
  let replayed = 0;
  for (let index = first; index < logs.length; index++) {
    const path = joinPath(logDir, logs[index]!.name);
    const bytes = await fs.readFile(path);
    const isLast = index === logs.length - 1;
    if (isLast && headerNeverWritten(bytes)) {
      // A crash between creating the newest log file and syncing its header: it holds nothing.
      options.warn(`${path}: removing a log file whose header was never written`);
      await fs.remove(path);
      break;
    }
    const contents = parseLogFile(path, bytes);
    const damage = contents.corruption ?? (isLast ? null : contents.tornTail);
    if (damage !== null) throw new CorruptLogError(path, damage.offset, damage.reason);
    for (const { header, txn, offset } of contents.entries) {
      if (header.zxid <= lastZxid) continue;
      const sameEpoch = zxidEpoch(header.zxid) === zxidEpoch(lastZxid);
      if (lastZxid > 0 && sameEpoch && header.zxid !== lastZxid + 1) {
        throw new ZxidGapError(path, offset, lastZxid, header.zxid);
      }
      applyTxn(tree, header, txn);
      if (txn.type === OpCode.createSession) sessions.set(header.sessionId, txn.timeOut);
      else if (txn.type === OpCode.closeSession) sessions.delete(header.sessionId);
      lastZxid = header.zxid;
      replayed++;
    }
    if (contents.tornTail !== null) {
      options.warn(`${path}: truncating a torn tail at byte ${contents.tornTail.offset} (${contents.tornTail.reason})`);
      await fs.truncate(path, contents.validEnd);
    }
  }
  tree.lastProcessedZxid = lastZxid;
  return { tree, sessions, lastZxid, snapshotFile, txnsReplayed: replayed };
}
