// Reads a whole znode tree over the wire (getChildren2, getData, getACL on every node) into a plain,
// comparable object: path → data (hex, or null for no data), full stat, ACL. Used to compare servers' trees exactly.

import { OpCode } from '../../src/proto/index.js';
import type { RawClient } from './raw-client.js';

export interface DumpedNode {
  /** Null when the node has no data (not empty data). */
  data: string | null;
  stat: Record<string, string | number>;
  acl: string[];
}

/** Every node below `root` (inclusive), sorted by path. Bounded by `maxNodes`. */
export async function dumpTree(client: RawClient, root = '/', maxNodes = 100_000): Promise<Record<string, DumpedNode>> {
  const result: Record<string, DumpedNode> = {};
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (Object.keys(result).length >= maxNodes) throw new Error(`more than ${maxNodes} nodes`);
    const data = await client.request({ type: OpCode.getData, path, watch: false });
    const acl = await client.request({ type: OpCode.getACL, path });
    const children = await client.request({ type: OpCode.getChildren, path, watch: false });
    if (data.response?.type !== OpCode.getData || acl.response?.type !== OpCode.getACL || children.response?.type !== OpCode.getChildren) {
      throw new Error(`cannot read ${path}: error ${data.header.err}/${acl.header.err}/${children.header.err}`);
    }
    const stat = Object.fromEntries(Object.entries(data.response.stat).map(([key, value]) => [key, typeof value === 'bigint' ? value.toString(16) : value]));
    result[path] = {
      data: data.response.data === null ? null : Buffer.from(data.response.data).toString('hex'),
      stat,
      acl: acl.response.acl.map((entry) => `${entry.perms}:${entry.id.scheme}:${entry.id.id}`),
    };
    for (const child of children.response.children) pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
  }
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1)));
}
