// File names in a ZooKeeper data directory (Util.makeLogName / makeSnapshotName / getZxidFromName):
// `version-2/log.<hex zxid>` (the first zxid the log holds) and `version-2/snapshot.<hex zxid>` (the
// last zxid applied when the snapshot began), lower-case hex without leading zeros. ZooKeeper 3.6+
// may compress snapshots: `snapshot.<hex>.gz` or `.snappy` (SnapStream picks the codec from the
// last dot-separated part of the name). Names are ZooKeeper's, so each side reads the other's.
//
// Snapshots in progress are written as `.snapshot.<hex>.tmp`: ZooKeeper reads a name's zxid from
// its second dot-separated part only when the first is `snapshot`, so it never mistakes one for a
// snapshot (or counts it when purging).

export const versionDirName = 'version-2';

export type SnapshotCompression = 'none' | 'gzip' | 'snappy';

export interface DataFile {
  name: string;
  zxid: number;
}

export interface SnapshotFile extends DataFile {
  compression: SnapshotCompression;
}

export function logFileName(zxid: number): string {
  return `log.${zxid.toString(16)}`;
}

export function snapshotFileName(zxid: number): string {
  return `snapshot.${zxid.toString(16)}`;
}

export function snapshotTempFileName(zxid: number): string {
  return `.${snapshotFileName(zxid)}.tmp`;
}

/** Leftovers of a snapshot write cut short by a crash (ours, and the `snapshot.<hex>.tmp` of older Meerkat). */
export function isSnapshotTempFile(name: string): boolean {
  return /^\.?snapshot\.[0-9a-f]+\.tmp$/.test(name);
}

function parseZxid(hex: string): number | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return null;
  const zxid = parseInt(hex, 16);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

/** The zxid in a `prefix.<hex>` file name, or null for anything else (temp files, strangers). */
export function zxidOfFileName(name: string, prefix: 'log' | 'snapshot'): number | null {
  const parts = name.split('.');
  return parts.length === 2 && parts[0] === prefix ? parseZxid(parts[1]!) : null;
}

/** Names of one kind, sorted by zxid, oldest first. */
export function sortedFiles(names: readonly string[], prefix: 'log' | 'snapshot'): DataFile[] {
  return names
    .map((name) => ({ name, zxid: zxidOfFileName(name, prefix) }))
    .filter((file): file is DataFile => file.zxid !== null)
    .sort((a, b) => a.zxid - b.zxid);
}

const compressionBySuffix: Readonly<Record<string, SnapshotCompression>> = { gz: 'gzip', snappy: 'snappy' };

/** Snapshot files, compressed or not, sorted by zxid, oldest first. */
export function sortedSnapshots(names: readonly string[]): SnapshotFile[] {
  const files: SnapshotFile[] = [];
  for (const name of names) {
    const parts = name.split('.');
    if (parts[0] !== 'snapshot' || parts.length < 2 || parts.length > 3) continue;
    const zxid = parseZxid(parts[1]!);
    const compression = parts.length === 2 ? 'none' : compressionBySuffix[parts[2]!];
    if (zxid !== null && compression !== undefined) files.push({ name, zxid, compression });
  }
  return files.sort((a, b) => a.zxid - b.zxid);
}
