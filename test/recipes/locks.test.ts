// Lock, ReadWriteLock and Semaphore against a real Meerkat server: mutual exclusion with fencing
// tokens, no herd on release, session loss as seen by the holder, cleanup after a timeout or abort,
// and exclusion across processes. Every wait and loop is bounded.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationTimeoutError, ZooKeeperClient, type ClientOptions } from '../../src/client/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { Lock, type LockHandle } from '../../src/recipes/lock.js';
import { ReadWriteLock } from '../../src/recipes/rw-lock.js';
import { Semaphore } from '../../src/recipes/semaphore.js';
import { sleep, stillPending, within } from '../helpers/waits.js';
import { semaphoreSaturates } from './recipe-scenarios.js';
import { tearDown } from '../helpers/teardown.js';
import { CutProxy } from '../client/cut-proxy.js';


/** The next event of `name`, bounded. */
async function next<T>(emitter: NodeJS.EventEmitter, name: string, ms = 5000): Promise<T> {
  const [value] = (await once(emitter, name, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Settles within `ms` or rejects; for promises that must not settle, see `stillPending`. */

/** The client seen through a proxy that counts getChildren calls and getData watch events. */
function counting(client: ZooKeeperClient): { client: ZooKeeperClient; counts: { getChildren: number; watchEvents: number } } {
  const counts = { getChildren: 0, watchEvents: 0 };
  const proxy = new Proxy(client, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'getChildren') counts.getChildren++;
      // Only getData watches a predecessor; the holder's own exists watch is not a wake-up.
      if (key !== 'getData') return value.bind(target);
      return (path: string, options: { watch?: (event: unknown) => void } = {}) => {
        const watch = options.watch;
        const counted = watch === undefined ? options : { ...options, watch: (event: unknown) => {
          counts.watchEvents++;
          watch(event);
        } };
        return value.call(target, path, counted);
      };
    },
  });
  return { client: proxy, counts };
}

describe('recipes: locks', () => {
  let server: RunningServer;
  let dataDir: string;
  const clients: ZooKeeperClient[] = [];
  const proxies: CutProxy[] = [];

  const connect = async (options: ClientOptions & { connectString?: string } = {}): Promise<ZooKeeperClient> => {
    const client = await ZooKeeperClient.connect(options.connectString ?? server.connectString, { sessionTimeoutMs: 10_000, ...options });
    clients.push(client);
    return client;
  };

  const cutProxy = async (): Promise<CutProxy> => {
    const proxy = await CutProxy.start({ host: server.host, port: server.port });
    proxies.push(proxy);
    return proxy;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-locks-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  });

  after(() => tearDown({ clients, proxies, server, dataDir }));

  describe('Lock', () => {
    it('admits one holder at a time among many contenders, with strictly increasing fencing tokens', async () => {
      const contenders = 8;
      const rounds = 4;
      const sessions = await Promise.all(Array.from({ length: 4 }, () => connect()));
      let holders = 0;
      let holdersMax = 0;
      const tokens: number[] = [];
      await within(Promise.all(Array.from({ length: contenders }, async (_, index) => {
        const lock = new Lock(sessions[index % sessions.length]!, '/locks/mutex');
        for (let round = 0; round < rounds; round++) {
          const handle = await lock.acquire({ timeoutMs: 10_000 });
          holders++;
          holdersMax = Math.max(holdersMax, holders);
          tokens.push(handle.fencingToken);
          await sleep(2);
          holders--;
          await handle.release();
        }
      })), 20_000, 'every contender to finish');
      assert.equal(holdersMax, 1);
      assert.equal(tokens.length, contenders * rounds);
      for (let index = 1; index < tokens.length; index++) assert.ok(tokens[index]! > tokens[index - 1]!, `token ${index} increases`);
      assert.deepEqual(await new Lock(sessions[0]!, '/locks/mutex').participants(), [], 'every node was removed');
    });

    it('wakes exactly one waiter per release (no herd)', async () => {
      const shared = await connect();
      const holder = await new Lock(shared, '/locks/herd').acquire();
      const waiters = Array.from({ length: 5 }, () => counting(shared));
      const acquired: Array<Promise<LockHandle>> = [];
      for (const waiter of waiters) {
        acquired.push(new Lock(waiter.client, '/locks/herd').acquire({ timeoutMs: 15_000 }));
        // Queue them in order: the next one starts once this one watches its predecessor.
        await waitUntil(() => waiter.counts.getChildren === 1, 5000, 'the waiter to queue');
        await sleep(20);
      }
      let releasing: LockHandle = holder;
      for (const [index, handle] of acquired.entries()) {
        const before = waiters.map((waiter) => ({ ...waiter.counts }));
        await releasing.release();
        releasing = await within(handle, 5000, `waiter ${index} to acquire`);
        await sleep(150); // Time for any other waiter to wake, if the recipe had a herd.
        for (const [other, waiter] of waiters.entries()) {
          const woke = other === index ? 1 : 0;
          assert.equal(waiter.counts.getChildren - before[other]!.getChildren, woke, `release ${index}: getChildren calls of waiter ${other}`);
          assert.equal(waiter.counts.watchEvents - before[other]!.watchEvents, woke, `release ${index}: watch events of waiter ${other}`);
        }
      }
      await releasing.release();
    });

    it('tells a holder whose session expired that it lost the lock; the next waiter gets a larger token', async () => {
      const proxy = await cutProxy();
      const doomed = await connect({ connectString: proxy.connectString });
      const other = await connect();
      const held = await new Lock(doomed, '/locks/expiry').acquire();
      const waiting = new Lock(other, '/locks/expiry').acquire({ timeoutMs: 10_000 });
      assert.ok(await stillPending(waiting));
      const lost = next<Error>(held, 'lost', 8000);
      // Another client takes the session over and closes it: the server ends it and its nodes.
      proxy.freeze(true);
      const thief = await ZooKeeperClient.connect(server.connectString, { session: { id: doomed.sessionId, password: doomed.sessionPassword } });
      await thief.close();
      const next_ = await within(waiting, 5000, 'the waiter to acquire');
      assert.ok(next_.fencingToken > held.fencingToken, 'the fencing token grows');
      proxy.freeze(false);
      proxy.cut();
      assert.equal((await lost).name, 'LockLostError');
      assert.equal(held.state, 'lost');
      assert.ok(held.signal.aborted);
      await held.release(); // Harmless after loss.
      await next_.release();
    });

    it("reports 'suspended' when the holder's connection drops, and 'reconnected' on the same session", async () => {
      const proxy = await cutProxy();
      const client = await connect({ connectString: proxy.connectString });
      const handle = await new Lock(client, '/locks/suspend').acquire();
      const suspended = next<void>(handle, 'suspended');
      proxy.refuse(true);
      proxy.cut();
      await suspended;
      assert.equal(handle.state, 'suspended');
      const reconnected = next<void>(handle, 'reconnected');
      proxy.refuse(false);
      await reconnected;
      assert.equal(handle.state, 'held');
      assert.equal(handle.signal.aborted, false);
      handle.on('lost', () => assert.fail('a release is not a loss'));
      await handle.release();
      await sleep(50);
      assert.equal(handle.state, 'released');
      assert.equal(handle.signal.aborted, false);
      assert.deepEqual(await new Lock(client, '/locks/suspend').participants(), []);
    });

    it("reports 'lost' when someone else deletes the holder's node", async () => {
      const client = await connect();
      const admin = await connect();
      const handle = await new Lock(client, '/locks/deleted').acquire();
      const lost = next<Error>(handle, 'lost');
      await admin.delete(handle.path);
      assert.match((await lost).message, /deleted/);
      assert.equal(handle.state, 'lost');
      await handle.release();
    });

    it('removes its node when acquire times out or is aborted', async () => {
      const client = await connect();
      const lock = new Lock(client, '/locks/giving-up');
      const holder = await lock.acquire();
      await assert.rejects(lock.acquire({ timeoutMs: 150 }), OperationTimeoutError);
      assert.equal((await lock.participants()).length, 1);
      const controller = new AbortController();
      const aborted = lock.acquire({ signal: controller.signal });
      await sleep(100);
      controller.abort(new Error('changed my mind'));
      await assert.rejects(aborted, /changed my mind/);
      assert.equal((await lock.participants()).length, 1);
      await holder.release();
      assert.deepEqual(await lock.participants(), []);
    });

    it('excludes holders in different processes', async () => {
      const workers = 3;
      const iterations = 5;
      const logPath = join(dataDir, 'cross-process.log');
      const script = fileURLToPath(new URL('./lock-worker.js', import.meta.url));
      const children = Array.from({ length: workers }, () => {
        const child = spawn(process.execPath, [script, server.connectString, '/locks/cross-process', String(iterations), logPath], { stdio: ['ignore', 'ignore', 'inherit'] });
        return once(child, 'exit').then(([code]) => code as number | null);
      });
      const codes = await within(Promise.all(children), 30_000, 'the workers to exit');
      assert.deepEqual(codes, Array.from({ length: workers }, () => 0));
      const lines = readFileSync(logPath, 'utf8').trim().split('\n');
      assert.equal(lines.length, workers * iterations * 2);
      let lastToken = -1;
      for (let index = 0; index < lines.length; index += 2) {
        const [enter, enterToken, enterPid] = lines[index]!.split(' ');
        const [exit, exitToken, exitPid] = lines[index + 1]!.split(' ');
        assert.deepEqual([enter, exit], ['enter', 'exit'], `line ${index}: an exit follows each enter`);
        assert.equal(exitToken, enterToken);
        assert.equal(exitPid, enterPid);
        assert.ok(Number(enterToken) > lastToken, 'tokens increase');
        lastToken = Number(enterToken);
      }
    });
  });

  describe('ReadWriteLock', () => {
    it('lets readers share, keeps a writer exclusive, and queues readers behind a waiting writer', async () => {
      const client = await connect();
      const rw = new ReadWriteLock(client, '/locks/rw');
      const readers = await within(Promise.all([rw.acquireRead(), rw.acquireRead(), rw.acquireRead()]), 5000, 'three readers together');
      const writer = rw.acquireWrite({ timeoutMs: 10_000 });
      assert.ok(await stillPending(writer), 'the writer waits for the readers');
      const lateReader = rw.acquireRead({ timeoutMs: 10_000 });
      assert.ok(await stillPending(lateReader), 'a reader behind a waiting writer waits');
      await readers[0]!.release();
      await readers[1]!.release();
      assert.ok(await stillPending(writer), 'the writer waits for the last reader');
      await readers[2]!.release();
      const written = await within(writer, 5000, 'the writer');
      assert.ok(written.fencingToken > Math.max(...readers.map((reader) => reader.fencingToken)));
      const secondWriter = rw.acquireWrite({ timeoutMs: 10_000 });
      assert.ok(await stillPending(lateReader), 'readers wait while the writer holds');
      assert.ok(await stillPending(secondWriter), 'writers wait while the writer holds');
      await written.release();
      const read = await within(lateReader, 5000, 'the late reader');
      assert.ok(await stillPending(secondWriter), 'the second writer waits for the reader ahead of it');
      await read.release();
      const second = await within(secondWriter, 5000, 'the second writer');
      assert.ok(second.fencingToken > written.fencingToken);
      await second.release();
    });

    it('never lets a writer overlap anyone, under random contention', async () => {
      const sessions = await Promise.all(Array.from({ length: 3 }, () => connect()));
      let readers = 0;
      let writers = 0;
      let readersMax = 0;
      await within(Promise.all(Array.from({ length: 9 }, async (_, index) => {
        const rw = new ReadWriteLock(sessions[index % sessions.length]!, '/locks/rw-random');
        for (let round = 0; round < 4; round++) {
          if ((index + round) % 3 === 0) {
            const handle = await rw.acquireWrite({ timeoutMs: 10_000 });
            writers++;
            assert.equal(readers + writers, 1, 'a writer is alone');
            await sleep(3);
            writers--;
            await handle.release();
          } else {
            const handle = await rw.acquireRead({ timeoutMs: 10_000 });
            readers++;
            readersMax = Math.max(readersMax, readers);
            assert.equal(writers, 0, 'no writer beside a reader');
            await sleep(3);
            readers--;
            await handle.release();
          }
        }
      })), 20_000, 'every contender to finish');
      assert.ok(readersMax > 1, 'readers did share');
    });
  });

  describe('Semaphore', () => {
    it('never grants more than maxLeases at once, and does reach it', () =>
      semaphoreSaturates(() => connect(), { sessions: 3, contenders: 8, rounds: 3, maxLeases: 3, holdMs: 60, withinMs: 20_000 }));

    it('frees a lease when its session ends, and cleans up a timed-out acquire', async () => {
      const owner = await connect();
      const other = await connect();
      const full = new Semaphore(owner, { path: '/semaphores/session', maxLeases: 2 });
      await full.acquire();
      await full.acquire();
      const semaphore = new Semaphore(other, { path: '/semaphores/session', maxLeases: 2 });
      await assert.rejects(semaphore.acquire({ timeoutMs: 150 }), OperationTimeoutError);
      assert.equal(await semaphore.leaseCount(), 2, 'the timed-out acquire left no lease node');
      const waiting = semaphore.acquire({ timeoutMs: 10_000 });
      assert.ok(await stillPending(waiting));
      await owner.close();
      const lease = await within(waiting, 5000, 'a lease after the owner left');
      assert.equal(lease.state, 'held');
      await lease.release();
    });
  });
});
