// Quotas (ZooKeeper's DataTree quota bookkeeping, PathTrie and ZooKeeperServer.checkQuota). A quota
// on /a is the node /zookeeper/quota/a/zookeeper_limits (its data a StatsTrack of limits, see
// stats-track.ts); /zookeeper/quota/a/zookeeper_stats holds the subtree's `count` (nodes, /a included)
// and `bytes` (their data). Clients (zkCli setquota) write both nodes; the tree keeps the stats.
//
// Everything here is derived state every replica computes the same way while applying txns: no txn
// carries it. The stats node's data is rewritten in place (no version, mzxid or watch), as ZooKeeper
// does; every quota node is under /zookeeper/, which the digest leaves out, so the digest is untouched.
//
// What ZooKeeper 3.8 does, and so what this does:
// - Creating a child named zookeeper_limits of a node whose path starts with "/zookeeper/quota" gives
//   the path after that prefix a quota; deleting one (parent under "/zookeeper") takes it away.
// - Creating a zookeeper_stats node sets its data to the current count and bytes of its subtree.
// - A create, delete or setData anywhere adds to the stats of the deepest quota above the node
//   (quotas on "/" are ignored): count ±1, bytes ± the data's length.
// - After a snapshot is loaded, the quotas are found again (every zookeeper_limits leaf under
//   /zookeeper/quota) and each stats node is recomputed from the tree; replay then adds as above.
// Where ZooKeeper throws an internal exception instead (a quota path that is empty, a stats node whose
// data does not parse), this leaves the stats as they are.

import { ErrorCode } from '../proto/index.js';
import type { DataTree } from './data-tree.js';
import {
  type StatsTrack, addToStatsValue, formatStatsTrack, parseStatsTrack, statsByteHardLimitKey, statsBytesKey, statsCountHardLimitKey,
  statsCountKey, statsValue,
} from './stats-track.js';

export const quotaRootPath = '/zookeeper/quota';
export const quotaLimitsName = 'zookeeper_limits';
export const quotaStatsName = 'zookeeper_stats';
/** DataTree's trie removal tests this prefix, not quotaRootPath. */
const systemPath = '/zookeeper';
const limitsSuffix = `/${quotaLimitsName}`;

/** Java's String.trim() would leave nothing (every char ≤ U+0020): PathTrie drops such components. */
function isBlank(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0x20) return false;
  return true;
}

/** PathTrie's split: the non-blank components. */
function components(path: string): string[] {
  return path.split('/').filter((name) => !isBlank(name));
}

export function quotaLimitsPath(quotaPath: string): string {
  return `${quotaRootPath}${quotaPath}/${quotaLimitsName}`;
}

export function quotaStatsPath(quotaPath: string): string {
  return `${quotaRootPath}${quotaPath}/${quotaStatsName}`;
}

/** A tree's quotas: ZooKeeper's PathTrie as the set of paths with a quota (its property nodes). */
export class QuotaTracker {
  /** Each quota'd path as PathTrie returns it: "/" and its non-blank components joined by "/". */
  private readonly paths = new Set<string>();

  get size(): number {
    return this.paths.size;
  }

  /** Quota'd paths, sorted (tests, diagnostics). */
  list(): string[] {
    return [...this.paths].sort();
  }

  /** getMaxPrefixWithQuota: the deepest quota'd path that is `path` or above it; null for none (or "/"). */
  maxPrefix(path: string): string | null {
    if (this.paths.size === 0) return null;
    let prefix = '';
    let deepest: string | null = null;
    for (const name of components(path)) {
      prefix += `/${name}`;
      if (this.paths.has(prefix)) deepest = prefix;
    }
    return deepest;
  }

  private add(path: string): void {
    const parts = components(path);
    // PathTrie.addPath("") throws; a path of no components marks the trie's root, which no lookup reads.
    if (parts.length > 0) this.paths.add(`/${parts.join('/')}`);
  }

  private remove(path: string): void {
    const parts = components(path);
    if (parts.length > 0) this.paths.delete(`/${parts.join('/')}`);
  }

  /** After `path` was created with `dataLength` bytes (DataTree.createNode's quota steps). */
  created<W>(tree: DataTree<W>, path: string, dataLength: number): void {
    if (path.startsWith(quotaRootPath)) {
      const parentEnd = path.lastIndexOf('/');
      const parent = path.slice(0, parentEnd);
      if (parent.startsWith(quotaRootPath)) {
        const name = path.slice(parentEnd + 1);
        const quotaPath = parent.slice(quotaRootPath.length);
        if (name === quotaLimitsName) this.add(quotaPath);
        if (name === quotaStatsName) recomputeStats(tree, quotaPath);
      }
    }
    this.addToStats(tree, path, { bytes: dataLength, count: 1 });
  }

  /** After `path`, which held `dataLength` bytes, was deleted. */
  deleted<W>(tree: DataTree<W>, path: string, dataLength: number): void {
    if (path.startsWith(systemPath) && path.endsWith(limitsSuffix)) {
      const parent = path.slice(0, path.length - limitsSuffix.length);
      // As ZooKeeper: the parent is tested against "/zookeeper" but trimmed by "/zookeeper/quota"'s length.
      if (parent.startsWith(systemPath)) this.remove(parent.slice(quotaRootPath.length));
    }
    this.addToStats(tree, path, { bytes: -dataLength, count: -1 });
  }

  /** After `path`'s data changed length by `bytesDiff` (the stats node is rewritten even for 0). */
  dataChanged<W>(tree: DataTree<W>, path: string, bytesDiff: number): void {
    this.addToStats(tree, path, { bytes: bytesDiff, count: 0 });
  }

  /** ZooKeeper's setupQuota after a snapshot load: quotas found again, stats recomputed. */
  rebuild<W>(tree: DataTree<W>): void {
    this.paths.clear();
    const pending = [quotaRootPath];
    while (pending.length > 0) {
      const path = pending.pop()!;
      const node = tree.getNode(path);
      if (node === undefined) continue;
      const children = [...node.children];
      for (const child of children) pending.push(`${path}/${child}`);
      // Only a childless zookeeper_limits marks a quota; the quota'd path ends at its first "/zookeeper_limits".
      if (children.length > 0 || !path.endsWith(limitsSuffix)) continue;
      const quotaPath = path.slice(quotaRootPath.length, path.indexOf(limitsSuffix));
      recomputeStats(tree, quotaPath);
      this.add(quotaPath);
    }
  }

  /** updateQuotaStat: adds to the stats of the deepest quota over `path`, if any. */
  private addToStats<W>(tree: DataTree<W>, path: string, diff: { bytes: number; count: number }): void {
    const quotaPath = this.maxPrefix(path);
    if (quotaPath === null) return;
    const statsPath = quotaStatsPath(quotaPath);
    const node = tree.getNode(statsPath);
    if (node === undefined) return;
    const stats = parseStatsTrack(node.data);
    if (stats === null) return;
    addToStatsValue(stats, statsCountKey, BigInt(diff.count));
    addToStatsValue(stats, statsBytesKey, BigInt(diff.bytes));
    tree.replaceData(statsPath, formatStatsTrack(stats));
  }
}

/** updateQuotaForPath: the stats node of `quotaPath` gets its subtree's count and bytes, nothing else. */
function recomputeStats<W>(tree: DataTree<W>, quotaPath: string): void {
  const statsPath = quotaStatsPath(quotaPath);
  if (tree.getNode(statsPath) === undefined) return;
  // ZooKeeper's node map holds the root under "" as well as "/".
  const usage = tree.subtreeUsage(quotaPath === '' ? '/' : quotaPath);
  const stats: StatsTrack = new Map([[statsCountKey, BigInt(usage.count)], [statsBytesKey, BigInt(usage.bytes)]]);
  tree.replaceData(statsPath, formatStatsTrack(stats));
}

/** A write prep is about to accept: `countDiff` nodes and `bytesDiff` bytes more under `path`. */
export interface QuotaChange {
  path: string;
  bytesDiff: number;
  countDiff: number;
}

/**
 * checkQuota's verdict: `err` is 0, QUOTAEXCEEDED when a hard limit would be passed, or
 * MARSHALLINGERROR when the limits or stats do not parse (ZooKeeper's prep catches the parser's
 * exception and answers that); `warnings` are ZooKeeper's log lines, one per limit (hard or soft)
 * the write would pass, or the parse failure.
 */
export interface QuotaVerdict {
  err: number;
  warnings: readonly string[];
}

const withinQuota: QuotaVerdict = { err: ErrorCode.ok, warnings: [] };

/**
 * ZooKeeperServer.checkQuota with enforcement on, against the tree as applied (as ZooKeeper reads
 * its committed database, not the pending changes): creates pass `countDiff` 1, setData 0.
 */
export function checkQuota<W>(tree: DataTree<W>, change: QuotaChange): QuotaVerdict {
  const quotaPath = tree.quotas.maxPrefix(change.path);
  if (quotaPath === null) return withinQuota;
  const limitsNode = tree.getNode(quotaLimitsPath(quotaPath));
  if (limitsNode === undefined) return withinQuota;
  const limits = parseStatsTrack(limitsNode.data);
  if (limits === null) return { err: ErrorCode.marshallingError, warnings: [`malformed quota limits in ${quotaLimitsPath(quotaPath)}`] };
  const countDiff = BigInt(change.countDiff);
  const bytesDiff = BigInt(change.bytesDiff);
  const checkCount = countDiff !== 0n && (statsValue(limits, statsCountKey) > -1n || statsValue(limits, statsCountHardLimitKey) > -1n);
  const checkBytes = bytesDiff !== 0n && (statsValue(limits, statsBytesKey) > -1n || statsValue(limits, statsByteHardLimitKey) > -1n);
  if (!checkCount && !checkBytes) return withinQuota;
  const statsNode = tree.getNode(quotaStatsPath(quotaPath));
  if (statsNode === undefined) return withinQuota;
  const stats = parseStatsTrack(statsNode.data);
  if (stats === null) return { err: ErrorCode.marshallingError, warnings: [`malformed quota stats in ${quotaStatsPath(quotaPath)}`] };
  const warnings: string[] = [];
  for (const limit of [
    { check: checkCount, name: 'count', label: 'Count', key: statsCountKey, hardKey: statsCountHardLimitKey, diff: countDiff },
    { check: checkBytes, name: 'bytes', label: 'Byte', key: statsBytesKey, hardKey: statsByteHardLimitKey, diff: bytesDiff },
  ]) {
    if (!limit.check) continue;
    const current = BigInt.asIntN(64, statsValue(stats, limit.key) + limit.diff);
    const hard = statsValue(limits, limit.hardKey) > -1n;
    const bound = hard ? statsValue(limits, limit.hardKey) : statsValue(limits, limit.key);
    if (current <= bound) continue;
    warnings.push(`Quota exceeded: ${quotaPath} [current ${limit.name}=${current}, ${hard ? 'hard' : 'soft'}${limit.label}Limit=${bound}]`);
    if (hard) return { err: ErrorCode.quotaExceeded, warnings };
  }
  return warnings.length === 0 ? withinQuota : { err: ErrorCode.ok, warnings };
}
