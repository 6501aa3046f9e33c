import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type CreateTtlRequest, CreateMode, ErrorCode, OpCode } from '../proto/index.js';
import { ttlMax } from '../tree/index.js';
import { type NodeRecord, PendingChanges } from './pending-changes.js';
import { type PrepContext, type PrepOutcome, prepareWrite } from './prep.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const context: PrepContext = { sessionId: 7n, authIds: [], superDigest: null, ttlNodesEnabled: true, zxid: 100, quota: null };

/** A committed tree of the root only. */
function changes(): PendingChanges {
  const root: NodeRecord = { version: 0, cversion: 0, aversion: 0, childCount: 0, ephemeralOwner: 0n, acl: open, dataLength: 0 };
  return new PendingChanges((path) => (path === '/' ? root : null));
}

const ttlCreate = (ttl: number): CreateTtlRequest =>
  ({ type: OpCode.createTTL, path: '/t', data: null, acl: open, flags: CreateMode.persistentWithTtl, ttl });

function errOf(outcome: PrepOutcome): number {
  return outcome.ok ? ErrorCode.ok : outcome.err;
}

describe('prep of a TTL create', () => {
  it('takes a TTL from 1 ms to EphemeralType.TTL maxValue (2^40 - 1 ms)', () => {
    assert.equal(ttlMax, 2 ** 40 - 1);
    for (const ttl of [1, ttlMax]) assert.equal(errOf(prepareWrite(ttlCreate(ttl), changes(), context)), ErrorCode.ok, String(ttl));
  });

  it('answers BADARGUMENTS beyond the bound, and for 0 or less, as ZooKeeper does', () => {
    for (const ttl of [ttlMax + 1, 2 ** 48, 2 ** 62, 0, -1]) {
      assert.equal(errOf(prepareWrite(ttlCreate(ttl), changes(), context)), ErrorCode.badArguments, String(ttl));
    }
  });

  it('fails a multi at the TTL create beyond the bound, with nothing applied', () => {
    const outcome = prepareWrite({
      type: OpCode.multi, ops: [{ type: OpCode.create, path: '/a', data: null, acl: open, flags: 0 }, ttlCreate(ttlMax + 1)],
    }, changes(), context);
    assert.ok(!outcome.ok && 'multiResults' in outcome);
    assert.deepEqual(outcome.multiResults, [{ type: OpCode.error, err: ErrorCode.ok }, { type: OpCode.error, err: ErrorCode.badArguments }]);
  });
});

describe('prep of a create', () => {
  it('keeps no data (null) in the txns it makes', () => {
    const outcome = prepareWrite({ type: OpCode.create, path: '/a', data: null, acl: open, flags: 0 }, changes(), context);
    assert.ok(outcome.ok && outcome.txn.type === OpCode.create);
    assert.equal(outcome.txn.data, null);
  });
});
