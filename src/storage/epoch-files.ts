// `acceptedEpoch` and `currentEpoch`: one decimal number each (Long.toString, no newline), in the
// snapshot directory `<dataDir>/version-2/`, where ZooKeeper's QuorumPeer keeps them
// (writeLongToFile / readLongFromFile). They are separate files written at their own moments
// (DESIGN.md durability rule 3), each atomically as ZooKeeper's AtomicFileWritingIdiom does: a
// `.tmp` file, fsync, rename, directory fsync.

import { versionDirName } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';
import { BadFileError } from './storage-errors.js';

export type EpochFile = 'acceptedEpoch' | 'currentEpoch';

/** The epoch stored in `<dataDir>/version-2/<name>`, or null when the file does not exist. */
export async function readEpoch(fs: FileSystem, dataDir: string, name: EpochFile): Promise<number | null> {
  const dir = joinPath(dataDir, versionDirName);
  if (!(await fs.list(dir)).includes(name)) return null;
  const path = joinPath(dir, name);
  // ZooKeeper reads the first line; a trailing newline (a file edited by hand) is fine.
  const text = Buffer.from(await fs.readFile(path)).toString('utf8').split('\n')[0]!.trim();
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new BadFileError(path, `expected a decimal epoch, found "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

export async function writeEpoch(fs: FileSystem, dataDir: string, name: EpochFile, epoch: number): Promise<void> {
  const dir = joinPath(dataDir, versionDirName);
  await fs.mkdir(dir);
  await fs.writeFileAtomic(joinPath(dir, name), Buffer.from(String(epoch)));
}
