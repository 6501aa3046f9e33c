// Reads a whole znode tree over the wire (getChildren2, getData, getACL on every node) into a plain,
// comparable object: path → data (hex, or null for no data), full stat, ACL. Used to compare servers' trees exactly.
// `dumpTreePipelined` does the same for large trees.

import { createHash } from 'node:crypto';
import { OpCode, type Stat } from '../../src/proto/index.js';
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

/** A node as `dumpTreePipelined` reads it: the raw stat, so callers normalise as they need. */
export interface PipelinedNode {
  /** Up to 32 bytes as `hex:…`, longer as `sha1:…/length`; null when the server has no data (-1 length). */
  data: string | null;
  stat: Stat;
  acl: string[];
}

/** Data as the pipelined dump shows it (also for comparing reply bodies). */
export function describeData(data: Uint8Array | null): string | null {
  if (data === null) return null;
  if (data.length <= 32) return `hex:${Buffer.from(data).toString('hex')}`;
  return `sha1:${createHash('sha1').update(data).digest('hex')}/${data.length}`;
}

/**
 * Every node below `root` (inclusive), read level by level with up to `window` requests in flight
 * on one session (getData, getACL, getChildren per node) — for trees of thousands of nodes, where
 * `dumpTree`'s one round trip per request is too slow. Bounded by `maxNodes`.
 */
export async function dumpTreePipelined(
  client: RawClient,
  options: { root?: string; maxNodes?: number; window?: number } = {},
): Promise<Map<string, PipelinedNode>> {
  const maxNodes = options.maxNodes ?? 200_000;
  const window = options.window ?? 300;
  const result = new Map<string, PipelinedNode>();
  let level = [options.root ?? '/'];
  while (level.length > 0) {
    if (result.size + level.length > maxNodes) throw new Error(`more than ${maxNodes} nodes`);
    const next: string[] = [];
    for (let start = 0; start < level.length; start += window) {
      await Promise.all(level.slice(start, start + window).map(async (path) => {
        const [data, acl, children] = await Promise.all([
          client.request({ type: OpCode.getData, path, watch: false }),
          client.request({ type: OpCode.getACL, path }),
          client.request({ type: OpCode.getChildren, path, watch: false }),
        ]);
        if (data.response?.type !== OpCode.getData || acl.response?.type !== OpCode.getACL || children.response?.type !== OpCode.getChildren) {
          throw new Error(`cannot read ${JSON.stringify(path)}: error ${data.header.err}/${acl.header.err}/${children.header.err}`);
        }
        result.set(path, {
          data: describeData(data.response.data),
          stat: data.response.stat,
          acl: acl.response.acl.map((entry) => `${entry.perms}:${entry.id.scheme}:${entry.id.id}`),
        });
        for (const child of children.response.children) next.push(path === '/' ? `/${child}` : `${path}/${child}`);
      }));
    }
    level = next;
  }
  return new Map([...result.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
