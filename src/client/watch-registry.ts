// The client's table of watches, by kind and client path (chroot already removed), mirroring the
// server's tables so that (1) an incoming event is handed to exactly the watchers it triggers, and
// (2) after a reconnect every watch can be re-registered with setWatches/setWatches2.
//
// Kinds follow ZooKeeper's client: `data` (getData, or exists on a node that exists), `exist`
// (exists on a node that does not exist), `child` (getChildren), and the persistent kinds (addWatch).
// One-shot kinds are removed when they fire; persistent ones stay until removed. A watcher object
// registered twice for the same path and kind fires once per event (sets, as ZooKeeper's client).

import { EventType, WatcherType } from '../proto/index.js';

export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';

const kinds: readonly WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];

/** The paths of every watch, by kind, as setWatches2 lists them. */
export type WatchPaths = Record<WatchKind, string[]>;

export class WatchRegistry<W> {
  private readonly tables = new Map<WatchKind, Map<string, Set<W>>>(kinds.map((kind) => [kind, new Map()]));

  add(kind: WatchKind, path: string, watcher: W): void {
    const table = this.tables.get(kind)!;
    let watchers = table.get(path);
    if (watchers === undefined) table.set(path, (watchers = new Set()));
    watchers.add(watcher);
  }

  /** Removes one watcher; true if it was there. */
  remove(kind: WatchKind, path: string, watcher: W): boolean {
    const table = this.tables.get(kind)!;
    const watchers = table.get(path);
    if (watchers === undefined || !watchers.delete(watcher)) return false;
    if (watchers.size === 0) table.delete(path);
    return true;
  }

  has(kind: WatchKind, path: string): boolean {
    return this.tables.get(kind)!.has(path);
  }

  get size(): number {
    let count = 0;
    for (const table of this.tables.values()) for (const watchers of table.values()) count += watchers.size;
    return count;
  }

  /**
   * The watchers an event triggers, each once; one-shot watches that fire are removed. Recursive
   * watches on the path or any ancestor see every event except NodeChildrenChanged, as on the server.
   */
  trigger(type: number, path: string): W[] {
    const fired = new Set<W>();
    const take = (kind: WatchKind): void => {
      const table = this.tables.get(kind)!;
      const watchers = table.get(path);
      if (watchers === undefined) return;
      for (const watcher of watchers) fired.add(watcher);
      table.delete(path);
    };
    switch (type) {
      case EventType.nodeCreated:
      case EventType.nodeDataChanged:
        take('data');
        take('exist');
        break;
      case EventType.nodeChildrenChanged:
        take('child');
        break;
      case EventType.nodeDeleted:
        take('data');
        take('exist');
        take('child');
        break;
      default:
        return [];
    }
    for (const watcher of this.tables.get('persistent')!.get(path) ?? []) fired.add(watcher);
    if (type !== EventType.nodeChildrenChanged) {
      const recursive = this.tables.get('persistentRecursive')!;
      for (let ancestor: string | undefined = path; ancestor !== undefined; ancestor = parentOf(ancestor)) {
        for (const watcher of recursive.get(ancestor) ?? []) fired.add(watcher);
      }
    }
    return [...fired];
  }

  /** Removes every watcher of the kinds a removeWatches WatcherType covers; returns them by kind. */
  removeAll(path: string, watcherType: number): Array<{ kind: WatchKind; watcher: W }> {
    const removed: Array<{ kind: WatchKind; watcher: W }> = [];
    for (const kind of kindsForWatcherType(watcherType)) {
      const table = this.tables.get(kind)!;
      for (const watcher of table.get(path) ?? []) removed.push({ kind, watcher });
      table.delete(path);
    }
    return removed;
  }

  /** Forgets everything (session expired or client closed); returns every watcher once. */
  clear(): W[] {
    const all = new Set<W>();
    for (const table of this.tables.values()) {
      for (const watchers of table.values()) for (const watcher of watchers) all.add(watcher);
      table.clear();
    }
    return [...all];
  }

  paths(): WatchPaths {
    const result = {} as WatchPaths;
    for (const kind of kinds) result[kind] = [...this.tables.get(kind)!.keys()];
    return result;
  }
}

/** Which client tables a removeWatches WatcherType covers (data covers exist watches too). */
export function kindsForWatcherType(watcherType: number): WatchKind[] {
  switch (watcherType) {
    case WatcherType.children:
      return ['child'];
    case WatcherType.data:
      return ['data', 'exist'];
    case WatcherType.persistent:
      return ['persistent'];
    case WatcherType.persistentRecursive:
      return ['persistentRecursive'];
    case WatcherType.any:
      return [...kinds];
    default:
      return [];
  }
}

function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}
