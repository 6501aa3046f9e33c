// Node data as callers give it: bytes, or a string stored as UTF-8; null for no data at all.

import type { NodeData } from '../proto/index.js';

export type Data = Uint8Array | string;

const empty = new Uint8Array(0);

/**
 * A node's data for a request: null stays null (no data: ZooKeeper keeps it distinct from empty data
 * and getData gives it back as null); undefined (data left out) is empty data.
 */
export function toNodeData(data: Data | undefined | null): NodeData {
  return data === null ? null : toBytes(data);
}

export function toBytes(data: Data | undefined | null): Uint8Array {
  if (data === undefined || data === null) return empty;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
