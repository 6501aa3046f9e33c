// Retention (ZooKeeper's PurgeTxnLog): keep the newest `retainSnapshots` snapshots and every log file
// that may hold txns after the oldest of them; delete the rest.

import { sortedFiles, versionDirName } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';

export interface PurgeResult {
  removed: string[];
}

export async function purge(fs: FileSystem, options: { dataDir: string; dataLogDir: string; retainSnapshots: number }): Promise<PurgeResult> {
  const snapDir = joinPath(options.dataDir, versionDirName);
  const logDir = joinPath(options.dataLogDir, versionDirName);
  const snapshots = sortedFiles(await fs.list(snapDir), 'snapshot');
  const retainCount = Math.max(1, options.retainSnapshots);
  if (snapshots.length <= retainCount) return { removed: [] };
  const oldestKept = snapshots[snapshots.length - retainCount]!.zxid;
  const logs = sortedFiles(await fs.list(logDir), 'log');
  // The newest log starting at or before the oldest kept snapshot may hold txns after it: keep it.
  let firstKeptLog = 0;
  logs.forEach((log, index) => {
    if (log.zxid <= oldestKept) firstKeptLog = index;
  });
  const removed: string[] = [];
  for (const snapshot of snapshots.slice(0, snapshots.length - retainCount)) {
    const path = joinPath(snapDir, snapshot.name);
    await fs.remove(path);
    removed.push(path);
  }
  for (const log of logs.slice(0, firstKeptLog)) {
    const path = joinPath(logDir, log.name);
    await fs.remove(path);
    removed.push(path);
  }
  return { removed };
}
