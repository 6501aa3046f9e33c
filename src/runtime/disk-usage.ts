// Bytes used by the data and log directories (ZooKeeper counts the files of version-2/), for `dirs`.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function directoryBytes(dir: string): number {
  const versionDir = join(dir, 'version-2');
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(versionDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const stat = statSync(join(versionDir, name));
      if (stat.isFile()) total += stat.size;
    } catch {
      // A file purged between the listing and the stat counts as gone.
    }
  }
  return total;
}
