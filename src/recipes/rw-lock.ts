// ReadWriteLock: shared readers, exclusive writers, as Curator's InterProcessReadWriteLock. Both
// kinds queue as ephemeral-sequential nodes under one path (`_c_<guid>-read-<seq>`,
// `_c_<guid>-write-<seq>`), in creation order:
//
// - A reader holds once no writer is ahead of it; it watches only the nearest writer ahead.
// - A writer holds once it is first; it watches only the node just ahead of it.
// - No herd: a release wakes the waiters that watched that node only. When a writer leaves, the
//   readers right behind it all wake, and all of them then hold: that is the sharing, not a herd.
// - Fair: a reader behind a waiting writer waits too, so a stream of readers cannot starve writers.
// - Not re-entrant, and no upgrade or downgrade: a reader asking for the write lock queues behind
//   itself and waits forever (bound it with timeoutMs).
//
// Handles are LockHandles (lock.ts): fencing token, 'suspended', 'lost', release(). A writer's token
// is strictly greater than every earlier writer's and reader's on this path.

import type { ZooKeeperClient } from '../client/index.js';
import { Contender, type AcquireOptions, type LockHandle } from './lock.js';

const isWriter = (name: string): boolean => /-write-\d+$/.test(name);

export class ReadWriteLock {
  constructor(private readonly client: ZooKeeperClient, readonly path: string) {}

  /** Shared: waits until no writer is ahead. */
  acquireRead(options: AcquireOptions = {}): Promise<LockHandle> {
    const contender = new Contender(this.client, { parent: this.path, kind: 'read' });
    return contender.contend((ordered, ownIndex) => ordered.slice(0, ownIndex).reverse().find(isWriter), options);
  }

  /** Exclusive: waits until first in line. */
  acquireWrite(options: AcquireOptions = {}): Promise<LockHandle> {
    const contender = new Contender(this.client, { parent: this.path, kind: 'write' });
    return contender.contend((ordered, ownIndex) => ordered[ownIndex - 1], options);
  }
}
