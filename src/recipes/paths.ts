// Helpers the recipes share: creating a recipe's parent path, and a write barrier.

import { NodeExistsError, type ZooKeeperClient } from '../client/index.js';

/**
 * Creates `path` and its missing ancestors as persistent nodes; existing ones are left alone. A
 * NodeExists answer comes only once the other session's create is readable (Meerkat holds such an
 * answer until the txns prepared before it are applied, as ZooKeeper orders it), so a caller may
 * read the node right after.
 */
export async function ensurePath(client: ZooKeeperClient, path: string): Promise<void> {
  let prefix = '';
  for (const part of path.split('/').filter((segment) => segment !== '')) {
    prefix += `/${part}`;
    try {
      await client.create(prefix);
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }
}

/**
 * A write that changes nothing (a transaction checking '/' at any version). Its reply comes after
 * every write this session sent before it, also on a connection since lost: a read made after it
 * sees whether such a write applied. (Meerkat orders reads after writes per connection, ZooKeeper
 * per session; this works with both.)
 */
export async function writeBarrier(client: ZooKeeperClient): Promise<void> {
  await client.transaction().check('/', -1).commit();
}
