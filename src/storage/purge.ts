// Retention (ZooKeeper's PurgeTxnLog.purge): keep the newest `retainSnapshots` snapshots (at least 3,
// as ZooKeeper insists) and every log file that may hold txns after the oldest of them — those that
// start after it, plus the newest one starting at or before it; delete older snapshots and logs.
// Compressed snapshots count as snapshots; files that are neither logs nor snapshots (temp files,
// epochs) are never touched.

import { sortedFiles, sortedSnapshots, versionDirName } from './data-dir.js';
import { limits } from '../util/index.js';
import { type FileSystem, joinPath } from './file-system.js';

/** Defined in util/limits.ts with every other bound. */
export const snapshotsRetainedMin = limits.snapshotsRetainedMin;

export interface PurgeResult {
  removed: string[];
}

export async function purge(fs: FileSystem, options: { dataDir: string; dataLogDir: string; retainSnapshots: number }): Promise<PurgeResult> {
  const snapDir = joinPath(options.dataDir, versionDirName);
  const logDir = joinPath(options.dataLogDir, versionDirName);
  const snapshots = sortedSnapshots(await fs.list(snapDir));
  const retainCount = Math.max(snapshotsRetainedMin, options.retainSnapshots);
  if (snapshots.length <= retainCount) return { removed: [] };
  const oldestKept = snapshots[snapshots.length - retainCount]!.zxid;
  const logs = sortedFiles(await fs.list(logDir), 'log');
  let firstKeptLog = 0;
  logs.forEach((log, index) => {
    if (log.zxid <= oldestKept) firstKeptLog = index;
  });
  const removed: string[] = [];
  const remove = async (path: string): Promise<void> => {
    await fs.remove(path);
    removed.push(path);
  };
  // Snapshots first: a crash midway then leaves extra logs, never a snapshot whose logs are gone.
  for (const snapshot of snapshots.slice(0, snapshots.length - retainCount)) await remove(joinPath(snapDir, snapshot.name));
  for (const log of logs.slice(0, firstKeptLog)) await remove(joinPath(logDir, log.name));
  return { removed };
}
