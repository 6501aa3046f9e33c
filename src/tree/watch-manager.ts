// The watch table (ZooKeeper's WatchManager, data and child tables, plus 3.6's persistent and
// persistent-recursive modes). A watcher W is the server's opaque connection object, compared by
// identity. One-shot data/exist and child watches are removed when they fire; persistent ones stay.
// A trigger notifies each watcher at most once, however many ways it registered.

import { EventType, WatcherType } from '../proto/index.js';

export interface WatchDelivery<W> extends WatchEvent {
  watcher: W;
}

/** A change that may fire watches: its type (EventType), the path, and the zxid that made it. */
export interface WatchEvent {
  type: number;
  path: string;
  zxid: number;
}

type Table<W> = Map<string, Set<W>>;

/** Which table a watch sits in: data (getData and exists), child, persistent, persistent-recursive. */
export type WatchTableKind = 'data' | 'child' | 'persistent' | 'recursive';

function add<W>(table: Table<W>, path: string, watcher: W): void {
  let watchers = table.get(path);
  if (watchers === undefined) table.set(path, (watchers = new Set()));
  watchers.add(watcher);
}

function remove<W>(table: Table<W>, path: string, watcher: W): boolean {
  const watchers = table.get(path);
  if (watchers === undefined || !watchers.delete(watcher)) return false;
  if (watchers.size === 0) table.delete(path);
  return true;
}

function has<W>(table: Table<W>, path: string, watcher: W): boolean {
  return table.get(path)?.has(watcher) ?? false;
}

export class WatchManager<W> {
  /** getData and exists watches (ZooKeeper keeps exist watches in the data table too). */
  private readonly data: Table<W> = new Map();
  private readonly child: Table<W> = new Map();
  private readonly persistent: Table<W> = new Map();
  private readonly recursive: Table<W> = new Map();

  addDataWatch(path: string, watcher: W): void {
    add(this.data, path, watcher);
  }

  /** An exists watch on a missing node: fires NodeCreated. */
  addExistWatch(path: string, watcher: W): void {
    add(this.data, path, watcher);
  }

  addChildWatch(path: string, watcher: W): void {
    add(this.child, path, watcher);
  }

  addPersistentWatch(path: string, watcher: W, recursive: boolean): void {
    add(recursive ? this.recursive : this.persistent, path, watcher);
  }

  private tablesFor(watcherType: number): Table<W>[] {
    switch (watcherType) {
      case WatcherType.children:
        return [this.child];
      case WatcherType.data:
        return [this.data];
      case WatcherType.any:
        return [this.child, this.data, this.persistent, this.recursive];
      case WatcherType.persistent:
        return [this.persistent];
      case WatcherType.persistentRecursive:
        return [this.recursive];
      default:
        return [];
    }
  }

  /** removeWatches: true if a watch of that type on that path was removed. */
  removeWatches(path: string, watcherType: number, watcher: W): boolean {
    let removed = false;
    for (const table of this.tablesFor(watcherType)) removed = remove(table, path, watcher) || removed;
    return removed;
  }

  /** checkWatches: true if the watcher has a watch of that type on that path. */
  hasWatches(path: string, watcherType: number, watcher: W): boolean {
    return this.tablesFor(watcherType).some((table) => has(table, path, watcher));
  }

  /** A connection closed: forget all its watches. */
  removeWatcher(watcher: W): void {
    for (const table of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [path, watchers] of table) {
        if (watchers.delete(watcher) && watchers.size === 0) table.delete(path);
      }
    }
  }

  /**
   * The deliveries for an event on `path`: one-shot watches on the path fire and are removed,
   * persistent watches on the path fire, recursive watches on the path or an ancestor fire (never for
   * NodeChildrenChanged).
   */
  trigger(type: number, path: string, zxid: number, out: WatchDelivery<W>[]): void {
    // Most changes fire nothing: look the tables up before allocating anything (a Set and a closure
    // per change cost ~8 % of the write path's allocations).
    const children = type === EventType.nodeChildrenChanged || type === EventType.nodeDeleted ? this.child.get(path) : undefined;
    const data = type === EventType.nodeChildrenChanged ? undefined : this.data.get(path);
    const persistent = this.persistent.get(path);
    if (children === undefined && data === undefined && persistent === undefined && (this.recursive.size === 0 || type === EventType.nodeChildrenChanged)) return;
    const notified = new Set<W>();
    const deliver = (watchers: Iterable<W> | undefined): void => {
      if (watchers === undefined) return;
      for (const watcher of watchers) {
        if (notified.has(watcher)) continue;
        notified.add(watcher);
        out.push({ watcher, type, path, zxid });
      }
    };
    if (type === EventType.nodeChildrenChanged) {
      deliver(children);
      this.child.delete(path);
      deliver(persistent);
      return;
    }
    deliver(data);
    this.data.delete(path);
    if (type === EventType.nodeDeleted) {
      deliver(children);
      this.child.delete(path);
    }
    deliver(persistent);
    if (this.recursive.size === 0) return;
    for (let at = path; ; at = at.slice(0, Math.max(1, at.lastIndexOf('/')))) {
      deliver(this.recursive.get(at));
      if (at === '/') break;
    }
  }

  stats(): { totalWatches: number; watchedPaths: number } {
    let totalWatches = 0;
    const paths = new Set<string>();
    for (const table of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [path, watchers] of table) {
        totalWatches += watchers.size;
        paths.add(path);
      }
    }
    return { totalWatches, watchedPaths: paths.size };
  }

  /** Visits every table entry (for the four-letter words, which report them as ZooKeeper groups them). */
  forEachWatch(visit: (kind: WatchTableKind, path: string, watchers: ReadonlySet<W>) => void): void {
    for (const [path, watchers] of this.data) visit('data', path, watchers);
    for (const [path, watchers] of this.child) visit('child', path, watchers);
    for (const [path, watchers] of this.persistent) visit('persistent', path, watchers);
    for (const [path, watchers] of this.recursive) visit('recursive', path, watchers);
  }
}
