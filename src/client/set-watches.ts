// Builds the setWatches requests that re-register a client's watches after a reconnect. The paths
// are split over several requests so none exceeds a byte budget (ZooKeeper's client uses 128 KiB of
// path characters per request), keeping every frame well under jute.maxbuffer. setWatches2 (which
// adds the persistent kinds) is used only when persistent watches exist, so a 3.5 server that knows
// only setWatches still gets what it understands.

import { OpCode, type SetWatchesRequest } from '../proto/index.js';
import { limits } from '../util/index.js';
import type { WatchKind, WatchPaths } from './watch-registry.js';

/** Defined in util/limits.ts with every other bound. */
export const setWatchesBytesMax = limits.setWatchesBytesMax;

const fieldOf: Record<WatchKind, keyof Pick<SetWatchesRequest, 'dataWatches' | 'existWatches' | 'childWatches' | 'persistentWatches' | 'persistentRecursiveWatches'>> = {
  data: 'dataWatches',
  exist: 'existWatches',
  child: 'childWatches',
  persistent: 'persistentWatches',
  persistentRecursive: 'persistentRecursiveWatches',
};

export function buildSetWatches(paths: WatchPaths, relativeZxid: number, toServer: (path: string) => string): SetWatchesRequest[] {
  const type = paths.persistent.length > 0 || paths.persistentRecursive.length > 0 ? OpCode.setWatches2 : OpCode.setWatches;
  const fresh = (): SetWatchesRequest => ({
    type, relativeZxid, dataWatches: [], existWatches: [], childWatches: [], persistentWatches: [], persistentRecursiveWatches: [],
  });
  const requests: SetWatchesRequest[] = [];
  let current = fresh();
  let bytes = 0;
  let count = 0;
  for (const kind of Object.keys(fieldOf) as WatchKind[]) {
    for (const clientPath of paths[kind]) {
      const path = toServer(clientPath);
      if (count > 0 && (bytes + path.length > setWatchesBytesMax || count >= limits.setWatchesPathsMax)) {
        requests.push(current);
        current = fresh();
        bytes = 0;
        count = 0;
      }
      current[fieldOf[kind]].push(path);
      bytes += path.length;
      count++;
    }
  }
  if (count > 0) requests.push(current);
  return requests;
}
