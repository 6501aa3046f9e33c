// The raw test client against Apache ZooKeeper 3.8: proves the tool speaks the protocol (so a failure
// against Meerkat is Meerkat's) and pins reference facts the server tests rely on.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, EventType, KeeperState, OpCode, type Acl } from '../src/proto/index.js';
import { RawClient } from './helpers/raw-client.js';
import { referenceSkipReason, startReferenceZooKeeper, type ReferenceZooKeeper } from './helpers/reference-zookeeper.js';

const openAcl: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (text: string): Buffer => Buffer.from(text);

describe('raw test client against Apache ZooKeeper', { skip: referenceSkipReason(), timeout: 60_000 }, () => {
  let server: ReferenceZooKeeper;
  const clients: RawClient[] = [];
  const connect = async (options: Partial<Parameters<typeof RawClient.connect>[0]> = {}): Promise<RawClient> => {
    const client = await RawClient.connect({ host: server.host, port: server.port, ...options });
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startReferenceZooKeeper();
  });

  after(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  it('gets a session with the requested timeout, with or without the readOnly byte', async () => {
    const withByte = await connect({ sessionTimeoutMs: 10_000 });
    const withoutByte = await connect({ omitReadOnlyByte: true });
    assert.equal(withByte.session.timeOut, 10_000);
    assert.equal(withByte.session.readOnly, false);
    assert.equal(withByte.password.length, 16);
    assert.notEqual(withoutByte.sessionId, 0n);
    assert.notEqual(withoutByte.sessionId, withByte.sessionId);
  });

  it('returns replies with their header, error replies without a body', async () => {
    const client = await connect();
    const created = await client.request({ type: OpCode.create, path: '/raw', data: bytes('v0'), acl: openAcl, flags: 0 });
    assert.equal(created.header.err, ErrorCode.ok);
    assert.deepEqual(created.response, { type: OpCode.create, path: '/raw' });
    const missing = await client.request({ type: OpCode.getData, path: '/raw-missing', watch: false });
    assert.equal(missing.header.err, ErrorCode.noNode);
    assert.equal(missing.response, undefined);
    const read = await client.request({ type: OpCode.getData, path: '/raw', watch: false });
    assert.equal(read.response?.type, OpCode.getData);
    assert.equal(read.header.zxid, created.header.zxid);
  });

  it('answers pings on xid -2 with the last zxid', async () => {
    const client = await connect();
    const created = await client.request({ type: OpCode.create, path: '/before-ping', data: bytes(''), acl: openAcl, flags: 0 });
    const header = await client.ping();
    assert.deepEqual(header, { xid: -2, zxid: created.header.zxid, err: 0 });
  });

  it('queues a data watch notification (ZooKeeper 3.8 sends zxid -1 in its header)', async () => {
    const watcher = await connect();
    const writer = await connect();
    await watcher.request({ type: OpCode.create, path: '/watched', data: bytes(''), acl: openAcl, flags: 0 });
    await watcher.request({ type: OpCode.getData, path: '/watched', watch: true });
    await writer.request({ type: OpCode.setData, path: '/watched', data: bytes('x'), version: -1 });
    const notification = await watcher.nextNotification({ timeoutMs: 5000 });
    assert.deepEqual(notification.event, { type: EventType.nodeDataChanged, state: KeeperState.syncConnected, path: '/watched' });
    assert.equal(notification.zxid, -1);
    await assert.rejects(watcher.nextNotification({ timeoutMs: 200 }), /no watch notification/);
  });

  it('reattaches to a session after destroy(), and the session dies with close()', async () => {
    const first = await connect();
    await first.request({ type: OpCode.create, path: '/mine', data: bytes(''), acl: openAcl, flags: 1 });
    first.destroy();
    const again = await connect({ sessionId: first.sessionId, password: first.password });
    assert.equal(again.sessionId, first.sessionId);
    const owned = await again.request({ type: OpCode.exists, path: '/mine', watch: false });
    assert.equal(owned.response?.type === OpCode.exists && owned.response.stat.ephemeralOwner, first.sessionId);
    const closed = await again.close();
    assert.equal(closed.header.err, 0);
    const refused = await connect({ sessionId: first.sessionId, password: first.password });
    assert.equal(refused.session.timeOut, 0, 'an expired session is answered with timeOut 0');
    assert.equal(refused.sessionId, 0n);
    await refused.closed;
  });

  it('creates TTL nodes (extendedTypesEnabled is on)', async () => {
    const client = await connect();
    const reply = await client.request({ type: OpCode.createTTL, path: '/ttl', data: bytes(''), acl: openAcl, flags: 5, ttl: 60_000 });
    assert.equal(reply.header.err, ErrorCode.ok);
  });
});
