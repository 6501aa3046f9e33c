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

const sessionOf = (connection: ClientConnection): string => `0x${javaHex(connection.sessionId)}`;
const sorted = (table: Table): string[] => [...table.keys()].sort();

/** zk_watch_count: data and child watches. */
export function watchCount(core: ServerCore): number {
  const { data, child } = tables(core);
  return size(data) + size(child);
}

/** `wchs`. */
export function watchSummary(core: ServerCore): string {
  const { data } = tables(core);
  const watchers = new Set<ClientConnection>();
  for (const set of data.values()) for (const watcher of set) watchers.add(watcher);
  return `${watchers.size} connections watching ${data.size} paths\nTotal watches:${size(data)}\n`;
}

/** `wchc`: each watching session and its paths, then an empty line. */
export function watchesByConnection(core: ServerCore): string {
  const { data } = tables(core);
  const byWatcher = new Map<ClientConnection, string[]>();
  for (const path of sorted(data)) {
    for (const watcher of data.get(path)!) {
      const paths = byWatcher.get(watcher);
      if (paths === undefined) byWatcher.set(watcher, [path]);
      else paths.push(path);
    }
  }
  let text = '';
  const watchers = [...byWatcher.keys()].sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  for (const watcher of watchers) text += `${sessionOf(watcher)}\n` + byWatcher.get(watcher)!.map((path) => `\t${path}\n`).join('');
  return `${text}\n`;
}

/** `wchp`: each watched path and its sessions, then an empty line. */
export function watchesByPath(core: ServerCore): string {
  const { data } = tables(core);
  let text = '';
  for (const path of sorted(data)) {
    text += `${path}\n` + [...data.get(path)!].map((watcher) => `\t${sessionOf(watcher)}\n`).join('');
  }
  return `${text}\n`;
}
