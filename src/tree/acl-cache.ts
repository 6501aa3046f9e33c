// Interned ACL lists, reference-counted by the nodes that use them (ZooKeeper's
// ReferenceCountedACLCache): identical lists share one array, and snapshots write the map of index →
// list once instead of a list per node. Indexes start at 1, as ZooKeeper's do.

import type { Acl } from '../proto/index.js';
import { assert } from '../util/index.js';

interface Entry {
  index: number;
  acl: Acl[];
  references: number;
}

function keyOf(acl: readonly Acl[]): string {
  return acl.map((entry) => `${entry.perms},${entry.id.scheme},${entry.id.id}`).join('\n');
}

export class AclCache {
  private readonly byKey = new Map<string, Entry>();
  private readonly byIndex = new Map<number, Entry>();
  private lastIndex = 0;

  /** Interns `acl`, taking one reference, and returns the shared entry. */
  acquire(acl: readonly Acl[]): { index: number; acl: Acl[] } {
    const key = keyOf(acl);
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { index: ++this.lastIndex, acl: acl.map((item) => ({ perms: item.perms, id: { ...item.id } })), references: 0 };
      this.byKey.set(key, entry);
      this.byIndex.set(entry.index, entry);
    }
    entry.references++;
    return entry;
  }

  /** Takes a reference to a list by index (loading a snapshot). */
  acquireIndex(index: number): { index: number; acl: Acl[] } {
    const entry = this.byIndex.get(index);
    assert(entry !== undefined, `unknown ACL index ${index}`);
    entry.references++;
    return entry;
  }

  /** Adds a list under a fixed index (loading a snapshot's ACL map), with no references yet. */
  define(index: number, acl: Acl[]): void {
    const entry: Entry = { index, acl, references: 0 };
    this.byKey.set(keyOf(acl), entry);
    this.byIndex.set(index, entry);
    this.lastIndex = Math.max(this.lastIndex, index);
  }

  /** The list interned under `index` (a node's ACL). */
  aclAt(index: number): Acl[] {
    const entry = this.byIndex.get(index);
    assert(entry !== undefined, `unknown ACL index ${index}`);
    return entry.acl;
  }

  release(index: number): void {
    const entry = this.byIndex.get(index);
    assert(entry !== undefined && entry.references > 0, `releasing unreferenced ACL index ${index}`);
    if (--entry.references === 0) {
      this.byIndex.delete(index);
      this.byKey.delete(keyOf(entry.acl));
    }
  }

  /** Drops lists no node references (after loading a snapshot whose map had spare entries). */
  purgeUnused(): void {
    for (const [index, entry] of this.byIndex) {
      if (entry.references === 0) {
        this.byIndex.delete(index);
        this.byKey.delete(keyOf(entry.acl));
      }
    }
  }

  /** Every interned list, by index, for snapshots. */
  entries(): Array<[number, Acl[]]> {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index).map((entry) => [entry.index, entry.acl]);
  }

  get size(): number {
    return this.byIndex.size;
  }
}
