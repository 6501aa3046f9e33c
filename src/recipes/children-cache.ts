// ChildrenCache: the sorted child names of one znode, kept current with a one-shot child watch re-armed
// after each event. Listeners hear 'change' with the new list (an empty list once the parent is gone,
// after which the cache waits for it to be created again).

import { EventEmitter } from 'node:events';
import { NoNodeError, type ZooKeeperClient } from '../client/index.js';

export class ChildrenCache extends EventEmitter<{ change: [string[]]; error: [Error] }> {
  current: string[] = [];
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
    let next: string[];
    try {
      next = (await this.client.getChildren(this.path, { watch: this.onEvent })).children.sort();
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      if ((await this.client.exists(this.path, { watch: this.onEvent })) !== null) return this.refresh();
      next = [];
    }
    const changed = next.length !== this.current.length || next.some((name, index) => name !== this.current[index]);
    this.current = next;
    if (changed && !this.stopped) this.emit('change', next);
  }
}
