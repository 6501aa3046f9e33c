// Group membership: each member is an ephemeral znode `<group>/<memberId>` holding its data, so a
// member leaves when it says so or when its session ends. `members()` reads the group; `watch()`
// keeps a ChildrenCache of it. A member id already taken by a live session is refused
// (NodeExistsError), so two processes cannot claim one identity.

import { NodeExistsError, type ZooKeeperClient } from '../client/index.js';
import { ChildrenCache } from './children-cache.js';

export class GroupMembership {
  constructor(private readonly client: ZooKeeperClient, readonly groupPath: string) {}

  /** Creates the group's parent (and its ancestors) if missing. */
  async ensureGroup(): Promise<void> {
    let path = '';
    for (const part of this.groupPath.split('/').filter((segment) => segment !== '')) {
      path += `/${part}`;
      try {
        await this.client.create(path);
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
    }
  }

  /** Joins as `memberId`; resolves to the member's path. Leaves on `leave()` or session end. */
  async join(memberId: string, data: Uint8Array | string = ''): Promise<string> {
    await this.ensureGroup();
    return (await this.client.create(`${this.groupPath}/${memberId}`, data, { mode: 'ephemeral' })).path;
  }

  async leave(memberId: string): Promise<void> {
    await this.client.delete(`${this.groupPath}/${memberId}`);
  }

  async members(): Promise<string[]> {
    return (await this.client.getChildren(this.groupPath)).children.sort();
  }

  /** A started cache of the member list; listen to its 'change' events. */
  async watch(): Promise<ChildrenCache> {
    await this.ensureGroup();
    const cache = new ChildrenCache(this.client, this.groupPath);
    await cache.start();
    return cache;
  }
}
