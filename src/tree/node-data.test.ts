import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode, type TxnHeader } from '../proto/index.js';
import { applyTxn } from './apply-txn.js';
import { DataTree } from './data-tree.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const header = (zxid: number, type: number): TxnHeader => ({ sessionId: 1n, cxid: zxid, zxid, time: 1_700_000_000_000, type });

describe('znode data set by a txn', () => {
  it('is a copy of its own: the request buffer it came in may be reused, and is not kept alive', () => {
    const tree = new DataTree({ withSystemNodes: true });
    // As a request's data arrives: a view into a larger socket read.
    const read = Buffer.alloc(65_536, 0x61);
    const created = read.subarray(100, 200);
    applyTxn(tree, header(1, OpCode.create), { type: OpCode.create, path: '/n', data: created, acl: open, ephemeral: false, parentCVersion: 1 });
    read.fill(0x7a);
    const afterCreate = tree.getNode('/n')!.data!;
    assert.deepEqual(Buffer.from(afterCreate), Buffer.alloc(100, 0x61));
    assert.notEqual(afterCreate.buffer, read.buffer, 'the 64 KiB read is not held');
    const set = read.subarray(1_000, 1_010);
    applyTxn(tree, header(2, OpCode.setData), { type: OpCode.setData, path: '/n', data: set, version: 1 });
    read.fill(0);
    const afterSet = tree.getNode('/n')!.data!;
    assert.deepEqual(Buffer.from(afterSet), Buffer.alloc(10, 0x7a));
    assert.notEqual(afterSet.buffer, read.buffer);
  });

  it('reuses the slot of the data it replaces: a node set again and again takes no more memory', () => {
    const tree = new DataTree({ withSystemNodes: true });
    applyTxn(tree, header(1, OpCode.create), { type: OpCode.create, path: '/n', data: Buffer.alloc(100, 1), acl: open, ephemeral: false, parentCVersion: 1 });
    const first = tree.getNode('/n')!.data!;
    for (let zxid = 2; zxid < 20_000; zxid++) {
      applyTxn(tree, header(zxid, OpCode.setData), { type: OpCode.setData, path: '/n', data: Buffer.alloc(100, zxid % 251), version: -1 });
    }
    const last = tree.getNode('/n')!.data!;
    assert.equal(last.buffer, first.buffer);
    assert.equal(last.byteOffset, first.byteOffset);
    assert.deepEqual(Buffer.from(last), Buffer.alloc(100, 19_999 % 251));
  });

  it('keeps the bytes of every node through creates, sets and deletes of every size class (against a model)', () => {
    const tree = new DataTree({ withSystemNodes: true });
    const model = new Map<string, Buffer>();
    let seed = 42;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % below;
    };
    // Lengths across classes, up to and past the largest slot (64 KiB).
    const lengths = [0, 1, 7, 8, 9, 16, 17, 100, 255, 256, 257, 1000, 4096, 40_000, 65_536, 65_537, 70_000];
    for (let zxid = 1; zxid <= 6_000; zxid++) {
      const path = `/n${random(300)}`;
      const data = Buffer.alloc(lengths[random(lengths.length)]!, zxid % 253);
      if (!model.has(path)) {
        applyTxn(tree, header(zxid, OpCode.create), { type: OpCode.create, path, data, acl: open, ephemeral: false, parentCVersion: zxid });
        model.set(path, data);
      } else if (random(4) === 0) {
        applyTxn(tree, header(zxid, OpCode.delete), { type: OpCode.delete, path });
        model.delete(path);
      } else {
        applyTxn(tree, header(zxid, OpCode.setData), { type: OpCode.setData, path, data, version: -1 });
        model.set(path, data);
      }
    }
    for (const [path, data] of model) assert.deepEqual(Buffer.from(tree.getNode(path)!.data!), data, path);
  });
});

describe('no data (null)', () => {
  const create = (tree: DataTree, zxid: number, path: string, data: Uint8Array | null): void => {
    applyTxn(tree, header(zxid, OpCode.create), { type: OpCode.create, path, data, acl: open, ephemeral: false, parentCVersion: zxid });
  };
  const setData = (tree: DataTree, zxid: number, path: string, data: Uint8Array | null): void => {
    applyTxn(tree, header(zxid, OpCode.setData), { type: OpCode.setData, path, data, version: zxid });
  };

  it('is kept apart from empty data through creates and sets, with dataLength 0', () => {
    const tree = new DataTree();
    create(tree, 1, '/n', null);
    assert.equal(tree.getNode('/n')!.data, null);
    assert.equal(tree.statOf(tree.getNode('/n')!).dataLength, 0);
    setData(tree, 2, '/n', new Uint8Array(0));
    assert.deepEqual(tree.getNode('/n')!.data, new Uint8Array(0));
    setData(tree, 3, '/n', Buffer.alloc(200, 1));
    setData(tree, 4, '/n', null);
    assert.equal(tree.getNode('/n')!.data, null);
    assert.equal(tree.statOf(tree.getNode('/n')!).dataLength, 0);
    assert.equal(tree.approximateDataBytes, new DataTree().approximateDataBytes + '/n'.length);
  });

  it('gives the same node digest as empty data, as DigestCalculator skips null data', () => {
    const withNull = new DataTree();
    const withEmpty = new DataTree();
    create(withNull, 1, '/n', null);
    create(withEmpty, 1, '/n', new Uint8Array(0));
    assert.equal(withNull.digest(), withEmpty.digest());
    setData(withNull, 2, '/n', Buffer.from('x'));
    setData(withNull, 3, '/n', null);
    setData(withEmpty, 2, '/n', Buffer.from('x'));
    setData(withEmpty, 3, '/n', new Uint8Array(0));
    assert.equal(withNull.digest(), withEmpty.digest());
  });

  it('frees the slot of the data it replaces, for the next data of its size', () => {
    const tree = new DataTree();
    create(tree, 1, '/a', Buffer.alloc(100, 1));
    const first = tree.getNode('/a')!.data!;
    const place = { buffer: first.buffer, byteOffset: first.byteOffset };
    setData(tree, 2, '/a', null);
    create(tree, 3, '/b', Buffer.alloc(100, 2));
    const reused = tree.getNode('/b')!.data!;
    assert.deepEqual({ buffer: reused.buffer, byteOffset: reused.byteOffset }, place);
    assert.equal(tree.getNode('/a')!.data, null);
  });
});
