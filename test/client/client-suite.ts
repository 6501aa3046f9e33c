// The client's integration suite, written once and run against every server: Meerkat and Apache
// ZooKeeper 3.8 (client.test.ts picks them). Each test works under its own root path so tests share
// one server without seeing each other. Clients that need their connection cut go through a
// CutProxy. Every wait is bounded.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  Acls,
  AuthFailedError,
  BadArgumentsError,
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  NoWatcherError,
  OperationTimeoutError,
  Perms,
  SessionExpiredError,
  ZooKeeperClient,
  type ClientOptions,
  type ClientWatchEvent,
  type SessionState,
} from '../../src/client/index.js';
import { CutProxy } from './cut-proxy.js';

export interface TargetServer {
  connectString: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

export interface SuiteTarget {
  name: string;
  skip: string | false;
  /** removeWatches accepts the persistent and persistentRecursive watcher types (ZooKeeper 3.9+). */
  knowsPersistentWatcherType: boolean;
  /** Starts a server whose session timeouts may be as low as 400 ms and as high as 4000 ms. */
  start(): Promise<TargetServer>;
}

const text = (bytes: Uint8Array | null): string => {
  assert.ok(bytes !== null, 'the node has data (not null)');
  return Buffer.from(bytes).toString('utf8');
};

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects if `promise` has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records watch events and session states for assertions. */
class Recorder {
  readonly events: ClientWatchEvent[] = [];
  readonly watcher = (event: ClientWatchEvent): void => {
    this.events.push(event);
  };
  async waitFor(count: number, timeoutMs = 5000): Promise<ClientWatchEvent[]> {
    await waitUntil(() => this.events.length >= count, timeoutMs, `${count} watch events (have ${JSON.stringify(this.events)})`);
    return this.events;
  }
}

function recordStates(zk: ZooKeeperClient): SessionState[] {
  const states: SessionState[] = [];
  zk.on('state', (state) => states.push(state));
  return states;
}

export function clientSuite(target: SuiteTarget): void {
  describe(`ZooKeeperClient against ${target.name}`, { skip: target.skip, timeout: 120_000 }, () => {
    let server: TargetServer;
    const clients: ZooKeeperClient[] = [];
    const proxies: CutProxy[] = [];
    let testNumber = 0;
    let root = '';

    const connect = async (connectString = server.connectString, options: ClientOptions = {}): Promise<ZooKeeperClient> => {
      const zk = await ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 4000, connectTimeoutMs: 10_000, ...options });
      clients.push(zk);
      return zk;
    };
    const proxy = async (): Promise<CutProxy> => {
      const started = await CutProxy.start({ host: server.host, port: server.port });
      proxies.push(started);
      return started;
    };

    before(async () => {
      server = await target.start();
    });

    after(async () => {
      await server?.stop();
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((zk) => zk.close({ timeoutMs: 2000 })));
      await Promise.all(proxies.splice(0).map((started) => started.close()));
    });

    // Each test gets a fresh root, created by a throwaway client.
    const freshRoot = async (): Promise<string> => {
      root = `/suite-${process.pid}-${++testNumber}`;
      const zk = await connect();
      await zk.create(root);
      return root;
    };

    describe('operations', () => {
      it('keeps no data (null) apart from empty data: getData answers null, dataLength 0', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const created = await zk.create(`${base}/none`, null);
        assert.equal(created.stat.dataLength, 0);
        assert.equal((await zk.getData(`${base}/none`)).data, null);
        await zk.create(`${base}/empty`);
        assert.deepEqual([...(await zk.getData(`${base}/empty`)).data!], []);
        await zk.setData(`${base}/empty`, null);
        await zk.transaction().create(`${base}/none2`, null).setData(`${base}/none`, 'x').commit();
        const reads = await zk.multiRead([{ type: 'getData', path: `${base}/empty` }, { type: 'getData', path: `${base}/none2` }]);
        assert.deepEqual(reads.map((read) => (read.type === 'getData' ? read.data : 'error')), [null, null]);
        assert.equal(text((await zk.getData(`${base}/none`)).data), 'x');
      });

      it('creates, reads, updates and deletes a node, with versions in its Stat', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const created = await zk.create(`${base}/a`, 'one');
        assert.equal(created.path, `${base}/a`);
        assert.equal(created.stat.version, 0);
        assert.equal(created.stat.dataLength, 3);
        const read = await zk.getData(`${base}/a`);
        assert.equal(text(read.data), 'one');
        assert.deepEqual(read.stat, created.stat);
        const updated = await zk.setData(`${base}/a`, 'two', { version: 0 });
        assert.equal(updated.version, 1);
        assert.equal((await zk.exists(`${base}/a`))?.version, 1);
        await zk.delete(`${base}/a`, { version: 1 });
        assert.equal(await zk.exists(`${base}/a`), null);
      });

      it('creates ephemeral, sequential, container and TTL nodes', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const ephemeral = await zk.create(`${base}/e`, '', { mode: 'ephemeral' });
        assert.equal(ephemeral.stat.ephemeralOwner, zk.sessionId);
        const first = await zk.create(`${base}/s-`, '', { mode: 'persistentSequential' });
        const second = await zk.create(`${base}/s-`, '', { mode: 'ephemeralSequential' });
        assert.match(first.path, new RegExp(`^${base}/s-\\d{10}$`));
        assert.ok(second.path > first.path, 'sequence numbers increase');
        const container = await zk.create(`${base}/c`, '', { mode: 'container' });
        assert.equal(container.path, `${base}/c`);
        const ttl = await zk.create(`${base}/ttl`, 'x', { mode: 'persistentWithTtl', ttlMs: 60_000 });
        assert.equal(ttl.path, `${base}/ttl`);
        const ttlSequential = await zk.create(`${base}/ttls-`, 'x', { mode: 'persistentSequentialWithTtl', ttlMs: 60_000 });
        assert.match(ttlSequential.path, /-\d{10}$/);
        await assert.rejects(zk.create(`${base}/ttl2`, '', { mode: 'persistentWithTtl' }), BadArgumentsError);
      });

      it('lists children with the parent Stat, counts descendants, lists ephemerals', async () => {
        const base = await freshRoot();
        const zk = await connect();
        await zk.create(`${base}/p`);
        await zk.create(`${base}/p/x`);
        await zk.create(`${base}/p/x/deep`);
        await zk.create(`${base}/p/y`, '', { mode: 'ephemeral' });
        const listed = await zk.getChildren(`${base}/p`);
        assert.deepEqual([...listed.children].sort(), ['x', 'y']);
        assert.equal(listed.stat.numChildren, 2);
        assert.equal(await zk.getAllChildrenNumber(`${base}/p`), 3);
        assert.deepEqual(await zk.getEphemerals(base), [`${base}/p/y`]);
      });

      it('reads and sets ACLs, and authenticates with addAuth (whoAmI shows it)', async () => {
        const base = await freshRoot();
        const owner = await connect();
        await owner.addAuth('digest', 'alice:secret');
        assert.ok((await owner.whoAmI()).some((entry) => entry.scheme === 'digest' && entry.user === 'alice'));
        await owner.create(`${base}/private`, 'data', { acl: Acls.creatorAll });
        const { acl, stat } = await owner.getACL(`${base}/private`);
        assert.equal(acl.length, 1);
        assert.equal(acl[0]!.id.scheme, 'digest');
        const stranger = await connect();
        await assert.rejects(stranger.getData(`${base}/private`), (error: unknown) => {
          assert.ok(error instanceof NoAuthError);
          assert.equal(error.code, -102);
          assert.equal(error.path, `${base}/private`);
          return true;
        });
        const after = await owner.setACL(`${base}/private`, [{ perms: Perms.read, id: { scheme: 'world', id: 'anyone' } }], { version: stat.aversion });
        assert.equal(after.aversion, stat.aversion + 1);
        assert.equal(text((await stranger.getData(`${base}/private`)).data), 'data');
      });

      it('authenticates before the first call with the auth option', async () => {
        const zk = await connect(server.connectString, { auth: [{ scheme: 'digest', auth: 'bob:pw' }] });
        assert.ok((await zk.whoAmI()).some((entry) => entry.scheme === 'digest' && entry.user === 'bob'));
      });

      it('rejects connect when the auth option is refused', async () => {
        await assert.rejects(ZooKeeperClient.connect(server.connectString, { auth: [{ scheme: 'no-such-scheme', auth: 'x' }] }), AuthFailedError);
      });

      it('syncs', async () => {
        const base = await freshRoot();
        const zk = await connect();
        await zk.sync(base);
      });

      it('commits a transaction atomically, and a failed one applies nothing', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const results = await zk.transaction().create(`${base}/t`, 'a').setData(`${base}/t`, 'b').check(`${base}/t`, 1).commit();
        assert.deepEqual(results.map((result) => result.type), ['create', 'setData', 'check']);
        assert.equal(results[0]!.type === 'create' && results[0]!.path, `${base}/t`);
        await assert.rejects(
          zk.transaction().create(`${base}/u`).delete(`${base}/t`, 7).commit(),
          (error: unknown) => error instanceof BadVersionError && error.path === `${base}/t`,
        );
        assert.equal(await zk.exists(`${base}/u`), null, 'the create in the failed transaction was not applied');
        await zk.transaction().delete(`${base}/t`).commit();
        assert.equal(await zk.exists(`${base}/t`), null);
      });

      it('reads several nodes in one multiRead, failures as entries', async () => {
        const base = await freshRoot();
        const zk = await connect();
        await zk.create(`${base}/r`, 'v');
        const results = await zk.multiRead([
          { type: 'getData', path: `${base}/r` },
          { type: 'getChildren', path: base },
          { type: 'getData', path: `${base}/missing` },
        ]);
        assert.equal(results[0]!.type === 'getData' && text(results[0]!.data), 'v');
        assert.deepEqual(results[1]!.type === 'getChildren' && results[1]!.children, ['r']);
        assert.ok(results[2]!.type === 'error' && results[2]!.error instanceof NoNodeError);
      });
    });

    describe('typed errors', () => {
      it('rejects with one class per ZooKeeper code, carrying code, name and path', async () => {
        const base = await freshRoot();
        const zk = await connect();
        await zk.create(`${base}/n`);
        await zk.create(`${base}/n/child`);
        await zk.create(`${base}/eph`, '', { mode: 'ephemeral' });
        const cases: Array<[Promise<unknown>, new (...args: never[]) => Error, number, string]> = [
          [zk.getData(`${base}/none`), NoNodeError, -101, `${base}/none`],
          [zk.create(`${base}/n`), NodeExistsError, -110, `${base}/n`],
          [zk.setData(`${base}/n`, 'x', { version: 5 }), BadVersionError, -103, `${base}/n`],
          [zk.delete(`${base}/n`), NotEmptyError, -111, `${base}/n`],
          [zk.create(`${base}/eph/c`), NoChildrenForEphemeralsError, -108, `${base}/eph/c`],
          [zk.create(`${base}/none/c`), NoNodeError, -101, `${base}/none/c`],
        ];
        for (const [call, ErrorClass, code, path] of cases) {
          await assert.rejects(call, (error: unknown) => {
            assert.ok(error instanceof ErrorClass, `${String(error)} is a ${ErrorClass.name}`);
            assert.equal((error as NoNodeError).code, code);
            assert.equal((error as NoNodeError).name, ErrorClass.name);
            assert.equal((error as NoNodeError).path, path);
            return true;
          });
        }
      });

      it('rejects an invalid path before sending it', async () => {
        const zk = await connect();
        for (const path of ['relative', '/trailing/', '/a//b', '/a/./b', '/a/../b', '']) {
          await assert.rejects(zk.getData(path), BadArgumentsError, `path ${JSON.stringify(path)}`);
        }
      });
    });

    describe('watches', () => {
      it('fires one-shot data, exist and child watches once each', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const data = new Recorder();
        const exist = new Recorder();
        const children = new Recorder();
        await zk.create(`${base}/w`, 'a');
        await zk.getData(`${base}/w`, { watch: data.watcher });
        assert.equal(await zk.exists(`${base}/later`, { watch: exist.watcher }), null);
        await zk.getChildren(base, { watch: children.watcher });
        await zk.setData(`${base}/w`, 'b');
        await zk.setData(`${base}/w`, 'c');
        await zk.create(`${base}/later`);
        assert.deepEqual(await data.waitFor(1), [{ type: 'nodeDataChanged', path: `${base}/w` }]);
        assert.deepEqual(await exist.waitFor(1), [{ type: 'nodeCreated', path: `${base}/later` }]);
        assert.deepEqual(await children.waitFor(1), [{ type: 'nodeChildrenChanged', path: base }]);
        await zk.sync(base);
        assert.equal(data.events.length, 1, 'a one-shot watch fires once');
      });

      it('lets a watcher re-arm itself from its callback and see every later change', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const values: string[] = [];
        const watcher = (): void => {
          void zk.getData(`${base}/v`, { watch: watcher }).then((result) => values.push(text(result.data)));
        };
        await zk.create(`${base}/v`, '0');
        await zk.getData(`${base}/v`, { watch: watcher });
        for (const value of ['1', '2', '3']) {
          await zk.setData(`${base}/v`, value);
          await waitUntil(() => values.includes(value), 5000, `value ${value} seen`);
        }
      });

      it('delivers a deletion to data and child watches', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const recorder = new Recorder();
        await zk.create(`${base}/d`);
        await zk.getData(`${base}/d`, { watch: recorder.watcher });
        await zk.delete(`${base}/d`);
        assert.deepEqual(await recorder.waitFor(1), [{ type: 'nodeDeleted', path: `${base}/d` }]);
      });

      it('streams a persistent recursive watch as an async iterable, and break removes it', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const writer = await connect();
        const stream = zk.watch(base, { mode: 'persistentRecursive' });
        await stream.ready;
        await writer.create(`${base}/x`);
        await writer.setData(`${base}/x`, 'v');
        await writer.create(`${base}/x/y`);
        const seen: ClientWatchEvent[] = [];
        const deadline = setTimeout(() => void stream.close(), 5000);
        for await (const event of stream) {
          seen.push(event);
          if (seen.length === 3) break;
        }
        clearTimeout(deadline);
        assert.deepEqual(seen, [
          { type: 'nodeCreated', path: `${base}/x` },
          { type: 'nodeDataChanged', path: `${base}/x` },
          { type: 'nodeCreated', path: `${base}/x/y` },
        ]);
        await assert.rejects(zk.removeWatches(base, 'any'), NoWatcherError, 'break removed the watch on the server');
      });

      it('calls a persistent watch callback for every change until removeWatches', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const recorder = new Recorder();
        await zk.create(`${base}/p`);
        await zk.addWatch(`${base}/p`, recorder.watcher, { mode: 'persistent' });
        await zk.setData(`${base}/p`, '1');
        await zk.setData(`${base}/p`, '2');
        await recorder.waitFor(2);
        // 'any', because ZooKeeper 3.8 does not know the 'persistent' watcher type in removeWatches.
        await zk.removeWatches(`${base}/p`, 'any');
        await recorder.waitFor(3);
        assert.deepEqual(recorder.events[2], { type: 'persistentWatchRemoved', path: `${base}/p` });
        await zk.setData(`${base}/p`, '3');
        await zk.sync(base);
        assert.equal(recorder.events.length, 3);
      });

      it('removes a persistent watch by its own watcher type where the server knows it', { skip: !target.knowsPersistentWatcherType && 'ZooKeeper 3.8 knows only children/data/any in removeWatches' }, async () => {
        const base = await freshRoot();
        const zk = await connect();
        const recorder = new Recorder();
        await zk.addWatch(base, recorder.watcher, { mode: 'persistentRecursive' });
        await zk.removeWatches(base, 'persistentRecursive');
        assert.deepEqual(await recorder.waitFor(1), [{ type: 'persistentWatchRemoved', path: base }]);
      });

      it('ends a watch stream when the client closes', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const stream = zk.watch(base);
        await stream.ready;
        const ended = stream.next();
        await zk.close();
        assert.deepEqual(await within(ended, 5000, 'the end of the stream'), { value: undefined, done: true });
      });

      it('removes a one-shot data watch and tells its watcher', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const recorder = new Recorder();
        await zk.create(`${base}/r`);
        await zk.getData(`${base}/r`, { watch: recorder.watcher });
        await zk.removeWatches(`${base}/r`, 'data');
        assert.deepEqual(await recorder.waitFor(1), [{ type: 'dataWatchRemoved', path: `${base}/r` }]);
        await assert.rejects(zk.removeWatches(`${base}/r`, 'data'), NoWatcherError);
      });
    });

    describe('chroot', () => {
      it('prefixes paths on the way out and strips them from results and watch events', async () => {
        const base = await freshRoot();
        const outside = await connect();
        const zk = await connect(`${server.connectString}${base}`);
        const recorder = new Recorder();
        const created = await zk.create('/seq-', 'x', { mode: 'ephemeralSequential' });
        assert.match(created.path, /^\/seq-\d{10}$/);
        assert.ok(await outside.exists(`${base}${created.path}`), 'the node lives under the chroot');
        assert.deepEqual(await zk.getChildren('/').then((result) => result.children), [created.path.slice(1)]);
        assert.deepEqual(await zk.getEphemerals('/'), [created.path]);
        await zk.getData(created.path, { watch: recorder.watcher });
        const stream = zk.watch('/', { mode: 'persistentRecursive' });
        await stream.ready;
        await outside.setData(`${base}${created.path}`, 'y');
        assert.deepEqual(await recorder.waitFor(1), [{ type: 'nodeDataChanged', path: created.path }]);
        const first = await within(stream.next(), 5000, 'a stream event');
        assert.deepEqual(first.value, { type: 'nodeDataChanged', path: created.path });
        const results = await zk.transaction().create('/in-multi').commit();
        assert.deepEqual(results, [{ type: 'create', path: '/in-multi' }]);
        await zk.sync('/');
        await stream.close();
      });
    });

    describe('connection loss and sessions', () => {
      it('reconnects to the same session after the connection is cut, keeping its ephemerals', async () => {
        const base = await freshRoot();
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        const states = recordStates(zk);
        const sessionId = zk.sessionId;
        await zk.create(`${base}/mine`, '', { mode: 'ephemeral' });
        cut.cut();
        await waitUntil(() => states.includes('disconnected') && zk.state === 'connected', 5000, 'reconnected');
        assert.deepEqual(states.slice(0, 2), ['disconnected', 'connected']);
        assert.equal(zk.sessionId, sessionId);
        assert.equal((await zk.exists(`${base}/mine`))?.ephemeralOwner, sessionId);
      });

      it('fails a request in flight with ConnectionLoss, and retries an idempotent one', async () => {
        const base = await freshRoot();
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        await zk.create(`${base}/n`, 'v');
        cut.freeze(true);
        const unretried = zk.getData(`${base}/n`, { retry: false });
        const retried = zk.getData(`${base}/n`, { retry: { retriesMax: 5, initialDelayMs: 20, maxDelayMs: 200 } });
        const create = zk.create(`${base}/c`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        cut.freeze(false);
        cut.cut();
        await assert.rejects(unretried, ConnectionLossError);
        await assert.rejects(create, ConnectionLossError, 'a create is never retried');
        assert.equal(text((await retried).data), 'v');
      });

      it('re-registers watches after a reconnect, so changes made while disconnected fire', async () => {
        const base = await freshRoot();
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        const writer = await connect();
        await zk.create(`${base}/data`, 'a');
        await zk.create(`${base}/kids`);
        const data = new Recorder();
        const exist = new Recorder();
        const children = new Recorder();
        const persistent = new Recorder();
        await zk.getData(`${base}/data`, { watch: data.watcher });
        await zk.exists(`${base}/new`, { watch: exist.watcher });
        await zk.getChildren(`${base}/kids`, { watch: children.watcher });
        await zk.addWatch(`${base}/data`, persistent.watcher);
        cut.refuse(true);
        cut.cut();
        await waitUntil(() => zk.state === 'disconnected', 5000, 'disconnected');
        await writer.setData(`${base}/data`, 'b');
        await writer.create(`${base}/new`);
        await writer.create(`${base}/kids/k`);
        cut.refuse(false);
        assert.deepEqual(await data.waitFor(1), [{ type: 'nodeDataChanged', path: `${base}/data` }]);
        assert.deepEqual(await exist.waitFor(1), [{ type: 'nodeCreated', path: `${base}/new` }]);
        assert.deepEqual(await children.waitFor(1), [{ type: 'nodeChildrenChanged', path: `${base}/kids` }]);
        await writer.setData(`${base}/data`, 'c');
        await persistent.waitFor(1);
        assert.deepEqual(persistent.events.at(-1), { type: 'nodeDataChanged', path: `${base}/data` }, 'the persistent watch survived');
      });

      it('moves to the next host when one stops answering', async () => {
        const base = await freshRoot();
        const first = await proxy();
        const second = await proxy();
        const zk = await connect(`${first.connectString},${second.connectString}`, { shuffleHosts: false });
        assert.equal(first.openConnections, 1);
        first.refuse(true);
        first.cut();
        await waitUntil(() => zk.state === 'connected' && second.openConnections === 1, 5000, 'connected through the second host');
        await zk.create(`${base}/via-second`);
      });

      it('surfaces the expiry the server reports on reconnect, failing calls and streams', async () => {
        const base = await freshRoot();
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        const states = recordStates(zk);
        await zk.create(`${base}/eph`, '', { mode: 'ephemeral' });
        const stream = zk.watch(base);
        await stream.ready;
        // Another client takes over the session and closes it: the server ends it for good.
        cut.freeze(true);
        const thief = await ZooKeeperClient.connect(server.connectString, { session: { id: zk.sessionId, password: zk.sessionPassword }, connectTimeoutMs: 5000 });
        await thief.close();
        cut.freeze(false);
        cut.cut();
        await waitUntil(() => zk.state === 'expired', 5000, 'expired');
        assert.ok(states.includes('expired'));
        await assert.rejects(zk.getData(base), SessionExpiredError);
        await assert.rejects(stream.next(), SessionExpiredError);
        const observer = await connect();
        assert.equal(await observer.exists(`${base}/eph`), null, 'the ephemeral went with the session');
      });

      it('declares the session expired when no host answers for the whole session timeout', async () => {
        const cut = await proxy();
        const zk = await connect(cut.connectString, { sessionTimeoutMs: 1000 });
        const expired = new Promise<void>((resolve) => zk.once('expired', resolve));
        cut.refuse(true);
        cut.cut();
        const began = Date.now();
        await within(expired, 5000, 'the expired event');
        assert.ok(Date.now() - began >= zk.sessionTimeoutMs - 100, 'not before the session timeout');
      });

      it('gives up the first connection after connectTimeoutMs when no host answers', async () => {
        const dead = await proxy();
        dead.refuse(true);
        const began = Date.now();
        await assert.rejects(ZooKeeperClient.connect(dead.connectString, { connectTimeoutMs: 300 }), ConnectionLossError);
        assert.ok(Date.now() - began < 2000);
      });

      it('reports a refused authentication as authFailed and ends the session', async () => {
        const zk = await connect();
        const states = recordStates(zk);
        await assert.rejects(zk.addAuth('no-such-scheme', 'x'), AuthFailedError);
        assert.equal(zk.state, 'authFailed');
        assert.deepEqual(states, ['authFailed']);
        await assert.rejects(zk.exists('/'), AuthFailedError);
      });

      it('closes the session: ephemerals go at once and later calls fail', async () => {
        const base = await freshRoot();
        const zk = await connect();
        const observer = await connect();
        const closed = new Promise<void>((resolve) => zk.once('closed', resolve));
        await zk.create(`${base}/eph`, '', { mode: 'ephemeral' });
        await zk.close();
        await closed;
        assert.equal(zk.state, 'closed');
        assert.equal(await observer.exists(`${base}/eph`), null);
        await assert.rejects(zk.exists('/'), ClientClosedError);
        await zk.close();
      });
    });

    describe('abort, timeouts and the outstanding bound', () => {
      it('rejects with the signal reason, before or while waiting', async () => {
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        await assert.rejects(zk.exists('/', { signal: AbortSignal.abort(new Error('early')) }), /early/);
        cut.freeze(true);
        const controller = new AbortController();
        const pending = zk.exists('/', { signal: controller.signal });
        setTimeout(() => controller.abort(new Error('late')), 20);
        await assert.rejects(pending, /late/);
        cut.freeze(false);
      });

      it('rejects with OperationTimeoutError when the reply does not come in time', async () => {
        const cut = await proxy();
        const zk = await connect(cut.connectString);
        cut.freeze(true);
        const began = Date.now();
        await assert.rejects(zk.getData('/', { timeoutMs: 100 }), OperationTimeoutError);
        assert.ok(Date.now() - began < 2000);
        cut.freeze(false);
      });

      it('queues calls beyond the outstanding bound and completes them all', async () => {
        const base = await freshRoot();
        const zk = await connect(server.connectString, { outstandingRequestsMax: 2 });
        const created = await Promise.all(Array.from({ length: 20 }, (_, index) => zk.create(`${base}/n${index}`)));
        assert.equal(created.length, 20);
        assert.equal(await zk.getAllChildrenNumber(base), 20);
      });
    });
  });
}
