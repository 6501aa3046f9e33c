// The overlay of changes prepared but not yet applied (ZooKeeper's outstandingChanges). Prep validates
// each write against the tree as it WILL be once every earlier prepared txn is applied: a node created
// by a pending txn exists, a pending delete hides it, a pending setData has bumped the version.
// Records are dropped once the txn that made them is applied to the tree.

import type { Acl } from '../proto/index.js';
import type { DataTree } from '../tree/index.js';

/** What prep needs to know about a node: its versions, child count, owner and ACL. */
export interface NodeRecord {
  version: number;
  cversion: number;
  aversion: number;
  childCount: number;
  ephemeralOwner: bigint;
  acl: Acl[];
}

interface Change {
  zxid: number;
  /** null: the node is (pending) deleted. */
  node: NodeRecord | null;
}

/** Looks a path up in the committed tree. */
export type CommittedLookup = (path: string) => NodeRecord | null;

/** What prep needs of a committed node, or null when the tree has none at `path`. */
export function committedRecordOf<W>(tree: DataTree<W>, path: string): NodeRecord | null {
  const node = tree.getNode(path);
  if (node === undefined) return null;
  return {
    version: node.version, cversion: node.cversion, aversion: node.aversion, childCount: node.childCount,
    ephemeralOwner: node.ephemeralOwner, acl: node.acl,
  };
}

export class PendingChanges {
  private readonly changes = new Map<string, Change>();
  /**
   * Every record made, in zxid order (a path recorded twice is here twice), so `applied` drops the
   * records of applied txns from the front without walking the whole map.
   */
  private readonly made: Array<{ path: string; change: Change }> = [];
  private madeFrom = 0;
  /** Undo entries while a multi is being prepared, so a failed multi leaves no trace. */
  private undo: Array<[string, Change | undefined]> | null = null;

  constructor(private readonly committed: CommittedLookup) {}

  get size(): number {
    return this.changes.size;
  }

  lookup(path: string): NodeRecord | null {
    const change = this.changes.get(path);
    return change === undefined ? this.committed(path) : change.node;
  }

  /** Records that after txn `zxid` the node at `path` is `node` (null: deleted). */
  record(path: string, zxid: number, node: NodeRecord | null): void {
    this.undo?.push([path, this.changes.get(path)]);
    const change = { zxid, node };
    this.changes.set(path, change);
    this.made.push({ path, change });
  }

  beginMulti(): void {
    this.undo = [];
  }

  commitMulti(): void {
    this.undo = null;
  }

  rollbackMulti(): void {
    const undo = this.undo ?? [];
    this.undo = null;
    for (let i = undo.length - 1; i >= 0; i--) {
      const [path, previous] = undo[i]!;
      if (previous === undefined) this.changes.delete(path);
      else this.changes.set(path, previous);
    }
  }

  /** Drops records made by txns up to and including `zxid`, which the tree now reflects. */
  applied(zxid: number): void {
    const made = this.made;
    let at = this.madeFrom;
    for (; at < made.length && made[at]!.change.zxid <= zxid; at++) {
      const { path, change } = made[at]!;
      // A later record of the same path (not yet applied) stays.
      if (this.changes.get(path) === change) this.changes.delete(path);
    }
    if (at === made.length) {
      made.length = 0;
      this.madeFrom = 0;
    } else if (at > 1024 && at * 2 > made.length) {
      made.splice(0, at);
      this.madeFrom = 0;
    } else {
      this.madeFrom = at;
    }
  }

  /** Paths of ephemerals the session owns in pending (not yet applied) creates. */
  ephemeralsOf(sessionId: bigint): string[] {
    const paths: string[] = [];
    for (const [path, change] of this.changes) {
      if (change.node !== null && change.node.ephemeralOwner === sessionId) paths.push(path);
    }
    return paths;
  }

  /** Forgets everything (e.g. the tree was replaced). */
  clear(): void {
    this.changes.clear();
    this.made.length = 0;
    this.madeFrom = 0;
  }
}
