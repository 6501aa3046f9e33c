// ZooKeeper's request throttler on a real server (socket, fsync'd log): with
// request_throttle_max_requests=1 and throttled_op_wait_time=1, a pipelined burst has requests wait
// behind each other's fsync; those that waited past 1 ms are answered THROTTLEDOP (-127) and not
// executed, the rest succeed, every reply comes in order, and the server keeps serving.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateMode, ErrorCode, OpCode } from '../../src/proto/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startMeerkat } from '../helpers/server-fixture.js';

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

describe('request throttler on a real server', () => {
  let server: Awaited<ReturnType<typeof startMeerkat>>;

  before(async () => {
    server = await startMeerkat({ requestThrottleLimit: 1, throttledOpWaitTimeMs: 1 });
  });

  after(async () => {
    await server?.stop();
  });

  it('answers THROTTLEDOP to requests that waited too long, executes the others, all in order', async () => {
    const client = await RawClient.connect({ host: server.host, port: server.port });
    const count = 200;
    const replies = await Promise.all(Array.from({ length: count }, (_, index) => client.request({
      type: OpCode.create, path: `/t${index}`, data: null, acl: openAcl, flags: CreateMode.persistent,
    })));
    const throttled = replies.filter((reply) => reply.header.err === ErrorCode.throttledOp).length;
    const ok = replies.filter((reply) => reply.header.err === ErrorCode.ok).length;
    assert.equal(throttled + ok, count, 'every reply is OK or THROTTLEDOP');
    assert.ok(throttled > 0 && ok > 0, `some throttled (${throttled}), some executed (${ok})`);
    for (const [index, reply] of replies.entries()) {
      const exists = await client.request({ type: OpCode.exists, path: `/t${index}`, watch: false });
      assert.equal(exists.header.err === ErrorCode.ok, reply.header.err === ErrorCode.ok, `/t${index} exists exactly when its create succeeded`);
    }
    client.destroy();
  });
});
