import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeRecord, PendingChanges } from './pending-changes.js';

const record = (version: number, ephemeralOwner = 0n): NodeRecord => ({ version, cversion: 0, aversion: 0, childCount: 0, ephemeralOwner, acl: [], dataLength: -1 });

/** A committed tree of one node, `/a` at version 0. */
function withTree(): { changes: PendingChanges; committed: Map<string, NodeRecord> } {
  const committed = new Map([['/a', record(0)]]);
  return { changes: new PendingChanges((path) => committed.get(path) ?? null), committed };
}

describe('PendingChanges', () => {
  it('reads a pending change until its txn is applied, then the tree', () => {
    const { changes, committed } = withTree();
    changes.record('/a', 5, record(1));
    assert.equal(changes.lookup('/a')?.version, 1);
    committed.set('/a', record(9));
    changes.applied(5);
    assert.equal(changes.lookup('/a')?.version, 9, 'applied: the committed tree answers');
    assert.equal(changes.size, 0);
  });

  it('keeps a later change of the same path when an earlier one is applied', () => {
    const { changes } = withTree();
    changes.record('/a', 5, record(1));
    changes.record('/a', 6, record(2));
    changes.applied(5);
    assert.equal(changes.lookup('/a')?.version, 2);
    changes.applied(6);
    assert.equal(changes.lookup('/a')?.version, 0);
  });

  it('leaves no trace of a rolled-back multi, also over a record it replaced', () => {
    const { changes } = withTree();
    changes.record('/a', 5, record(1));
    changes.beginMulti();
    changes.record('/a', 6, record(2));
    changes.record('/b', 6, record(0));
    changes.rollbackMulti();
    assert.equal(changes.lookup('/a')?.version, 1);
    assert.equal(changes.lookup('/b'), null);
  });

  it('sweeps stale records in bulk without losing live ones, and lists only live ephemerals', () => {
    const { changes } = withTree();
    for (let zxid = 1; zxid <= 5000; zxid++) changes.record(`/n${zxid}`, zxid, record(0, 7n));
    changes.applied(4990);
    assert.equal(changes.size, 10);
    assert.deepEqual(changes.ephemeralsOf(7n).length, 10);
    assert.equal(changes.lookup('/n4995')?.ephemeralOwner, 7n);
    assert.equal(changes.lookup('/n10'), null);
  });
});
