// Meerkat driven by a third-party client, node-zookeeper-client, over real sockets: every operation
// that client supports, with ZooKeeper's semantics and error codes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { type RunningServer, startServer } from '../../src/runtime/index.js';

type Client = zookeeper.Client;

function connect(connectString: string, sessionTimeout = 10_000): Promise<Client> {
  const client = zookeeper.createClient(connectString, { sessionTimeout, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no session within 5 s')), 5000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** Calls a callback-style client method; rejects with the library's error (which carries `code`). */
function call<T extends unknown[]>(start: (done: zookeeper.Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5000);
    start((error, ...results) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(results);
    });
  });
}

async function errorCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as zookeeper.Exception).code;
  }
  return 0;
}

function nextEvent(register: (watcher: zookeeper.Watcher) => void): Promise<zookeeper.Event> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no watch event within 5 s')), 5000);
    register((event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

const open = zookeeper.ACL.OPEN_ACL_UNSAFE;
const { CreateMode } = zookeeper;

describe('Meerkat with node-zookeeper-client', () => {
  let server: RunningServer;
  let client: Client;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-nzc-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    client = await connect(server.connectString);
  });

  after(async () => {
    client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, reads, updates and deletes a node with versions checked', async () => {
    const [path] = await call<[string]>((done) => client.create('/crud', Buffer.from('v0'), open, CreateMode.PERSISTENT, done));
    assert.equal(path, '/crud');
    const [data, stat] = await call<[Buffer, zookeeper.Stat]>((done) => client.getData('/crud', undefined, done));
    assert.equal(data.toString(), 'v0');
    assert.equal(stat.version, 0);
    assert.equal(stat.dataLength, 2);
    const [updated] = await call<[zookeeper.Stat]>((done) => client.setData('/crud', Buffer.from('v1'), 0, done));
    assert.equal(updated.version, 1);
    assert.equal(await errorCode(call((done) => client.setData('/crud', Buffer.from('x'), 0, done))), zookeeper.Exception.BAD_VERSION);
    assert.equal(await errorCode(call((done) => client.remove('/crud', 0, done))), zookeeper.Exception.BAD_VERSION);
    await call((done) => client.remove('/crud', 1, done));
    const [gone] = await call<[zookeeper.Stat | null]>((done) => client.exists('/crud', undefined, done));
    assert.equal(gone, null);
  });

  it('answers NoNode, NodeExists, NotEmpty and NoChildrenForEphemerals', async () => {
    assert.equal(await errorCode(call((done) => client.getData('/missing', undefined, done))), zookeeper.Exception.NO_NODE);
    assert.equal(await errorCode(call((done) => client.create('/missing/child', null, open, CreateMode.PERSISTENT, done))), zookeeper.Exception.NO_NODE);
    await call((done) => client.create('/dup', null, open, CreateMode.PERSISTENT, done));
    assert.equal(await errorCode(call((done) => client.create('/dup', null, open, CreateMode.PERSISTENT, done))), zookeeper.Exception.NODE_EXISTS);
    await call((done) => client.create('/dup/child', null, open, CreateMode.PERSISTENT, done));
    assert.equal(await errorCode(call((done) => client.remove('/dup', -1, done))), zookeeper.Exception.NOT_EMPTY);
    await call((done) => client.create('/eph', null, open, CreateMode.EPHEMERAL, done));
    assert.equal(
      await errorCode(call((done) => client.create('/eph/child', null, open, CreateMode.PERSISTENT, done))),
      zookeeper.Exception.NO_CHILDREN_FOR_EPHEMERALS,
    );
  });

  it('names sequential nodes with the parent cversion as a ten-digit suffix', async () => {
    await call((done) => client.create('/seq', null, open, CreateMode.PERSISTENT, done));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [path] = await call<[string]>((done) => client.create('/seq/job-', null, open, CreateMode.PERSISTENT_SEQUENTIAL, done));
      names.push(path);
    }
    assert.deepEqual(names, ['/seq/job-0000000000', '/seq/job-0000000001', '/seq/job-0000000002']);
    const [children, stat] = await call<[string[], zookeeper.Stat]>((done) => client.getChildren('/seq', undefined, done));
    assert.deepEqual(children.sort(), ['job-0000000000', 'job-0000000001', 'job-0000000002']);
    assert.equal(stat.numChildren, 3);
    assert.equal(stat.cversion, 3);
  });

  it('fires data, child and exists watches once, in order', async () => {
    await call((done) => client.create('/w', Buffer.from('a'), open, CreateMode.PERSISTENT, done));
    const dataChanged = nextEvent((watcher) => client.getData('/w', watcher, () => {}));
    const childChanged = nextEvent((watcher) => client.getChildren('/w', watcher, () => {}));
    const created = nextEvent((watcher) => client.exists('/w/new', watcher, () => {}));
    await call((done) => client.setData('/w', Buffer.from('b'), -1, done));
    await call((done) => client.create('/w/new', null, open, CreateMode.PERSISTENT, done));
    assert.equal((await dataChanged).type, zookeeper.Event.NODE_DATA_CHANGED);
    assert.equal((await childChanged).type, zookeeper.Event.NODE_CHILDREN_CHANGED);
    const createdEvent = await created;
    assert.equal(createdEvent.type, zookeeper.Event.NODE_CREATED);
    assert.equal(createdEvent.path, '/w/new');
  });

  it('removes a session’s ephemerals when it closes and tells watchers', async () => {
    const other = await connect(server.connectString);
    await call((done) => other.create('/owned', null, open, CreateMode.EPHEMERAL, done));
    const deleted = nextEvent((watcher) => client.exists('/owned', watcher, () => {}));
    other.close();
    assert.equal((await deleted).type, zookeeper.Event.NODE_DELETED);
  });

  it('commits a transaction all-or-nothing', async () => {
    const [results] = await call<[unknown[]]>((done) =>
      client.transaction().create('/tx', Buffer.from('1')).create('/tx/a').setData('/tx', Buffer.from('2'), 0).commit(done),
    );
    assert.equal(results.length, 3);
    const failure = await errorCode(call((done) =>
      client.transaction().create('/tx2').remove('/does-not-exist').commit(done),
    ));
    assert.notEqual(failure, 0);
    const [exists] = await call<[zookeeper.Stat | null]>((done) => client.exists('/tx2', undefined, done));
    assert.equal(exists, null, 'a failed transaction applies nothing');
  });

  it('enforces digest ACLs: NoAuth without the credentials, access with them', async () => {
    const owner = await connect(server.connectString);
    owner.addAuthInfo('digest', Buffer.from('alice:secret'));
    const creatorAll = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', ''))];
    await call((done) => owner.create('/private', Buffer.from('s'), creatorAll, CreateMode.PERSISTENT, done));
    assert.equal(await errorCode(call((done) => client.getData('/private', undefined, done))), zookeeper.Exception.NO_AUTH);
    const [data] = await call<[Buffer]>((done) => owner.getData('/private', undefined, done));
    assert.equal(data.toString(), 's');
    const [acls] = await call<[zookeeper.ACL[]]>((done) => owner.getACL('/private', done));
    assert.equal(acls[0]!.id.scheme, 'digest');
    assert.match(acls[0]!.id.id, /^alice:/);
    owner.close();
  });
});
