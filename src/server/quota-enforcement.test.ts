// Quota enforcement in prep (ZooKeeper's checkQuota, on with enforceQuota): hard limits fail creates
// and setData with QUOTAEXCEEDED, soft limits only warn, and the check reads the applied tree.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type MultiWriteOp, OpCode, type Request } from '../proto/index.js';
import { defaultConfig } from './config.js';
import { coreHarness } from './core-harness.js';
import type { ServerCore } from './server-core.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface Harness {
  core: ServerCore;
  warnings: string[];
  /** Sends requests; with `pipelined`, all are prepared before any is applied. Returns their error codes. */
  send(requests: Request[], options?: { pipelined?: boolean }): number[];
  data(path: string): string | undefined;
}

function harness(enforceQuota: boolean): Harness {
  const { core, send } = coreHarness({ enforceQuota });
  const warnings: string[] = [];
  core.quotaWarning = (message) => void warnings.push(message);
  return {
    core,
    warnings,
    send,
    data(path) {
      const node = core.tree.getNode(path);
      return node === undefined ? undefined : Buffer.from(node.data!).toString('utf8');
    },
  };
}

const create = (path: string, data = ''): Request => ({ type: OpCode.create, path, data: Buffer.from(data), acl: open, flags: 0 });
const setData = (path: string, data: string, version = -1): Request => ({ type: OpCode.setData, path, data: Buffer.from(data), version });

/** /q with one child, and a quota on it the way zkCli setquota writes one. */
function withQuota(enforceQuota: boolean, limits: string): Harness {
  const server = harness(enforceQuota);
  const codes = server.send([
    create('/q'), create('/q/a', 'abc'), create('/zookeeper/quota/q'), create('/zookeeper/quota/q/zookeeper_limits', limits),
    create('/zookeeper/quota/q/zookeeper_stats', 'count=0,bytes=0'),
  ]);
  assert.deepEqual(codes, [0, 0, 0, 0, 0]);
  assert.equal(server.data('/zookeeper/quota/q/zookeeper_stats'), 'count=2,bytes=3');
  return server;
}

const hardLimits = 'count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3';

describe('quota enforcement (enforceQuota)', () => {
  it('fails a create past the hard count limit with QUOTAEXCEEDED, and warns', () => {
    const server = withQuota(true, hardLimits);
    assert.deepEqual(server.send([create('/q/b'), create('/q/c'), create('/elsewhere')]), [0, ErrorCode.quotaExceeded, 0]);
    assert.equal(server.core.tree.getNode('/q/c'), undefined);
    assert.equal(server.data('/zookeeper/quota/q/zookeeper_stats'), 'count=3,bytes=3');
    assert.deepEqual(server.warnings, ['Quota exceeded: /q [current count=4, hardCountLimit=3]']);
  });

  it('fails a setData past the hard byte limit, checked before the version (ZooKeeper\'s order)', () => {
    const server = withQuota(true, hardLimits);
    assert.deepEqual(server.send([setData('/q/a', 'abcdefghijk', 7), setData('/q/a', 'abcdefghij'), setData('/q/a', 'x', 7)]), [
      ErrorCode.quotaExceeded, 0, ErrorCode.badVersion,
    ]);
    assert.equal(server.data('/zookeeper/quota/q/zookeeper_stats'), 'count=2,bytes=10');
  });

  it('fails the multi whose create passes the limit, at that op, and applies none of it', () => {
    const server = withQuota(true, 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2');
    const ops: MultiWriteOp[] = [
      { type: OpCode.setData, path: '/q/a', data: Buffer.from('x'), version: -1 },
      { type: OpCode.create, path: '/q/b', data: new Uint8Array(0), acl: open, flags: 0 },
    ];
    server.send([{ type: OpCode.multi, ops }]);
    assert.deepEqual([server.data('/q/a'), server.core.tree.getNode('/q/b'), server.warnings.length], ['abc', undefined, 1]);
  });

  it('only warns past a soft limit', () => {
    const server = withQuota(true, 'count=2,bytes=4');
    assert.deepEqual(server.send([create('/q/b', 'xy')]), [0]);
    assert.deepEqual(server.warnings, ['Quota exceeded: /q [current count=3, softCountLimit=2]', 'Quota exceeded: /q [current bytes=5, softByteLimit=4]']);
  });

  it('checks against the applied stats, and a pending setData\'s length, as ZooKeeper does: pipelined writes can pass a limit', () => {
    const server = withQuota(true, hardLimits);
    // Each create sees count=2 applied (so would two creates in one multi); the second setData's
    // change is counted from the first's 8 bytes.
    assert.deepEqual(server.send([create('/q/b'), create('/q/c'), setData('/q/a', '12345678'), setData('/q/a', '123456789')], { pipelined: true }), [0, 0, 0, 0]);
    assert.equal(server.data('/zookeeper/quota/q/zookeeper_stats'), 'count=4,bytes=9');
  });

  it('is off by default: the same writes succeed, and the stats still follow them', () => {
    assert.equal(defaultConfig().enforceQuota, false);
    const server = withQuota(false, hardLimits);
    assert.deepEqual(server.send([create('/q/b'), create('/q/c', 'abcdefghijk')]), [0, 0]);
    assert.deepEqual([server.data('/zookeeper/quota/q/zookeeper_stats'), server.warnings], ['count=4,bytes=14', []]);
  });
});
