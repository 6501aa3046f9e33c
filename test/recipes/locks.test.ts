// Lock, ReadWriteLock and Semaphore behaviour checked only against Meerkat: no herd on release
// (counting the client's calls), the holder's view of a dropped connection, cleanup after a timeout
// or abort, exclusion across processes, and random read/write contention. The scenarios both servers
// run are in recipe-suite-coordination.ts. Every wait and loop is bounded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationTimeoutError, type ZooKeeperClient } from '../../src/client/index.js';
import { Lock, type LockHandle } from '../../src/recipes/lock.js';
import { ReadWriteLock } from '../../src/recipes/rw-lock.js';
import { Semaphore } from '../../src/recipes/semaphore.js';
import { startMeerkat, useServer } from '../helpers/server-fixture.js';
import { nextEvent, sleep, stillPending, waitUntil, within } from '../helpers/waits.js';

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
  const fixture = useServer(() => startMeerkat(), { sessionTimeoutMs: 10_000 });
  const { connect, proxy } = fixture;

  describe('Lock', () => {
    it('wakes exactly one waiter per release (no herd)', async () => {
      const shared = await connect();
      const holder = await new Lock(shared, '/locks/herd').acquire();
      const waiters = Array.from({ length: 5 }, () => counting(shared));
      const acquired: Array<Promise<LockHandle>> = [];
      for (const waiter of waiters) {
        acquired.push(new Lock(waiter.client, '/locks/herd').acquire({ timeoutMs: 15_000 }));
        // Queue them in order: the next one starts once this one watches its predecessor.
        await waitUntil(() => waiter.counts.getChildren === 1, 'the waiter to queue');
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

    it("reports 'suspended' when the holder's connection drops, and 'reconnected' on the same session", async () => {
      const through = await proxy();
      const client = await connect({ via: through });
      const handle = await new Lock(client, '/locks/suspend').acquire();
      const suspended = nextEvent(handle, 'suspended');
      through.refuse(true);
      through.cut();
      await suspended;
      assert.equal(handle.state, 'suspended');
      const reconnected = nextEvent(handle, 'reconnected');
      through.refuse(false);
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
      const lost = nextEvent<Error>(handle, 'lost');
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
      const logPath = join(fixture.server.dataDir, 'cross-process.log');
      const script = fileURLToPath(new URL('./lock-worker.js', import.meta.url));
      const children = Array.from({ length: workers }, () => {
        const child = spawn(process.execPath, [script, fixture.server.connectString, '/locks/cross-process', String(iterations), logPath], { stdio: ['ignore', 'ignore', 'inherit'] });
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
