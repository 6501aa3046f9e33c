// ZooKeeper's StatsTrack text, the data of a quota's zookeeper_limits and zookeeper_stats nodes:
// `key=value` pairs separated by `,` or `;` (runs of them count as one), values Java longs.
//
//   count=4,bytes=5                                   stats, and limits before 3.7 (soft limits)
//   count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3   limits as zkCli 3.7+ writes them
//
// Formatting puts `count` and `bytes` first (-1 when absent), then, after a spurious `=` that lets a
// 3.4 parser ignore the rest, every other key in sorted order with `;` before each. A missing key
// reads as -1. Parsing follows Java's String.split (trailing empty pieces dropped, a leading one kept)
// and Long.parseLong; where ZooKeeper's parser throws (a pair without a value, a value that is not a
// long), `parseStatsTrack` returns null. Values are BigInts and arithmetic wraps at 64 bits, as Java's.

/** A parsed StatsTrack: key → value. Map order is irrelevant (formatting sorts). */
export type StatsTrack = Map<string, bigint>;

export const statsCountKey = 'count';
export const statsBytesKey = 'bytes';
export const statsCountHardLimitKey = 'countHardLimit';
export const statsByteHardLimitKey = 'byteHardLimit';

const pairSeparator = /[,;]+/;
const javaLong = /^[+-]?[0-9]+$/;
const longMax = (1n << 63n) - 1n;
const longMin = -(1n << 63n);

/** Java's String.split with no limit: trailing empty pieces are dropped. */
function javaSplit(text: string, separator: RegExp | string): string[] {
  const pieces = text.split(separator);
  while (pieces.length > 0 && pieces[pieces.length - 1] === '') pieces.pop();
  return pieces;
}

/** Long.parseLong, or null where it would throw NumberFormatException (ASCII digits only). */
function parseLong(text: string): bigint | null {
  if (!javaLong.test(text)) return null;
  const value = BigInt(text);
  return value > longMax || value < longMin ? null : value;
}

/** The StatsTrack in a node's data (UTF-8); null when ZooKeeper's parser would throw (no data, too). */
export function parseStatsTrack(data: Uint8Array | null): StatsTrack | null {
  if (data === null) return null;
  const stats: StatsTrack = new Map();
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (text.length === 0) return stats;
  for (const pair of javaSplit(text, pairSeparator)) {
    // Java's "".split("=") is [""]: no value, as for "count" or "count=".
    const keyValue = pair === '' ? [''] : javaSplit(pair, '=');
    if (keyValue.length < 2) return null;
    const value = keyValue[1] === '' ? -1n : parseLong(keyValue[1]!);
    if (value === null) return null;
    stats.set(keyValue[0]!, value);
  }
  return stats;
}

export function statsValue(stats: StatsTrack, key: string): bigint {
  return stats.get(key) ?? -1n;
}

/** Adds `diff` to `key` (from -1 when absent), wrapping like a Java long. */
export function addToStatsValue(stats: StatsTrack, key: string, diff: bigint): void {
  stats.set(key, BigInt.asIntN(64, statsValue(stats, key) + diff));
}

/** StatsTrack.toString, as UTF-8 bytes. */
export function formatStatsTrack(stats: StatsTrack): Uint8Array {
  let text = `${statsCountKey}=${statsValue(stats, statsCountKey)},${statsBytesKey}=${statsValue(stats, statsBytesKey)}`;
  const others = [...stats.keys()].filter((key) => key !== statsCountKey && key !== statsBytesKey).sort();
  if (others.length > 0) text += `=${others.map((key) => `;${key}=${stats.get(key)!}`).join('')}`;
  return Buffer.from(text, 'utf8');
}
