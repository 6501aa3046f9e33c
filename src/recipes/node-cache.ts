// NodeCache: the current data and Stat of one znode, kept up to date with one-shot watches (exists
// while the node is missing, getData while it exists), re-armed after every event. Listeners hear
// 'change' with the new state, or null once the node is gone. Guarantee: after `start()` resolves,
// `current` reflects some state at least as new as the one before `start()`; between events it may
// lag the server by one change (as every ZooKeeper cache does). The client re-registers the watch
// after a reconnect, so no change is missed silently; after session expiry the cache stops.

import { EventEmitter } from 'node:events';
import { NoNodeError, type Stat, type ZooKeeperClient } from '../client/index.js';

export interface NodeState {
  data: Uint8Array;
  stat: Stat;
}

export class NodeCache extends EventEmitter<{ change: [NodeState | null]; error: [Error] }> {
  current: NodeState | null = null;
  private stopped = false;

  constructor(private readonly client: ZooKeeperClient, readonly path: string) {
    super();
  }

  async start(): Promise<void> {
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
  }

  private readonly onEvent = (): void => {
    if (!this.stopped) this.refresh().catch((error: unknown) => this.emit('error', error as Error));
  };

  private async refresh(): Promise<void> {
    let next: NodeState | null;
    try {
      const { data, stat } = await this.client.getData(this.path, { watch: this.onEvent });
      next = { data: data ?? new Uint8Array(0), stat };
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // Missing: watch for its creation; if it appeared meanwhile, read it now.
      const stat = await this.client.exists(this.path, { watch: this.onEvent });
      if (stat !== null) return this.refresh();
      next = null;
    }
    const changed = next === null ? this.current !== null : this.current === null || next.stat.mzxid !== this.current.stat.mzxid;
    this.current = next;
    if (changed && !this.stopped) this.emit('change', next);
  }
}
