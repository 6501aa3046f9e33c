// TreeCache: the data and Stat of every node of a subtree (path -> {data, stat}), kept current by ONE
// persistent recursive watch on the root (addWatch, ZooKeeper 3.6+) plus a walk of the tree.
//
// How it stays correct:
// - The watch is registered before the first walk, so every change after the walk's reads has an
//   event. Events only mark a path dirty; one worker re-reads dirty paths one at a time, so a read
//   is never applied after a later one, and a burst of events on one path costs one read.
// - Persistent watches are re-registered by the client after a reconnect, but changes made while
//   disconnected fire no event. After every reconnect the worker walks the tree again and emits the
//   differences from the cache (nodeAdded / nodeUpdated / nodeRemoved).
// - A node deleted and re-created between two reads shows as nodeUpdated (its czxid changed).
// Guarantee: once quiet (no change, connected, worker idle) the cache equals the server's subtree.
// Between events it lags the server, like every ZooKeeper cache. After session expiry it stops
// ('error' with the SessionExpiredError): start a new cache on a new client.
// A server without persistent watches (ZooKeeper < 3.6) fails start() with PersistentWatchUnsupportedError.

import { EventEmitter } from 'node:events';
import {
  ConnectionLossError,
  MarshallingError,
  NoNodeError,
  UnimplementedError,
  ZooKeeperError,
  type ClientWatchEvent,
  type SessionState,
  type Stat,
  type WatchStream,
  type ZooKeeperClient,
} from '../client/index.js';

/** Default bound on the nodes one cache holds: the walk fails beyond it rather than eat memory. */
const nodesMaxDefault = 100_000;

export interface TreeNode {
  data: Uint8Array;
  stat: Stat;
}

export interface TreeCacheOptions {
  /** Refuse subtrees larger than this many nodes (start() and re-syncs fail). Default 100000. */
  nodesMax?: number;
}

/** The server does not know addWatch (persistent watches arrived in ZooKeeper 3.6). */
export class PersistentWatchUnsupportedError extends ZooKeeperError {
  override name = 'PersistentWatchUnsupportedError';
  constructor(path: string, cause: unknown) {
    super(new UnimplementedError().code, `the server does not support persistent recursive watches (addWatch, ZooKeeper 3.6+), needed to cache ${path}`, { path, cause });
  }
}

type TreeCacheEvents = {
  nodeAdded: [path: string, node: TreeNode];
  nodeUpdated: [path: string, node: TreeNode];
  nodeRemoved: [path: string, node: TreeNode];
  initialized: [];
  error: [error: Error];
};

export class TreeCache extends EventEmitter<TreeCacheEvents> {
  /** Path (relative to the client's chroot) -> node, for the root and every descendant. */
  readonly nodes = new Map<string, TreeNode>();
  private readonly nodesMax: number;
  private readonly dirty = new Set<string>();
  private resyncWanted = false;
  private working: Promise<void> | undefined;
  private stream: WatchStream | undefined;
  private disconnected = false;
  private stopped = false;

  constructor(private readonly client: ZooKeeperClient, readonly root: string, options: TreeCacheOptions = {}) {
    super();
    this.nodesMax = options.nodesMax ?? nodesMaxDefault;
  }

  /** Registers the watch, walks the tree (nodeAdded for each node), then emits 'initialized'. */
  async start(): Promise<void> {
    const stream = this.client.watch(this.root, { mode: 'persistentRecursive' });
    try {
      await stream.ready;
    } catch (error) {
      if (error instanceof UnimplementedError || error instanceof MarshallingError) throw new PersistentWatchUnsupportedError(this.root, error);
      throw error;
    }
    this.stream = stream;
    this.client.on('state', this.onState);
    void this.consume(stream);
    // The worker is held off until the first walk is applied; what it marks meanwhile runs after.
    const initial = this.walk().then((found) => this.applyWalk(found));
    this.working = initial.catch(() => undefined);
    try {
      await initial;
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      this.working = undefined;
    }
    this.emit('initialized');
    void this.kick();
  }

  /** Stops listening and removes the watch; the cached nodes stay readable. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.client.off('state', this.onState);
    await this.stream?.close();
  }

  get(path: string): TreeNode | undefined {
    return this.nodes.get(path);
  }

  /** Names of the cached children of `path`, sorted. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()]
      .filter((candidate) => candidate.startsWith(prefix) && candidate.length > prefix.length && !candidate.slice(prefix.length).includes('/'))
      .map((candidate) => candidate.slice(prefix.length))
      .sort();
  }

  /** Resolves once the worker has nothing left to do (useful after a burst of changes). */
  async idle(): Promise<void> {
    while (this.working !== undefined) await this.working;
  }

  private readonly onState = (state: SessionState): void => {
    if (state === 'disconnected') this.disconnected = true;
    if ((state === 'connected' || state === 'connectedReadOnly') && this.disconnected) {
      this.disconnected = false;
      this.resyncWanted = true;
      void this.kick();
    }
  };

  private async consume(stream: WatchStream): Promise<void> {
    try {
      for await (const event of stream) this.onEvent(event);
    } catch (error) {
      if (this.stopped) return;
      this.stopped = true;
      this.client.off('state', this.onState);
      this.emit('error', error as Error);
    }
  }

  private onEvent(event: ClientWatchEvent): void {
    if (this.stopped) return;
    this.dirty.add(event.path);
    void this.kick();
  }

  /** Runs the worker unless it runs already; resolves when it stops. */
  private kick(): Promise<void> {
    this.working ??= this.work().finally(() => {
      this.working = undefined;
      // Work marked after the loop's last test but before this line would otherwise wait.
      if (!this.stopped && this.client.state === 'connected' && (this.resyncWanted || this.dirty.size > 0)) void this.kick();
    });
    return this.working;
  }

  private async work(): Promise<void> {
    while (!this.stopped && (this.resyncWanted || this.dirty.size > 0)) {
      try {
        if (this.resyncWanted) {
          this.resyncWanted = false;
          // A walk reads every node fresh: changes marked so far are covered by it.
          this.dirty.clear();
          this.applyWalk(await this.walk());
        } else {
          const path = this.dirty.values().next().value as string;
          this.dirty.delete(path);
          await this.refresh(path);
        }
      } catch (error) {
        if (isFinal(this.client.state)) return; // the watch stream reports the session's end
        if (!(error instanceof ConnectionLossError)) {
          this.emit('error', error as Error);
          continue;
        }
        // Whatever was being read is re-read by a walk, now or after the coming reconnect.
        this.resyncWanted = true;
        if (this.client.state !== 'connected') return;
      }
    }
  }

  private async refresh(path: string): Promise<void> {
    let node: TreeNode | null;
    try {
      const { data, stat } = await this.client.getData(path);
      node = { data: data ?? new Uint8Array(0), stat };
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      node = null;
    }
    if (this.stopped) return;
    if (node === null) {
      for (const gone of [...this.nodes.keys()].filter((candidate) => isSelfOrBelow(candidate, path)).sort().reverse()) this.remove(gone);
      return;
    }
    this.put(path, node);
  }

  /** Every node of the subtree, read fresh (data and children in one round trip per node). */
  private async walk(): Promise<Map<string, TreeNode>> {
    const found = new Map<string, TreeNode>();
    const visit = async (path: string): Promise<void> => {
      const [dataResult, childrenResult] = await this.client.multiRead([
        { type: 'getData', path },
        { type: 'getChildren', path },
      ]);
      if (dataResult?.type !== 'getData' || childrenResult?.type !== 'getChildren') {
        const error = dataResult?.type === 'error' ? dataResult.error : childrenResult?.type === 'error' ? childrenResult.error : undefined;
        if (error instanceof NoNodeError) return;
        throw error ?? new Error(`unexpected multiRead result for ${path}`);
      }
      found.set(path, { data: dataResult.data ?? new Uint8Array(0), stat: dataResult.stat });
      if (found.size > this.nodesMax) throw new RangeError(`${this.root} has more than ${this.nodesMax} nodes`);
      await Promise.all(childrenResult.children.map((child) => visit(path === '/' ? `/${child}` : `${path}/${child}`)));
    };
    await visit(this.root);
    return found;
  }

  /** Brings the cache to `found`, emitting each difference (removals deepest first). */
  private applyWalk(found: Map<string, TreeNode>): void {
    if (this.stopped) return;
    for (const path of [...this.nodes.keys()].filter((candidate) => !found.has(candidate)).sort().reverse()) this.remove(path);
    for (const path of [...found.keys()].sort()) this.put(path, found.get(path)!);
  }

  private put(path: string, node: TreeNode): void {
    const previous = this.nodes.get(path);
    if (previous !== undefined && previous.stat.mzxid === node.stat.mzxid && previous.stat.czxid === node.stat.czxid) {
      // Same data; children counts and pzxid may have moved: keep the newest Stat without an event.
      this.nodes.set(path, node);
      return;
    }
    this.nodes.set(path, node);
    this.emit(previous === undefined ? 'nodeAdded' : 'nodeUpdated', path, node);
  }

  private remove(path: string): void {
    const previous = this.nodes.get(path);
    if (previous === undefined) return;
    this.nodes.delete(path);
    this.emit('nodeRemoved', path, previous);
  }
}

function isSelfOrBelow(candidate: string, path: string): boolean {
  return candidate === path || candidate.startsWith(path === '/' ? '/' : `${path}/`);
}

function isFinal(state: SessionState): boolean {
  return state === 'expired' || state === 'authFailed' || state === 'closed';
}
