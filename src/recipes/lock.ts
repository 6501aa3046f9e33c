// Lock: a distributed mutex, as Curator's InterProcessMutex. Each acquire creates an
// ephemeral-sequential node `<lock>/_c_<guid>-lock-<seq>` and holds the lock once its node has the
// lowest sequence. Guarantees and limits (docs/recipes/locks.md has the long form):
//
// - Mutual exclusion among sessions that see the same ZooKeeper history: at most one live node is
//   lowest. A holder whose session has expired (or whose connection is cut: it cannot tell) may
//   still be running while the next one holds the lock. The handle says so ('suspended', 'lost',
//   `signal`), but only a fencing token checked by the protected resource makes this safe: the token
//   is the lock node's czxid, strictly increasing across successive holders of one lock path.
// - Fairness: waiters get the lock in the order their nodes were created.
// - No herd: each waiter watches only the node just ahead of it, so a release wakes one waiter.
// - Protected mode: the node's name carries a per-acquire GUID, so a create that failed with
//   ConnectionLoss finds its own node instead of leaving an orphan that would block everyone.
// - Not re-entrant: a second acquire from the same process queues behind the first.
//
// This file also holds the machinery the other lock recipes share (rw-lock.ts, semaphore.ts):
// Contender (one node through create, wait and withdraw) and LockHandle (what a holder holds).

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  AuthFailedError,
  ClientClosedError,
  ConnectionLossError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  type SessionState,
  type Stat,
  type ZooKeeperClient,
} from '../client/index.js';
import { ensurePath } from './paths.js';

/** Attempts at creating our node when the create fails with ConnectionLoss or a missing parent. */
const createAttemptsMax = 3;
/** Attempts at deleting our node after a failed acquire; past them it goes with the session. */
const withdrawAttemptsMax = 3;

export interface AcquireOptions {
  /** Aborting gives up waiting: the call rejects with the signal's reason and removes its node. */
  signal?: AbortSignal;
  /** Gives up after this long with OperationTimeoutError, removing its node. Default: no bound. */
  timeoutMs?: number;
}

/** The holder lost its lock: its session ended or its node was deleted by someone else. */
export class LockLostError extends Error {
  override name = 'LockLostError';
  readonly code = 'LOCK_LOST';
  constructor(readonly path: string, options: { reason: string; cause?: unknown }) {
    super(`lock node ${path} lost: ${options.reason}`, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export class Lock {
  constructor(private readonly client: ZooKeeperClient, readonly path: string) {}

  /** Waits until this caller holds the lock. Rejects (removing its node) on abort or timeout. */
  acquire(options: AcquireOptions = {}): Promise<LockHandle> {
    const contender = new Contender(this.client, { parent: this.path, kind: 'lock' });
    return contender.contend((ordered, ownIndex) => ordered[ownIndex - 1], options);
  }

  /** The contenders' node names in queue order (the holder first). */
  async participants(): Promise<string[]> {
    try {
      return orderBySequence((await this.client.getChildren(this.path)).children);
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }
}

export type HoldState = 'held' | 'suspended' | 'lost' | 'released';

export interface LockHandleEvents {
  /** The connection dropped: until 'reconnected', assume the lock may be lost. */
  suspended: [];
  /** Connected again with the same session, and our node is still there. */
  reconnected: [];
  /** Final: the session ended or the node was deleted; another contender may hold the lock. */
  lost: [LockLostError];
}

/**
 * A held lock (or lease). `fencingToken` is the node's czxid: pass it to the protected resource,
 * which must refuse requests carrying a token lower than the highest it has seen.
 */
export class LockHandle extends EventEmitter<LockHandleEvents> {
  private holdState: HoldState = 'held';
  /** Set while release() deletes the node, whose own deletion must not read as a loss. */
  private releasing = false;
  private readonly lostController = new AbortController();
  private readonly unsubscribe: () => void;

  readonly path: string;
  readonly fencingToken: number;

  private constructor(private readonly client: ZooKeeperClient, options: { path: string; fencingToken: number }) {
    super();
    this.path = options.path;
    this.fencingToken = options.fencingToken;
    this.unsubscribe = onSessionState(client, (state) => this.sessionStateChanged(state));
  }

  /** Starts watching the session and the node; called once the node is first in line. */
  static async hold(client: ZooKeeperClient, options: { path: string; stat: Stat }): Promise<LockHandle> {
    const handle = new LockHandle(client, { path: options.path, fencingToken: options.stat.czxid });
    let stat: Stat | null;
    try {
      stat = await client.exists(options.path, { watch: (event) => {
        if (event.type === 'nodeDeleted') handle.lose('the node was deleted');
      } });
    } catch (error) {
      handle.unsubscribe();
      throw error;
    }
    if (stat === null) handle.lose('the node was deleted');
    else if (client.state !== 'connected') handle.sessionStateChanged(client.state);
    return handle;
  }

  get state(): HoldState {
    return this.holdState;
  }

  /** Aborted, with a LockLostError as reason, once the lock is lost: hand it to the guarded work. */
  get signal(): AbortSignal {
    return this.lostController.signal;
  }

  /** Deletes the node. Idempotent; after 'lost' it only stops the handle (the node is gone). */
  async release(): Promise<void> {
    if (this.holdState === 'released') return;
    if (this.holdState !== 'lost') {
      this.releasing = true;
      try {
        await deleteOwnNode(this.client, this.path);
      } finally {
        this.releasing = false;
      }
    }
    this.holdState = 'released';
    this.unsubscribe();
  }

  private sessionStateChanged(state: SessionState): void {
    if (this.holdState === 'lost' || this.holdState === 'released') return;
    if (isFinalState(state)) this.lose(`session ${state}`, finalError(state));
    else if (state === 'connected') {
      if (this.holdState === 'suspended') void this.confirmAfterReconnect();
    } else if (this.holdState === 'held') {
      this.holdState = 'suspended';
      this.emit('suspended');
    }
  }

  /** Back on the same session: the node should still be there, unless someone deleted it. */
  private async confirmAfterReconnect(): Promise<void> {
    let stat: Stat | null;
    try {
      stat = await this.client.exists(this.path);
    } catch {
      return; // Disconnected again (still suspended) or the session ended (handled by its event).
    }
    if (this.holdState !== 'suspended' || this.client.state !== 'connected') return;
    if (stat === null || stat.ephemeralOwner !== this.client.sessionId) {
      this.lose('the node was deleted');
      return;
    }
    this.holdState = 'held';
    this.emit('reconnected');
  }

  private lose(reason: string, cause?: unknown): void {
    if (this.holdState === 'lost' || this.holdState === 'released' || this.releasing) return;
    this.holdState = 'lost';
    this.unsubscribe();
    const error = new LockLostError(this.path, { reason, cause });
    this.lostController.abort(error);
    this.emit('lost', error);
  }
}

/** Chooses the node a contender waits for, or undefined when it holds: no herd, one node each. */
export type BlockerOf = (ordered: readonly string[], ownIndex: number) => string | undefined;

/**
 * One acquire attempt: creates the protected node, waits for its turn, and removes the node if the
 * attempt fails. Nodes are named `_c_<guid>-<kind>-<seq>`; other nodes carrying our GUID are strays
 * of a create retried after ConnectionLoss, and are deleted.
 */
export class Contender {
  private readonly guid = randomUUID();
  private name: string | undefined;
  private stat: Stat | undefined;
  readonly parent: string;
  readonly kind: string;

  constructor(private readonly client: ZooKeeperClient, options: { parent: string; kind: string }) {
    this.parent = options.parent;
    this.kind = options.kind;
  }

  get path(): string {
    if (this.name === undefined) throw new Error('assertion: the contender has no node yet');
    return `${this.parent}/${this.name}`;
  }

  /** Create, wait until `blockerOf` names no blocker, hold; on any failure withdraw. */
  async contend(blockerOf: BlockerOf, options: AcquireOptions): Promise<LockHandle> {
    return this.attempt(options, async (signal) => {
      await this.create(signal);
      await this.waitForTurn(blockerOf, signal);
    });
  }

  /** Runs `body` under the acquire's signal and timeout; withdraws the node if it fails. */
  async attempt(options: AcquireOptions, body: (signal: AbortSignal) => Promise<void>): Promise<LockHandle> {
    const bounded = boundedSignal(options, this.parent);
    try {
      await body(bounded.signal);
      if (this.stat === undefined) throw new Error('assertion: the acquire body did not create a node');
      return await LockHandle.hold(this.client, { path: this.path, stat: this.stat });
    } catch (error) {
      await this.withdraw();
      throw error;
    } finally {
      bounded.dispose();
    }
  }

  /** Creates our node (and the parent path if missing), finding it again after ConnectionLoss. */
  async create(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.client.create(`${this.parent}/_c_${this.guid}-${this.kind}-`, '', { mode: 'ephemeralSequential', signal });
        this.name = created.path.slice(this.parent.length + 1);
        this.stat = created.stat;
        return;
      } catch (error) {
        if (attempt >= createAttemptsMax) throw error;
        if (error instanceof NoNodeError) await ensurePath(this.client, this.parent);
        else if (!(error instanceof ConnectionLossError)) throw error;
        else if (await this.findOwnNode(signal)) return;
      }
    }
  }

  /** Our children in queue order, strays removed; rejects if our node is gone. */
  async queue(options: { signal: AbortSignal; watch?: () => void }): Promise<{ ordered: string[]; ownIndex: number }> {
    const { children } = await this.client.getChildren(this.parent, { signal: options.signal, watch: options.watch });
    const ours = `_c_${this.guid}-`;
    const strays = children.filter((child) => child.startsWith(ours) && child !== this.name);
    for (const stray of strays) await deleteOwnNode(this.client, `${this.parent}/${stray}`);
    const ordered = orderBySequence(children.filter((child) => !strays.includes(child)));
    const ownIndex = ordered.indexOf(this.name ?? '');
    if (ownIndex < 0) throw new LockLostError(this.path, { reason: 'the node was deleted while waiting' });
    return { ordered, ownIndex };
  }

  /**
   * Waits until no blocker is left. Terminates: each pass either returns or waits for a node ahead
   * of ours to change, and nodes are only ever added behind ours.
   */
  private async waitForTurn(blockerOf: BlockerOf, signal: AbortSignal): Promise<void> {
    for (;;) {
      const { ordered, ownIndex } = await this.queue({ signal });
      const blocker = blockerOf(ordered, ownIndex);
      if (blocker === undefined) return;
      await waitForWatch(this.client, {
        signal,
        arm: async (wake) => {
          try {
            await this.client.getData(`${this.parent}/${blocker}`, { signal, watch: wake });
            return false;
          } catch (error) {
            if (error instanceof NoNodeError) return true; // Gone already: look again.
            throw error;
          }
        },
      });
    }
  }

  private async findOwnNode(signal: AbortSignal): Promise<boolean> {
    let children: string[];
    try {
      // The member we reconnected to may not have applied the lost create yet: catch it up first,
      // or we would create a second node and leave the first as a stray for queue() to remove.
      await this.client.sync(this.parent, { signal });
      ({ children } = await this.client.getChildren(this.parent, { signal }));
    } catch (error) {
      // The lost create may have been the first, refused for want of a parent: nothing of ours yet.
      if (error instanceof NoNodeError) return false;
      throw error;
    }
    const name = children.find((child) => child.startsWith(`_c_${this.guid}-`));
    if (name === undefined) return false;
    const stat = await this.client.exists(`${this.parent}/${name}`, { signal });
    if (stat === null) return false;
    this.name = name;
    this.stat = stat;
    return true;
  }

  /** Deletes every node with our GUID. Bounded; what remains goes when the session ends. */
  private async withdraw(): Promise<void> {
    for (let attempt = 1; attempt <= withdrawAttemptsMax && !isFinalState(this.client.state); attempt++) {
      try {
        const { children } = await this.client.getChildren(this.parent);
        for (const child of children) {
          if (child.startsWith(`_c_${this.guid}-`)) await deleteOwnNode(this.client, `${this.parent}/${child}`);
        }
        return;
      } catch (error) {
        if (error instanceof NoNodeError) return;
      }
    }
  }
}

/**
 * Resolves once `arm`'s one-shot watch fires (or `arm` says there is nothing to wait for); rejects
 * when the signal aborts or the session ends, so no wait outlives what could end it.
 */
export function waitForWatch(
  client: ZooKeeperClient,
  options: { signal: AbortSignal; arm: (wake: () => void) => Promise<boolean> },
): Promise<void> {
  const { signal, arm } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => finish(signal.reason);
    const unsubscribe = onSessionState(client, (state) => {
      if (isFinalState(state)) finish(finalError(state));
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    arm(() => finish()).then((ready) => ready && finish(), finish);
  });
}

/** Children sorted by their ten-digit sequence suffix (names differ in their GUID prefixes). */
export function orderBySequence(children: readonly string[]): string[] {
  return [...children].sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

function sequenceOf(name: string): number {
  return Number.parseInt(name.slice(-10), 10);
}

/** Deletes a node of ours: version 0 (never written) makes it retryable; gone already is fine. */
async function deleteOwnNode(client: ZooKeeperClient, path: string): Promise<void> {
  try {
    await client.delete(path, { version: 0 });
  } catch (error) {
    const gone = error instanceof NoNodeError || error instanceof SessionExpiredError || error instanceof ClientClosedError;
    if (!gone) throw error;
  }
}

/** The caller's signal joined with the timeout, which aborts with OperationTimeoutError. */
function boundedSignal(options: AcquireOptions, path: string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => controller.abort(new OperationTimeoutError({ path, cause: new Error(`not acquired within ${options.timeoutMs} ms`) })), options.timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function isFinalState(state: SessionState): boolean {
  return state === 'expired' || state === 'closed' || state === 'authFailed';
}

function finalError(state: SessionState): Error {
  if (state === 'closed') return new ClientClosedError();
  return state === 'authFailed' ? new AuthFailedError() : new SessionExpiredError();
}

type StateListener = (state: SessionState) => void;

/**
 * One 'state' listener per client, fanned out to every waiter and handle of this module, so many
 * contenders on one client do not pile listeners on it (and trip Node's leak warning).
 */
const stateListeners = new WeakMap<ZooKeeperClient, { listeners: Set<StateListener>; forward: StateListener }>();

function onSessionState(client: ZooKeeperClient, listener: StateListener): () => void {
  let entry = stateListeners.get(client);
  if (entry === undefined) {
    const listeners = new Set<StateListener>();
    const forward: StateListener = (state) => {
      for (const each of [...listeners]) each(state);
    };
    entry = { listeners, forward };
    stateListeners.set(client, entry);
    client.on('state', forward);
  }
  const { listeners, forward } = entry;
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0 || stateListeners.get(client)?.listeners !== listeners) return;
    stateListeners.delete(client);
    client.off('state', forward);
  };
}
