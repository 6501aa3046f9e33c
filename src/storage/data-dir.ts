// File names in a ZooKeeper data directory: `version-2/log.<hex zxid>` (the first zxid the log holds)
// and `version-2/snapshot.<hex zxid>` (the last zxid applied when the snapshot began), plus the
// `acceptedEpoch` and `currentEpoch` files. Names are ZooKeeper's, so each side reads the other's.

export const versionDirName = 'version-2';

export function logFileName(zxid: number): string {
  return `log.${zxid.toString(16)}`;
}

export function snapshotFileName(zxid: number): string {
  return `snapshot.${zxid.toString(16)}`;
}

/** The zxid in a `prefix.<hex>` file name, or null for anything else (temp files, strangers). */
export function zxidOfFileName(name: string, prefix: 'log' | 'snapshot'): number | null {
  const match = new RegExp(`^${prefix}\\.([0-9a-fA-F]+)$`).exec(name);
  if (match === null) return null;
  const zxid = parseInt(match[1]!, 16);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

/** Names of one kind, sorted by zxid, oldest first. */
export function sortedFiles(names: readonly string[], prefix: 'log' | 'snapshot'): Array<{ name: string; zxid: number }> {
  return names
    .map((name) => ({ name, zxid: zxidOfFileName(name, prefix) }))
    .filter((file): file is { name: string; zxid: number } => file.zxid !== null)
    .sort((a, b) => a.zxid - b.zxid);
}
