// Barrier and DoubleBarrier, as in ZooKeeper's recipes (Curator's DistributedBarrier and
// DistributedDoubleBarrier).
//
// Barrier: the barrier is up while its znode exists. Waiters hold an exists-watch on it and go
// through once it is deleted; a watch survives reconnects, so a removal during a disconnect still
// wakes them (the client replays watches relative to the last zxid it saw).
//
// DoubleBarrier: `memberCount` processes meet at `enter()` and again at `leave()`. Each member is an
// ephemeral node `<barrier>/<memberId>`; the member that brings the count to `memberCount` creates
// `<barrier>/ready`, which the others watch for. To leave, members wait for the lowest-named member
// to go, and the lowest waits for the highest, so leaving costs O(1) wakeups per departure (the
// ZooKeeper recipe). The last member out deletes `ready`, so the barrier can be used again once
// every member has left. A member whose session ends counts as having left.

import { randomUUID } from 'node:crypto';
import {
  ConnectionLossError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  type Watcher,
  type ZooKeeperClient,
} from '../client/index.js';
import { ensurePath } from './paths.js';

/** Bound on attempts to create a member node when replies are lost (ConnectionLoss). */
const memberCreateAttemptsMax = 5;
const readyNodeName = 'ready';

export interface WaitOptions {
  /** Give up after this long: the call resolves false. Default: wait as long as the session lives. */
  timeoutMs?: number;
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal;
}

export class Barrier {
  constructor(private readonly client: ZooKeeperClient, readonly barrierPath: string) {}

  /** Raises the barrier (creates its node and missing ancestors); raising a raised barrier is a no-op. */
  async setBarrier(): Promise<void> {
    await ensurePath(this.client, this.barrierPath);
  }

  /** Lowers the barrier: every waiter goes through. Lowering a lowered barrier is a no-op. */
  async removeBarrier(): Promise<void> {
    try {
      await this.client.delete(this.barrierPath);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** Resolves true once the barrier is down (at once if it is not up), false past `timeoutMs`. */
  async waitOnBarrier(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf(options.timeoutMs);
    for (;;) {
      const event = watchEvent();
      const stat = await untilDeadline(() => this.client.exists(this.barrierPath, { watch: event.watcher, signal: options.signal, timeoutMs: remainingMs(deadline) }));
      if (stat === null) return true;
      if (stat === 'timedOut' || !(await waitFor(event.fired, deadline, options.signal))) return false;
    }
  }
}

export interface DoubleBarrierOptions {
  /** How many members must enter before any goes through enter(). */
  memberCount: number;
  /** This member's node name; unique among the members. Default a random UUID. */
  memberId?: string;
}

export class DoubleBarrier {
  readonly memberCount: number;
  readonly memberId: string;
  private readonly memberPath: string;
  private readonly readyPath: string;

  constructor(private readonly client: ZooKeeperClient, readonly barrierPath: string, options: DoubleBarrierOptions) {
    if (!Number.isInteger(options.memberCount) || options.memberCount < 1) throw new RangeError('memberCount must be a positive integer');
    this.memberCount = options.memberCount;
    this.memberId = options.memberId ?? randomUUID();
    if (this.memberId === readyNodeName || this.memberId.includes('/')) throw new RangeError(`invalid member id ${this.memberId}`);
    this.memberPath = `${barrierPath}/${this.memberId}`;
    this.readyPath = `${barrierPath}/${readyNodeName}`;
  }

  /**
   * Joins, and resolves true once `memberCount` members have joined, false past `timeoutMs` (the
   * member node is then removed, though members that already counted it have gone through).
   */
  async enter(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf(options.timeoutMs);
    await ensurePath(this.client, this.barrierPath);
    await this.createMemberNode();
    try {
      for (;;) {
        // The ready watch is set before counting, so a member that completes the count meanwhile
        // cannot be missed.
        const ready = watchEvent();
        if ((await this.client.exists(this.readyPath, { watch: ready.watcher, signal: options.signal })) !== null) return true;
        if ((await this.members()).length >= this.memberCount) {
          await this.createReadyNode();
          return true;
        }
        if (!(await waitFor(ready.fired, deadline, options.signal))) {
          await this.deleteIfPresent(this.memberPath);
          return false;
        }
      }
    } catch (error) {
      await this.deleteIfPresent(this.memberPath).catch(() => undefined);
      throw error;
    }
  }

  /** Leaves, and resolves true once every member has left, false past `timeoutMs`. */
  async leave(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf(options.timeoutMs);
    for (;;) {
      const members = await this.members();
      const ourIndex = members.indexOf(this.memberId);
      if (members.length === 0 || (members.length === 1 && ourIndex === 0)) break;
      // The lowest member waits for the highest; everyone else leaves and waits for the lowest.
      const awaited = ourIndex === 0 ? members[members.length - 1]! : members[0]!;
      if (ourIndex > 0) await this.deleteIfPresent(this.memberPath);
      const gone = watchEvent();
      const stat = await this.client.exists(`${this.barrierPath}/${awaited}`, { watch: gone.watcher, signal: options.signal });
      if (stat !== null && !(await waitFor(gone.fired, deadline, options.signal))) return false;
    }
    await this.deleteIfPresent(this.memberPath);
    await this.deleteIfPresent(this.readyPath);
    return true;
  }

  /** Member node names in order, without `ready`. */
  private async members(): Promise<string[]> {
    try {
      const { children } = await this.client.getChildren(this.barrierPath);
      return children.filter((name) => name !== readyNodeName).sort();
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /** Creates our ephemeral node (and the barrier node again if missing); a node left by our own lost-reply create counts as created. */
  private async createMemberNode(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.create(this.memberPath, '', { mode: 'ephemeral' });
        return;
      } catch (error) {
        if (error instanceof NoNodeError && attempt < memberCreateAttemptsMax) {
          await ensurePath(this.client, this.barrierPath);
          continue;
        }
        if (!(error instanceof NodeExistsError || error instanceof ConnectionLossError)) throw error;
        const stat = await this.client.exists(this.memberPath);
        if (stat !== null && stat.ephemeralOwner === this.client.sessionId) return;
        if (error instanceof NodeExistsError && stat !== null) throw error;
        if (attempt >= memberCreateAttemptsMax) throw error;
      }
    }
  }

  private async createReadyNode(): Promise<void> {
    try {
      await this.client.create(this.readyPath);
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  private async deleteIfPresent(path: string): Promise<void> {
    try {
      await this.client.delete(path);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
}

/** A one-shot watcher and a promise that resolves when it fires. */
function watchEvent(): { watcher: Watcher; fired: Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { watcher: () => fire(), fired };
}

function deadlineOf(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
}

function remainingMs(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
}

/** The call's result, or 'timedOut' when it ran out of time. */
async function untilDeadline<T>(call: () => Promise<T>): Promise<T | 'timedOut'> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OperationTimeoutError) return 'timedOut';
    throw error;
  }
}

/** True once `fired` resolves; false when the deadline passes first; rejects when the signal aborts. */
function waitFor(fired: Promise<void>, deadline: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise<boolean>((resolve, reject) => {
    const timer = deadline === undefined ? undefined : setTimeout(() => finish(() => resolve(false)), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const finish = (complete: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      complete();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    void fired.then(() => finish(() => resolve(true)));
  });
}
