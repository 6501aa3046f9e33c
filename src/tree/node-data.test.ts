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
    const afterCreate = tree.getNode('/n')!.data;
    assert.deepEqual(Buffer.from(afterCreate), Buffer.alloc(100, 0x61));
    assert.equal(afterCreate.buffer.byteLength, 100, 'the 64 KiB read is not held');
    const set = read.subarray(1_000, 1_010);
    applyTxn(tree, header(2, OpCode.setData), { type: OpCode.setData, path: '/n', data: set, version: 1 });
    read.fill(0);
    const afterSet = tree.getNode('/n')!.data;
    assert.deepEqual(Buffer.from(afterSet), Buffer.alloc(10, 0x7a));
    assert.equal(afterSet.buffer.byteLength, 10);
  });
});
