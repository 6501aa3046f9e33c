// Node data as callers give it: bytes, or a string stored as UTF-8.

export type Data = Uint8Array | string;

const empty = new Uint8Array(0);

export function toBytes(data: Data | undefined | null): Uint8Array {
  if (data === undefined || data === null) return empty;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
