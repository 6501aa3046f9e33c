// The watch table as ZooKeeper 3.8 reports it. ZooKeeper keeps two tables: data (getData, exists and
// persistent watches) and child (getChildren and persistent watches). `wchs`, `wchc` and `wchp`
// print its data table only; zk_watch_count is the size of both. Meerkat keeps four tables, so the
// two are rebuilt here, deduplicated per (path, watcher) as ZooKeeper's sets are. Paths and watchers
// are listed sorted (ZooKeeper's order is a hash map's: nothing to match).

import type { ClientConnection, ServerCore } from '../server/index.js';
import { javaHex } from './java-format.js';

type Table = Map<string, Set<ClientConnection>>;

function addAll(table: Table, path: string, watchers: ReadonlySet<ClientConnection>): void {
  let set = table.get(path);
  if (set === undefined) table.set(path, (set = new Set()));
  for (const watcher of watchers) set.add(watcher);
}

function tables(core: ServerCore): { data: Table; child: Table } {
  const data: Table = new Map();
  const child: Table = new Map();
  core.tree.watches.forEachWatch((kind, path, watchers) => {
    if (kind !== 'child') addAll(data, path, watchers);
    if (kind !== 'data') addAll(child, path, watchers);
  });
  return { data, child };
}

function size(table: Table): number {
  let total = 0;
  for (const watchers of table.values()) total += watchers.size;
  return total;
}

const sessionHex = (sessionId: bigint): string => `0x${javaHex(sessionId)}`;
const sorted = (table: Table): string[] => [...table.keys()].sort();

/** zk_watch_count: data and child watches. */
export function watchCount(core: ServerCore): number {
  const { data, child } = tables(core);
  return size(data) + size(child);
}

export interface WatchTotals {
  /** Connections with at least one data watch. */
  connections: number;
  paths: number;
  watches: number;
}

/** `wchs` and `watch_summary`. */
export function watchTotals(core: ServerCore): WatchTotals {
  const { data } = tables(core);
  const watchers = new Set<ClientConnection>();
  for (const set of data.values()) for (const watcher of set) watchers.add(watcher);
  return { connections: watchers.size, paths: data.size, watches: size(data) };
}

/** `wchc` and `watches`: each watching session (in id order) and its watched paths, sorted. */
export function watchedPathsBySession(core: ServerCore): Map<bigint, string[]> {
  const { data } = tables(core);
  const byWatcher = new Map<ClientConnection, string[]>();
  for (const path of sorted(data)) {
    for (const watcher of data.get(path)!) {
      const paths = byWatcher.get(watcher);
      if (paths === undefined) byWatcher.set(watcher, [path]);
      else paths.push(path);
    }
  }
  const watchers = [...byWatcher.keys()].sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  return new Map(watchers.map((watcher) => [watcher.sessionId, byWatcher.get(watcher)!]));
}

/** `wchp` and `watches_by_path`: each watched path (sorted) and its watching sessions. */
export function watchingSessionsByPath(core: ServerCore): Map<string, bigint[]> {
  const { data } = tables(core);
  return new Map(sorted(data).map((path) => [path, [...data.get(path)!].map((watcher) => watcher.sessionId)]));
}

/** `wchs`. */
export function watchSummary(core: ServerCore): string {
  const totals = watchTotals(core);
  return `${totals.connections} connections watching ${totals.paths} paths\nTotal watches:${totals.watches}\n`;
}

/** `wchc`: each watching session and its paths, then an empty line. */
export function watchesByConnection(core: ServerCore): string {
  let text = '';
  for (const [sessionId, paths] of watchedPathsBySession(core)) text += `${sessionHex(sessionId)}\n` + paths.map((path) => `\t${path}\n`).join('');
  return `${text}\n`;
}

/** `wchp`: each watched path and its sessions, then an empty line. */
export function watchesByPath(core: ServerCore): string {
  let text = '';
  for (const [path, sessionIds] of watchingSessionsByPath(core)) text += `${path}\n` + sessionIds.map((id) => `\t${sessionHex(id)}\n`).join('');
  return `${text}\n`;
}
