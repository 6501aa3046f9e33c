// The overlay of changes prepared but not yet applied (ZooKeeper's outstandingChanges). Prep validates
// each write against the tree as it WILL be once every earlier prepared txn is applied: a node created
// by a pending txn exists, a pending delete hides it, a pending setData has bumped the version.
// Records are dropped once the txn that made them is applied to the tree.

import type { Acl } from '../proto/index.js';
import type { DataTree } from '../tree/index.js';

/** What prep needs to know about a node: its versions, child count, owner, ACL and data length. */
export interface NodeRecord {
  version: number;
  cversion: number;
  aversion: number;
  childCount: number;
  ephemeralOwner: bigint;
  acl: Acl[];
  /**
   * The data's length once pending txns apply; -1: the applied node's, not looked up (only a quota
   * check needs it, and reading the data on every lookup would cost every write).
   */
  dataLength: number;
}

interface Change {
  zxid: number;
  /** null: the node is (pending) deleted. */
  node: NodeRecord | null;
}

/** Stale records kept before the first sweep (see PendingChanges.applied). */
const sweepSizeMin = 1024;

/** Looks a path up in the committed tree. */
export type CommittedLookup = (path: string) => NodeRecord | null;

/** What prep needs of a committed node, or null when the tree has none at `path`. */
export function committedRecordOf<W>(tree: DataTree<W>, path: string): NodeRecord | null {
  const node = tree.getNode(path);
  if (node === undefined) return null;
  return {
    version: node.version, cversion: node.cversion, aversion: node.aversion, childCount: node.childCount,
    ephemeralOwner: node.ephemeralOwner, acl: node.acl, dataLength: -1,
  };
}

export class PendingChanges {
  /**
   * The newest record per path. A record whose txn is applied is stale and reads as absent; stale
   * records are left in place and swept in bulk (see `applied`): deleting each as its txn applied
   * made the map grow and shrink with every batch, and its reallocated tables were a large part of
   * what the garbage collector promoted under a write load.
   */
  private readonly changes = new Map<string, Change>();
  /** Undo entries while a multi is being prepared, so a failed multi leaves no trace. */
  private undo: Array<[string, Change | undefined]> | null = null;
  /** Records of txns up to here are applied to the tree (stale). */
  private appliedZxid = -1;
  /** The map's size after the last sweep; the next sweep comes when it has doubled. */
  private sweptSize = 0;

  constructor(private readonly committed: CommittedLookup) {}

  private live(change: Change | undefined): change is Change {
    return change !== undefined && change.zxid > this.appliedZxid;
  }

  /** Paths with a pending (not yet applied) change. */
  get size(): number {
    let count = 0;
    for (const change of this.changes.values()) if (this.live(change)) count++;
    return count;
  }

  lookup(path: string): NodeRecord | null {
    const change = this.changes.get(path);
    return this.live(change) ? change.node : this.committed(path);
  }

  /** Records that after txn `zxid` the node at `path` is `node` (null: deleted). */
  record(path: string, zxid: number, node: NodeRecord | null): void {
    const change = this.changes.get(path);
    this.undo?.push([path, change]);
    if (change !== undefined && this.undo === null) {
      // Reused in place: no new entry, no new object.
      change.zxid = zxid;
      change.node = node;
    } else {
      this.changes.set(path, { zxid, node });
    }
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

  /** Records made by txns up to and including `zxid` are stale: the tree now reflects them. */
  applied(zxid: number): void {
    if (zxid > this.appliedZxid) this.appliedZxid = zxid;
    if (this.changes.size <= Math.max(sweepSizeMin, 2 * this.sweptSize)) return;
    for (const [path, change] of this.changes) {
      if (!this.live(change)) this.changes.delete(path);
    }
    this.sweptSize = this.changes.size;
  }

  /** Paths of ephemerals the session owns in pending (not yet applied) creates. */
  ephemeralsOf(sessionId: bigint): string[] {
    const paths: string[] = [];
    for (const [path, change] of this.changes) {
      if (this.live(change) && change.node !== null && change.node.ephemeralOwner === sessionId) paths.push(path);
    }
    return paths;
  }

  /** Forgets everything (e.g. the tree was replaced). */
  clear(): void {
    this.changes.clear();
    this.sweptSize = 0;
  }
}
