// Semaphore: at most `maxLeases` holders at once, as Curator's InterProcessSemaphoreV2. A lease is
// an ephemeral-sequential node under `<path>/leases`, so it vanishes with its session. Acquiring
// is serialized by a Lock on `<path>/locks`: its holder adds its lease node, then waits (with a
// children watch) until at most maxLeases nodes remain, and only then lets the next acquirer in.
//
// - Never more than maxLeases holders: only the mutex holder may have a lease node beyond the
//   limit, and it does not hold a lease until the count is within it.
// - No herd: the mutex queue wakes one waiter per release, and only the mutex holder watches the
//   leases, so a lease release wakes one process.
// - Fair in the order of the mutex queue.
// - Every participant must pass the same maxLeases; nothing checks that they agree.
// - A lease's fencingToken is its node's czxid: it orders leases, but several are valid at once.

import type { ZooKeeperClient } from '../client/index.js';
import { Contender, Lock, waitForWatch, type AcquireOptions, type LockHandle } from './lock.js';

export class Semaphore {
  readonly path: string;
  readonly maxLeases: number;
  private readonly mutex: Lock;

  constructor(private readonly client: ZooKeeperClient, options: { path: string; maxLeases: number }) {
    if (!Number.isInteger(options.maxLeases) || options.maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, not ${options.maxLeases}`);
    this.path = options.path;
    this.maxLeases = options.maxLeases;
    this.mutex = new Lock(client, `${options.path}/locks`);
  }

  /** Waits for a lease; release it with `lease.release()`. Rejects (cleaning up) on abort or timeout. */
  acquire(options: AcquireOptions = {}): Promise<LockHandle> {
    const contender = new Contender(this.client, { parent: `${this.path}/leases`, kind: 'lease' });
    return contender.attempt(options, async (signal) => {
      const turn = await this.mutex.acquire({ signal });
      try {
        await contender.create(signal);
        await this.waitForRoom(contender, signal);
      } finally {
        await turn.release();
      }
    });
  }

  /** The lease nodes now present (holders, plus at most one acquirer waiting for room). */
  async leaseCount(): Promise<number> {
    return (await this.client.getChildren(`${this.path}/leases`)).children.length;
  }

  private async waitForRoom(contender: Contender, signal: AbortSignal): Promise<void> {
    // Terminates: while we hold the mutex no lease is added, so each wake-up follows a removal.
    for (;;) {
      let room = false;
      await waitForWatch(this.client, {
        signal,
        arm: async (wake) => {
          const { ordered } = await contender.queue({ signal, watch: wake });
          room = ordered.length <= this.maxLeases;
          return room;
        },
      });
      if (room) return;
    }
  }
}
