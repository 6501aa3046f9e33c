import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode, type Txn } from '../proto/index.js';
import { applyTxn } from './apply-txn.js';
import { DataTree } from './data-tree.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function applier(tree: DataTree): (txn: Txn) => number {
  return (txn) => {
    const zxid = tree.lastProcessedZxid + 1;
    return applyTxn(tree, { sessionId: 0n, cxid: 0, zxid, time: 1000 + zxid, type: txn.type }, txn).err;
  };
}

const create = (path: string): Txn => ({ type: OpCode.create, path, data: Buffer.from(path), acl: open, ephemeral: false, parentCVersion: -1 });
const remove = (path: string): Txn => ({ type: OpCode.delete, path });

describe('child index', () => {
  it('lists children in creation order; a child deleted and created again comes last', () => {
    const tree = new DataTree();
    const apply = applier(tree);
    apply(create('/p'));
    for (const name of ['b', 'a', 'c', 'd']) apply(create(`/p/${name}`));
    apply(remove('/p/a'));
    apply(create('/p/a'));
    assert.deepEqual([...tree.getNode('/p')!.children], ['b', 'c', 'd', 'a']);
    assert.equal(tree.statOf(tree.getNode('/p')!).numChildren, 4);
  });

  it('finds, lists and deletes names that are not ASCII, and tells apart names sharing a hash bucket prefix', () => {
    const tree = new DataTree();
    const apply = applier(tree);
    apply(create('/ü'));
    apply(create('/ü/日本'));
    apply(create('/ü/😀x'));
    apply(create('/u'));
    assert.deepEqual([...tree.getNode('/ü')!.children], ['日本', '😀x']);
    assert.ok(tree.getNode('/ü')!.children.has('😀x'));
    assert.equal(tree.getNode('/ü/😀'), undefined);
    assert.equal(Buffer.from(tree.getNode('/ü/日本')!.data!).toString(), '/ü/日本');
    assert.equal(apply(remove('/ü/日本')), 0);
    assert.equal(tree.getNode('/ü/日本'), undefined);
    assert.deepEqual([...tree.getNode('/')!.children], ['zookeeper', 'ü', 'u']);
  });

  it('keeps every node through growth and churn (numbers and name chunks reused)', () => {
    const tree = new DataTree();
    const apply = applier(tree);
    apply(create('/q'));
    for (let i = 0; i < 5000; i++) apply(create(`/q/item-${i}-${'x'.repeat(i % 300)}`));
    for (let i = 0; i < 5000; i += 2) apply(remove(`/q/item-${i}-${'x'.repeat(i % 300)}`));
    for (let i = 0; i < 2000; i++) apply(create(`/q/again-${i}`));
    const names = [...tree.getNode('/q')!.children];
    assert.equal(names.length, 4500);
    assert.equal(names[0], `item-1-${'x'}`);
    assert.equal(names[2499], `item-4999-${'x'.repeat(4999 % 300)}`);
    assert.equal(names[2500], 'again-0');
    for (const name of names) assert.ok(tree.getNode(`/q/${name}`) !== undefined, name);
    assert.equal(tree.getAllChildrenNumber('/q'), 4500);
  });

  it('walks every node present throughout a walk the tree changes under (the node the walk stands on deleted, its number reused)', () => {
    const tree = new DataTree();
    const apply = applier(tree);
    apply(create('/p'));
    for (const name of ['a', 'b', 'c', 'd']) apply(create(`/p/${name}`));
    const cursor = tree.nodeCursor();
    const seen: string[] = [];
    while (cursor.next()) {
      seen.push(cursor.path);
      if (cursor.path === '/p/b') {
        apply(remove('/p/b'));
        apply(remove('/p/c'));
        apply(create('/p/e'));
        apply(create('/x'));
      }
    }
    assert.deepEqual(seen.filter((path) => path.startsWith('/p')), ['/p', '/p/a', '/p/b', '/p/d', '/p/e']);
    assert.ok(seen.includes('/x'), 'a child added to a parent whose children are still being walked');
    assert.equal(new Set(seen).size, seen.length);
  });
});
