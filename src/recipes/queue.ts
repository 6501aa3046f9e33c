// DistributedQueue: a FIFO / priority queue of items, each a persistent-sequential znode under the
// queue's path named `item-<priority>-<put token>-<sequence>` (priority offset by 2^31 and padded
// to ten digits, so it sorts as text too). Consumers take the lowest (priority, sequence) first.
//
// Taking is two steps, and both are offered: `claim()` creates the ephemeral child `<item>/claim`
// (only one consumer can), reads the item and hands it over; `complete()` then deletes claim and
// item in one transaction, `release()` gives the item back. `take()` is claim + complete.
//
// Guarantees (while nobody but this recipe touches the queue's nodes):
// - No item is delivered twice by `take()`: only the claim holder deletes an item, and a claim is
//   held by one session. A `claim()`ed item whose consumer's session ends before `complete()` is
//   claimable again: claim/complete is at-least-once, take is at-most-once.
// - No item is lost to a lost connection: after ConnectionLoss the recipe reconnects and checks
//   (is the claim ours? is the item gone?) behind a write barrier, instead of guessing. `put()`
//   carries a random token in the name, so a put retried after ConnectionLoss finds its first
//   attempt instead of adding twice.
// - The one window that cannot be closed: the session ends after the server applied `complete()` but
//   before its reply arrived. Then nobody can tell whether the item was removed; the call rejects with
//   QueueOutcomeUnknownError carrying the item (delivered to nobody else if the delete applied, else
//   claimable again). A consumer that crashes after `take()` returned loses that item (at most once).
// - Sequence numbers are the parent's: ordering holds across producers. A priority is an integer in
//   [-2^31, 2^31 - 1]; lower comes out first; equal priorities come out in put order.

import { randomBytes } from 'node:crypto';
import {
  ConnectionLossError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  ZooKeeperError,
  type CallOptions,
  type SessionState,
  type Stat,
  type ZooKeeperClient,
} from '../client/index.js';
import { ensurePath, writeBarrier } from './paths.js';

/** Attempts of one put or complete when the connection keeps dropping; each attempt re-checks first. */
const writeAttemptsMax = 5;
/** Claimed items whose claim a waiting consumer watches (a claim that goes frees its item). */
const claimWatchesMax = 16;
const priorityMin = -(2 ** 31);
const priorityMax = 2 ** 31 - 1;
const itemName = /^item-(\d{10})-([0-9a-f]{12})-(-?\d{10})$/;

export interface QueueItem {
  /** The item's node name, e.g. `item-2147483648-1f2e3d4c5b6a-0000000007`. */
  name: string;
  path: string;
  priority: number;
  data: Uint8Array;
  stat: Stat;
}

export interface TakeOptions {
  signal?: AbortSignal;
  /** Bound on the wait for an item; past it the call rejects with OperationTimeoutError. */
  timeoutMs?: number;
}

/** The session ended before the reply to the item's removal arrived: it may or may not be removed. */
export class QueueOutcomeUnknownError extends ZooKeeperError {
  override name = 'QueueOutcomeUnknownError';
  constructor(readonly item: QueueItem, cause: unknown) {
    const code = cause instanceof ZooKeeperError ? cause.code : new ConnectionLossError().code;
    super(code, `outcome of taking ${item.path} is unknown`, { path: item.path, cause });
  }
}

/**
 * The claim vanished before complete() (the session was closed meanwhile, or someone deleted the
 * claim node): the item was not removed and may go to another consumer.
 */
export class QueueClaimLostError extends ZooKeeperError {
  override name = 'QueueClaimLostError';
  constructor(itemPath: string, cause: unknown) {
    super(new NoNodeError().code, `the claim on ${itemPath} was lost before the item was removed`, { path: itemPath, cause });
  }
}

/** An item this consumer holds: finish it with exactly one of complete() or release(). */
export class ClaimedItem implements QueueItem {
  readonly name: string;
  readonly path: string;
  readonly priority: number;
  readonly data: Uint8Array;
  readonly stat: Stat;

  constructor(private readonly client: ZooKeeperClient, item: QueueItem) {
    this.name = item.name;
    this.path = item.path;
    this.priority = item.priority;
    this.data = item.data;
    this.stat = item.stat;
  }

  /**
   * Removes the item for good. Rejects with QueueOutcomeUnknownError if that cannot be known, with
   * QueueClaimLostError if the claim vanished first (the item stays).
   */
  async complete(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        await this.client.transaction().delete(`${this.path}/claim`).delete(this.path).commit();
        return;
      } catch (error) {
        failure = error;
      }
      // Only the claim holder removes a claimed item: if it is gone, our transaction applied.
      let stillThere: boolean;
      try {
        if (failure instanceof ConnectionLossError) await writeBarrier(this.client);
        stillThere = (await this.client.exists(this.path)) !== null;
      } catch (checkError) {
        if (checkError instanceof ConnectionLossError && attempt < writeAttemptsMax) continue;
        throw new QueueOutcomeUnknownError(this.snapshot(), checkError);
      }
      if (!stillThere) return;
      if (failure instanceof NoNodeError && failure.path === `${this.path}/claim`) throw new QueueClaimLostError(this.path, failure);
      if (!(failure instanceof ConnectionLossError) || attempt >= writeAttemptsMax) throw failure;
    }
  }

  /** Gives the item back to the queue (deletes the claim). */
  async release(): Promise<void> {
    try {
      await this.client.delete(`${this.path}/claim`, { version: 0 });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  private snapshot(): QueueItem {
    return { name: this.name, path: this.path, priority: this.priority, data: this.data, stat: this.stat };
  }
}

export class DistributedQueue {
  constructor(private readonly client: ZooKeeperClient, readonly path: string) {}

  /** Creates the queue's node (and ancestors) if missing; put() does it too when needed. */
  async ensure(): Promise<void> {
    await ensurePath(this.client, this.path);
  }

  /** Adds an item; resolves to its path. Lower priorities come out first (default 0). */
  async put(data: Uint8Array | string, options: { priority?: number } = {}): Promise<string> {
    const priority = options.priority ?? 0;
    if (!Number.isInteger(priority) || priority < priorityMin || priority > priorityMax) {
      throw new RangeError(`priority must be an integer in [${priorityMin}, ${priorityMax}], got ${priority}`);
    }
    const prefix = `item-${String(priority - priorityMin).padStart(10, '0')}-${randomBytes(6).toString('hex')}-`;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.client.create(`${this.path}/${prefix}`, data, { mode: 'persistentSequential' })).path;
      } catch (error) {
        if (error instanceof NoNodeError && attempt < writeAttemptsMax) {
          await this.ensure();
          continue;
        }
        if (!(error instanceof ConnectionLossError) || attempt >= writeAttemptsMax) throw error;
      }
      await writeBarrier(this.client);
      const earlier = (await this.client.getChildren(this.path)).children.find((name) => name.startsWith(prefix));
      if (earlier !== undefined) return `${this.path}/${earlier}`;
    }
  }

  /** The head item not claimed by a consumer, without removing it; null when there is none. */
  async peek(options: CallOptions = {}): Promise<QueueItem | null> {
    for (const name of await this.itemNames(undefined, options)) {
      try {
        const { data, stat } = await this.client.getData(`${this.path}/${name}`, options);
        if (stat.numChildren === 0) return { ...parseItem(this.path, name), data: data ?? new Uint8Array(0), stat };
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
    }
    return null;
  }

  /** Removes and returns the head item, waiting for one. At most once: see the file's header. */
  async take(options: TakeOptions = {}): Promise<QueueItem> {
    for (let attempt = 1; ; attempt++) {
      const claimed = await this.claim(options);
      try {
        await claimed.complete();
        return { name: claimed.name, path: claimed.path, priority: claimed.priority, data: claimed.data, stat: claimed.stat };
      } catch (error) {
        // A lost claim took nothing: claim again (a closed session fails the next claim).
        if (error instanceof QueueClaimLostError && attempt < writeAttemptsMax) continue;
        if (!(error instanceof QueueOutcomeUnknownError)) await claimed.release().catch(() => undefined);
        throw error;
      }
    }
  }

  /** Claims the head unclaimed item, waiting for one; the item stays until complete(). */
  async claim(options: TakeOptions = {}): Promise<ClaimedItem> {
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const callOptions = { signal: options.signal, timeoutMs: remaining(deadline) };
      let wake = (): void => undefined;
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const names = await this.itemNames(wake, callOptions);
      // No signal or timeout from here: an abandoned claim would hold its item until the session ends.
      const claimed = await this.claimFirst(names, wake);
      if (claimed !== undefined) return claimed;
      await untilWoken(this.client, { changed, signal: options.signal, deadline, path: this.path });
    }
  }

  /** Item names in take order; with `watch`, a one-shot children watch (queue missing: its creation). */
  private async itemNames(watch: (() => void) | undefined, options: CallOptions): Promise<string[]> {
    let children: string[];
    try {
      children = (await this.client.getChildren(this.path, { ...options, watch })).children;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      if ((await this.client.exists(this.path, { ...options, watch })) !== null) watch?.();
      return [];
    }
    return children
      .filter((name) => itemName.test(name))
      .map((name) => parseItem(this.path, name))
      .sort((a, b) => a.priority - b.priority || a.sequence - b.sequence)
      .map((item) => item.name);
  }

  /** Claims the first claimable item; watches (a bounded number of) the claims that stopped it. */
  private async claimFirst(names: readonly string[], wake: () => void): Promise<ClaimedItem | undefined> {
    let claimWatches = 0;
    for (const name of names) {
      const path = `${this.path}/${name}`;
      if (!(await this.tryClaim(path))) {
        if (claimWatches++ < claimWatchesMax && (await this.client.exists(`${path}/claim`, { watch: wake })) === null) wake();
        continue;
      }
      // A claimed item cannot be deleted (it has a child) except by us: this read cannot miss.
      const claimed = this.client.getData(path).then(({ data, stat }) => new ClaimedItem(this.client, { ...parseItem(this.path, name), data: data ?? new Uint8Array(0), stat }));
      claimed.catch(() => this.client.delete(`${path}/claim`, { version: 0 }).catch(() => undefined));
      return claimed;
    }
    return undefined;
  }

  /** Creates `<item>/claim`; true when this session holds it (also after an ambiguous create). */
  private async tryClaim(itemPath: string): Promise<boolean> {
    try {
      await this.client.create(`${itemPath}/claim`, '', { mode: 'ephemeral' });
      return true;
    } catch (error) {
      if (error instanceof NodeExistsError || error instanceof NoNodeError) return false;
      if (!(error instanceof ConnectionLossError)) throw error;
    }
    await writeBarrier(this.client);
    const stat = await this.client.exists(`${itemPath}/claim`);
    return stat !== null && stat.ephemeralOwner === this.client.sessionId;
  }
}

function parseItem(queuePath: string, name: string): { name: string; path: string; priority: number; sequence: number } {
  const match = itemName.exec(name);
  if (match === null) throw new Error(`not a queue item name: ${name}`);
  return { name, path: `${queuePath}/${name}`, priority: Number(match[1]) + priorityMin, sequence: Number(match[3]) };
}

function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
}

/** Waits for `changed`, the session's end (the next call then fails), the signal or the deadline. */
async function untilWoken(
  client: ZooKeeperClient,
  wait: { changed: Promise<void>; signal: AbortSignal | undefined; deadline: number | undefined; path: string },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let onState: ((state: SessionState) => void) | undefined;
  const stop = new Promise<void>((resolve, reject) => {
    if (wait.deadline !== undefined) {
      timer = setTimeout(() => reject(new OperationTimeoutError({ path: wait.path })), Math.max(0, wait.deadline - Date.now()));
    }
    onAbort = () => reject(wait.signal?.reason);
    wait.signal?.addEventListener('abort', onAbort, { once: true });
    onState = (state) => {
      if (isFinal(state)) resolve();
    };
    client.on('state', onState);
  });
  try {
    if (isFinal(client.state)) return;
    await Promise.race([wait.changed, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) wait.signal?.removeEventListener('abort', onAbort);
    if (onState !== undefined) client.off('state', onState);
  }
}

function isFinal(state: SessionState): boolean {
  return state === 'expired' || state === 'authFailed' || state === 'closed';
}
