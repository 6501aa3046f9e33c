import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateMode, ErrorCode, JuteReader, OpCode, type Request, readReplyHeader } from '../proto/index.js';
import { defaultConfig } from './config.js';
import { ServerCore } from './server-core.js';

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** A core with a settable clock and sessions whose replies (xid, err) are recorded. */
function throttledCore(settings: { limit: number; waitMsMax?: number }) {
  const clock = { ms: 1_000 };
  const core = new ServerCore({ ...defaultConfig(), requestThrottleLimit: settings.limit, throttledOpWaitTimeMs: settings.waitMsMax ?? 0 }, { now: () => clock.ms });
  const session = () => {
    const replies: Array<[number, number]> = [];
    const connection = core.openConnection({
      send: (frame: Uint8Array) => {
        const header = readReplyHeader(new JuteReader(frame, 4));
        if (header.xid > 0) replies.push([header.xid, header.err]);
      },
      close: () => undefined,
      outputBytes: 0,
    }, '127.0.0.1', 1);
    core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    return { connection, replies };
  };
  const persistAll = (): void => {
    const batch = core.takeUnpersisted();
    if (batch.length > 0) core.persisted(batch[batch.length - 1]!.header.zxid);
  };
  persistAll();
  const create = (path: string): Request => ({ type: OpCode.create, path, data: null, acl: openAcl, flags: CreateMode.persistent });
  return { core, clock, session, persistAll, create };
}

describe('request throttler (request_throttle_max_requests, throttled_op_wait_time)', () => {
  it('holds requests while the limit is in process, then runs them in arrival order', () => {
    const { core, session, persistAll, create } = throttledCore({ limit: 2 });
    const a = session();
    persistAll();
    for (let xid = 1; xid <= 5; xid++) core.request(a.connection, xid, create(`/n${xid}`));
    assert.equal(core.outstandingRequests, 5, 'two in process, three held (all counted for backpressure)');
    assert.equal(core.takeUnpersisted().length, 2, 'only the two in process are prepared');
    core.persisted(core.lastZxid + 2);
    for (let round = 0; round < 3; round++) persistAll();
    assert.deepEqual(a.replies, [1, 2, 3, 4, 5].map((xid) => [xid, 0]));
    assert.equal(core.outstandingRequests, 0);
  });

  it('answers a request that waited longer than throttled_op_wait_time with THROTTLEDOP, in its session\'s order', () => {
    const { core, clock, session, persistAll, create } = throttledCore({ limit: 1, waitMsMax: 50 });
    const a = session();
    persistAll();
    core.request(a.connection, 1, create('/first'));
    core.request(a.connection, 2, create('/second'));
    core.request(a.connection, 3, { type: OpCode.exists, path: '/first', watch: false });
    clock.ms += 100;
    persistAll();
    // Both held requests waited 100 ms: each is answered THROTTLEDOP, the read as well as the write.
    assert.deepEqual(a.replies, [[1, 0], [2, ErrorCode.throttledOp], [3, ErrorCode.throttledOp]]);
    assert.equal(core.tree.getNode('/second'), undefined, 'a throttled write is not executed');
    assert.equal(core.outstandingRequests, 0);
  });

  it('keeps a session\'s order: a later request of a connection with one held waits too, other sessions go by arrival', () => {
    const { core, session, persistAll, create } = throttledCore({ limit: 1 });
    const a = session();
    const b = session();
    persistAll();
    core.request(a.connection, 1, create('/a1'));
    core.request(b.connection, 1, create('/b1'));
    core.request(a.connection, 2, { type: OpCode.exists, path: '/b1', watch: false });
    for (let round = 0; round < 4; round++) persistAll();
    assert.deepEqual(a.replies, [[1, 0], [2, 0]], 'the read after /b1 was held behind it and sees it');
    assert.deepEqual(b.replies, [[1, 0]]);
    assert.ok(core.tree.getNode('/b1') !== undefined);
  });

  it('drops a held request whose connection closed (requestThrottleDropStale)', () => {
    const { core, session, persistAll, create } = throttledCore({ limit: 1 });
    const a = session();
    const b = session();
    persistAll();
    core.request(a.connection, 1, create('/a1'));
    core.request(b.connection, 1, create('/b1'));
    core.connectionClosed(b.connection);
    persistAll();
    persistAll();
    assert.equal(core.tree.getNode('/b1'), undefined);
    assert.equal(core.outstandingRequests, 0);
  });

  it('is off by default (ZooKeeper\'s default 0)', () => {
    assert.equal(defaultConfig().requestThrottleLimit, 0);
  });
});
