// Sessions over real sockets: timeout negotiation, reattaching with the password, expiry removing
// ephemerals and firing watches, refusal of a client from the future, setWatches after a reconnect,
// and the container/TTL reaper.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMode, ErrorCode, EventType, OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { digestFor } from '../../src/tree/index.js';
import { RawClient } from '../helpers/raw-client.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const empty = new Uint8Array(0);

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('sessions', () => {
  let server: RunningServer;
  let dataDir: string;
  const connect = (options: Partial<Parameters<typeof RawClient.connect>[0]> = {}): Promise<RawClient> =>
    RawClient.connect({ host: server.host, port: server.port, ...options });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-sessions-'));
    server = await startServer({
      port: 0, dataDir, logLevel: 'silent',
      config: { tickTimeMs: 100, minSessionTimeoutMs: 200, maxSessionTimeoutMs: 2000, containerCheckIntervalMs: 50, superDigest: digestFor('super', 'pw') },
    });
  });

  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('negotiates the session timeout into [minSessionTimeout, maxSessionTimeout]', async () => {
    for (const [asked, granted] of [[50, 200], [1000, 1000], [60_000, 2000]] as const) {
      const client = await connect({ sessionTimeoutMs: asked });
      assert.equal(client.session.timeOut, granted);
      await client.close();
    }
  });

  it('accepts a connect request without the trailing readOnly byte', async () => {
    const client = await connect({ omitReadOnlyByte: true });
    assert.notEqual(client.sessionId, 0n);
    await client.close();
  });

  it('reattaches to a session with its password and keeps its ephemerals', async () => {
    const first = await connect({ sessionTimeoutMs: 2000 });
    await first.request({ type: OpCode.create, path: '/mine', data: empty, acl: open, flags: CreateMode.ephemeral });
    first.destroy();
    const again = await connect({ sessionId: first.sessionId, password: first.password, sessionTimeoutMs: 2000 });
    assert.equal(again.sessionId, first.sessionId);
    const reply = await again.request({ type: OpCode.exists, path: '/mine', watch: false });
    assert.equal(reply.header.err, 0);
    await again.close();
  });

  it('refuses a wrong password as an expired session and closes the connection', async () => {
    const owner = await connect({ sessionTimeoutMs: 2000 });
    const intruder = await connect({ sessionId: owner.sessionId, password: new Uint8Array(16).fill(7) });
    assert.equal(intruder.session.sessionId, 0n);
    assert.equal(intruder.session.timeOut, 0);
    await intruder.closed;
    await owner.close();
  });

  it('expires a silent session, deletes its ephemerals and tells watchers', async () => {
    const doomed = await connect({ sessionTimeoutMs: 200 });
    await doomed.request({ type: OpCode.create, path: '/doomed', data: empty, acl: open, flags: CreateMode.ephemeral });
    const watcher = await connect({ sessionTimeoutMs: 2000, pingIntervalMs: 100 });
    await watcher.request({ type: OpCode.exists, path: '/doomed', watch: true });
    doomed.destroy();
    const event = await watcher.nextNotification({ timeoutMs: 3000 });
    assert.deepEqual([event.event.type, event.event.path], [EventType.nodeDeleted, '/doomed']);
    const reattach = await connect({ sessionId: doomed.sessionId, password: doomed.password });
    assert.equal(reattach.session.timeOut, 0, 'an expired session cannot be resumed');
    await watcher.close();
  });

  it('closes the connection of a client that has seen a newer zxid than the server', async () => {
    await assert.rejects(connect({ lastZxidSeen: 0x7_0000_0000, connectTimeoutMs: 2000 }));
  });

  it('fires what changed while a client was away when it re-registers with setWatches', async () => {
    const client = await connect({ sessionTimeoutMs: 2000 });
    const created = await client.request({ type: OpCode.create, path: '/away', data: empty, acl: open, flags: 0 });
    const seen = created.header.zxid;
    client.destroy();
    const other = await connect();
    await other.request({ type: OpCode.setData, path: '/away', data: Buffer.from('new'), version: -1 });
    const back = await connect({ sessionId: client.sessionId, password: client.password, lastZxidSeen: seen });
    await back.request({
      type: OpCode.setWatches, relativeZxid: seen, dataWatches: ['/away'], existWatches: [], childWatches: ['/away'],
      persistentWatches: [], persistentRecursiveWatches: [],
    });
    const event = await back.nextNotification();
    assert.deepEqual([event.event.type, event.event.path], [EventType.nodeDataChanged, '/away']);
    await back.close();
    await other.close();
  });

  it('sends each notification with the zxid of the change that fired it', async () => {
    const client = await connect();
    await client.request({ type: OpCode.create, path: '/z', data: empty, acl: open, flags: 0 });
    await client.request({ type: OpCode.getData, path: '/z', watch: true });
    const reply = await client.request({ type: OpCode.setData, path: '/z', data: Buffer.from('1'), version: -1 });
    const notification = await client.nextNotification();
    assert.ok(reply.response?.type === OpCode.setData);
    assert.equal(notification.zxid, reply.response.stat.mzxid);
    await client.close();
  });

  it('reaps an empty container once its last child goes, and an expired TTL node', async () => {
    const client = await connect({ pingIntervalMs: 100, sessionTimeoutMs: 2000 });
    await client.request({ type: OpCode.createContainer, path: '/box', data: empty, acl: open, flags: CreateMode.container });
    await client.request({ type: OpCode.create, path: '/box/item', data: empty, acl: open, flags: 0 });
    await client.request({ type: OpCode.createTTL, path: '/brief', data: empty, acl: open, flags: CreateMode.persistentWithTtl, ttl: 100 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await client.request({ type: OpCode.exists, path: '/box', watch: false })).header.err, 0, 'a container with a child stays');
    await client.request({ type: OpCode.delete, path: '/box/item', version: -1 });
    const gone = async (path: string): Promise<boolean> =>
      (await client.request({ type: OpCode.exists, path, watch: false })).header.err === ErrorCode.noNode;
    await waitFor(() => gone('/box'), 3000);
    await waitFor(() => gone('/brief'), 3000);
    await client.close();
  });

  it('lets the super user past any ACL', async () => {
    const owner = await connect();
    await owner.request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('bob:pw') });
    await owner.request({ type: OpCode.create, path: '/bobs', data: Buffer.from('b'), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 });
    const root = await connect();
    assert.equal((await root.request({ type: OpCode.getData, path: '/bobs', watch: false })).header.err, ErrorCode.noAuth);
    await root.request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('super:pw') });
    assert.equal((await root.request({ type: OpCode.getData, path: '/bobs', watch: false })).header.err, 0);
    await owner.close();
    await root.close();
  });

  it('answers an unsupported auth scheme with AUTHFAILED and closes the connection', async () => {
    const client = await connect();
    const reply = await client.request({ type: OpCode.auth, authType: 0, scheme: 'kerberos', auth: Buffer.from('x') });
    assert.equal(reply.header.err, ErrorCode.authFailed);
    await client.closed;
  });
});

describe('sessions across a restart', () => {
  it('restores sessions from disk and expires those that do not come back, removing their ephemerals', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-restart-'));
    const config = { tickTimeMs: 100, minSessionTimeoutMs: 200, maxSessionTimeoutMs: 2000 };
    try {
      const first = await startServer({ port: 0, dataDir, logLevel: 'silent', config });
      const owner = await RawClient.connect({ host: first.host, port: first.port, sessionTimeoutMs: 400 });
      await owner.request({ type: OpCode.create, path: '/left-behind', data: empty, acl: open, flags: CreateMode.ephemeral });
      owner.destroy();
      await first.close();

      const second = await startServer({ port: 0, dataDir, logLevel: 'silent', config });
      try {
        const watcher = await RawClient.connect({ host: second.host, port: second.port, sessionTimeoutMs: 2000, pingIntervalMs: 100 });
        const exists = await watcher.request({ type: OpCode.exists, path: '/left-behind', watch: true });
        assert.equal(exists.header.err, 0, 'the ephemeral survives the restart while its session may still return');
        const event = await watcher.nextNotification({ timeoutMs: 5000 });
        assert.deepEqual([event.event.type, event.event.path], [EventType.nodeDeleted, '/left-behind']);
        await watcher.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('lets a client resume its session on the restarted server with the same password', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-resume-'));
    try {
      const first = await startServer({ port: 0, dataDir, logLevel: 'silent' });
      const client = await RawClient.connect({ host: first.host, port: first.port, sessionTimeoutMs: 10_000 });
      await client.request({ type: OpCode.create, path: '/mine', data: empty, acl: open, flags: CreateMode.ephemeral });
      client.destroy();
      await first.close();
      const second = await startServer({ port: 0, dataDir, logLevel: 'silent' });
      try {
        const resumed = await RawClient.connect({ host: second.host, port: second.port, sessionId: client.sessionId, password: client.password });
        assert.equal(resumed.sessionId, client.sessionId);
        assert.equal((await resumed.request({ type: OpCode.exists, path: '/mine', watch: false })).header.err, 0);
        await resumed.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
