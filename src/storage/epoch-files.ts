// `acceptedEpoch` and `currentEpoch`: one decimal number each, in the data directory, written as
// ZooKeeper's QuorumPeer writes them. They are separate files written at their own moments (DESIGN.md
// durability rule 3), each atomically (temp file, fsync, rename, directory fsync).

import { type FileSystem, joinPath } from './file-system.js';
import { BadFileError } from './storage-errors.js';

export type EpochFile = 'acceptedEpoch' | 'currentEpoch';

/** The epoch stored in the file, or null when the file does not exist. */
export async function readEpoch(fs: FileSystem, dataDir: string, name: EpochFile): Promise<number | null> {
  if (!(await fs.list(dataDir)).includes(name)) return null;
  const path = joinPath(dataDir, name);
  const text = Buffer.from(await fs.readFile(path)).toString('utf8').trim();
  if (!/^\d+$/.test(text)) throw new BadFileError(path, `expected a decimal epoch, found "${text.slice(0, 40)}"`);
  return Number(text);
}

export async function writeEpoch(fs: FileSystem, dataDir: string, name: EpochFile, epoch: number): Promise<void> {
  await fs.writeFileAtomic(joinPath(dataDir, name), Buffer.from(String(epoch)));
}
