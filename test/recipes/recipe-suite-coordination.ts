// The coordination half of the recipe suite (recipe-suite.ts): locks, semaphores, leader election,
// barriers and counters, against whichever server the fixture runs.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ZooKeeperClient } from '../../src/client/index.js';
import { AtomicCounter, Barrier, DoubleBarrier, LeaderElection, LeaderLatch, Lock, ReadWriteLock, Semaphore } from '../../src/recipes/index.js';
import type { ServerFixture } from '../helpers/server-fixture.js';
import { nextEvent, sleep, stillPending, waitUntil, within } from '../helpers/waits.js';
import { LeadershipLog } from './leadership-log.js';

/** Short enough that expiry tests take a second or two; every target allows it. */
const shortSessionMs = 1200;

export function coordinationRecipes({ connect, proxy, endSession }: ServerFixture): void {
  let admin: ZooKeeperClient;

  before(async () => {
    admin = await connect();
  });

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
      for (let index = 1; index < tokens.length; index++) assert.ok(tokens[index]! > tokens[index - 1]!, `token ${index} increases: ${tokens.join(' ')}`);
      assert.deepEqual(await new Lock(admin, '/locks/mutex').participants(), [], 'every node was removed');
    });

    it('tells a holder whose session expired that it lost the lock; the next waiter gets a larger token', async () => {
      const through = await proxy();
      const doomed = await connect({ via: through });
      const held = await new Lock(doomed, '/locks/expiry').acquire();
      const waiting = new Lock(await connect(), '/locks/expiry').acquire({ timeoutMs: 10_000 });
      assert.ok(await stillPending(waiting), 'the waiter waits for the holder');
      const lost = nextEvent<Error>(held, 'lost', 8000);
      through.freeze(true);
      await endSession(doomed);
      const successor = await within(waiting, 5000, 'the waiter to acquire while the old holder cannot hear');
      assert.ok(successor.fencingToken > held.fencingToken, 'the fencing token grows');
      through.freeze(false);
      through.cut();
      assert.equal((await lost).name, 'LockLostError');
      assert.equal(held.state, 'lost');
      assert.ok(held.signal.aborted);
      await held.release(); // Harmless after loss.
      await successor.release();
    });
  });

  describe('ReadWriteLock', () => {
    it('lets readers share, keeps a writer exclusive, and queues readers behind a waiting writer', async () => {
      const rw = new ReadWriteLock(await connect(), '/locks/rw');
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
  });

  describe('Semaphore', () => {
    it('never grants more than maxLeases at once, and does reach it', async () => {
      const sessions = await Promise.all([0, 1, 2].map(() => connect()));
      const maxLeases = 3;
      let holders = 0;
      let holdersMax = 0;
      await within(Promise.all(Array.from({ length: 8 }, async (_, index) => {
        const semaphore = new Semaphore(sessions[index % sessions.length]!, { path: '/semaphores/pool', maxLeases });
        for (let round = 0; round < 3; round++) {
          const lease = await semaphore.acquire({ timeoutMs: 10_000 });
          holders++;
          holdersMax = Math.max(holdersMax, holders);
          await sleep(60);
          holders--;
          await lease.release();
        }
      })), 20_000, 'every contender to finish');
      assert.equal(holdersMax, maxLeases);
      assert.equal(await new Semaphore(admin, { path: '/semaphores/pool', maxLeases }).leaseCount(), 0);
    });
  });

  describe('LeaderLatch', () => {
    it('elects exactly one of many contenders, and passes leadership down the queue as leaders close', async () => {
      const log = new LeadershipLog();
      const latches = await Promise.all(
        Array.from({ length: 8 }, async (_, index) => log.track(new LeaderLatch(await connect(), '/election/queue', { id: `p${index}` }), `p${index}`)),
      );
      await Promise.all(latches.map((latch) => latch.start()));
      const queue = (await latches[0]!.getParticipants()).map((participant) => participant.id);
      assert.deepEqual([...queue].sort(), latches.map((latch) => latch.id).sort());
      const open = new Set(latches);
      for (const expected of queue) {
        await waitUntil(() => log.leaders().length === 1, `a leader among ${open.size}`);
        const [leader] = log.leaders();
        assert.equal(leader!.id, expected, 'leadership follows the candidates\' creation order');
        assert.equal((await leader!.getLeader())?.id, expected);
        assert.equal(await leader!.await({ timeoutMs: 10 }), true);
        for (const other of open) if (other !== leader) assert.equal(await other.await({ timeoutMs: 1 }), false);
        await leader!.close();
        assert.equal(leader!.hasLeadership, false);
        open.delete(leader!);
      }
      assert.deepEqual(await latches[0]!.getParticipants(), []);
      log.assertNeverTwoLeaders();
    });

    it('a leader whose connection is cut steps down at once; another leads only after the session expires', async () => {
      const log = new LeadershipLog();
      const cut = await proxy();
      const leader = log.track(new LeaderLatch(await connect({ via: cut, sessionTimeoutMs: shortSessionMs }), '/election/cut'), 'old');
      await leader.start();
      await waitUntil(() => leader.hasLeadership, 'the first leader');
      const contender = log.track(new LeaderLatch(await connect(), '/election/cut'), 'new');
      await contender.start();
      const cutAt = Date.now();
      cut.refuse(true);
      cut.cut();
      await waitUntil(() => contender.hasLeadership, 'the contender to lead', 10_000);
      const electedAfterMs = Date.now() - cutAt;
      log.assertNeverTwoLeaders();
      assert.ok(log.index('old', 'notLeader') >= 0 && log.index('old', 'notLeader') < log.index('new', 'isLeader'), JSON.stringify(log.entries));
      // The old leader stepped down as the socket closed, not at its session's end; the session
      // outlived the cut by its timeout, so the contender could not win earlier.
      assert.ok(log.at('old', 'notLeader') - cutAt < shortSessionMs / 3, `stepped down ${log.at('old', 'notLeader') - cutAt} ms after the cut`);
      assert.ok(electedAfterMs >= shortSessionMs * 0.9, `elected ${electedAfterMs} ms after the cut`);
      await contender.close();
      await leader.close();
    });
  });

  describe('LeaderElection', () => {
    it('runs lead for one participant at a time, requeueing each after it returns', async () => {
      const order: string[] = [];
      let active = 0;
      let overlapped = false;
      const leadsMax = 12;
      const participants = ['a', 'b', 'c', 'd'];
      const elections = await Promise.all(participants.map(async (who) => new LeaderElection(await connect(), '/election/rounds', {
        id: who,
        lead: async () => {
          if (order.length >= leadsMax) return;
          overlapped ||= ++active > 1;
          await sleep(15);
          order.push(who);
          active--;
        },
      })));
      await Promise.all(elections.map((election) => election.start()));
      await waitUntil(() => order.length >= leadsMax, `${leadsMax} leads`, 10_000);
      await Promise.all(elections.map((election) => election.close()));
      assert.equal(overlapped, false, 'two leads overlapped');
      for (const who of participants) assert.ok(order.filter((leader) => leader === who).length >= 2, `${who} led at least twice: ${order.join('')}`);
      assert.deepEqual(await elections[0]!.getParticipants(), []);
    });
  });

  describe('Barrier', () => {
    it('holds every waiter until the barrier is removed', async () => {
      const owner = new Barrier(await connect(), '/barriers/gate');
      await owner.setBarrier();
      let through = 0;
      const waiters = await Promise.all([1, 2, 3].map(async () => new Barrier(await connect(), '/barriers/gate')));
      const waits = waiters.map((barrier) => barrier.waitOnBarrier({ timeoutMs: 5000 }).then((passed) => {
        through++;
        return passed;
      }));
      assert.equal(await waiters[0]!.waitOnBarrier({ timeoutMs: 100 }), false);
      assert.equal(through, 0);
      await owner.removeBarrier();
      assert.deepEqual(await Promise.all(waits), [true, true, true]);
      assert.equal(await waiters[0]!.waitOnBarrier({ timeoutMs: 100 }), true);
    });
  });

  describe('DoubleBarrier', () => {
    it('lets nobody in before all members entered, and nobody out before all left', async () => {
      const memberCount = 4;
      const members = await Promise.all(
        Array.from({ length: memberCount }, async (_, index) => new DoubleBarrier(await connect(), '/barriers/double', { memberCount, memberId: `m${index}` })),
      );
      const events: string[] = [];
      await Promise.all(members.map(async (member, index) => {
        await sleep(index * 50);
        events.push(`enter:${index}`);
        assert.equal(await member.enter({ timeoutMs: 5000 }), true);
        events.push(`entered:${index}`);
      }));
      assert.deepEqual(events.slice(0, memberCount), ['enter:0', 'enter:1', 'enter:2', 'enter:3']);
      events.length = 0;
      await Promise.all(members.map(async (member, index) => {
        await sleep((memberCount - index) * 50);
        events.push(`leave:${index}`);
        assert.equal(await member.leave({ timeoutMs: 5000 }), true);
        events.push(`left:${index}`);
      }));
      assert.ok(events.slice(0, memberCount).every((event) => event.startsWith('leave:')), events.join(' '));
      assert.deepEqual((await admin.getChildren('/barriers/double')).children, [], 'members and the ready node are gone');
    });
  });

  describe('AtomicCounter', () => {
    it('sums many concurrent increments from several clients exactly, each seeing a distinct value', async () => {
      const workersPerClient = 3;
      const incrementsEach = 20;
      const counters = await Promise.all([0, 1, 2, 3].map(async () => new AtomicCounter(await connect(), '/counters/hits')));
      const seen: bigint[] = [];
      await within(Promise.all(counters.flatMap((counter) => Array.from({ length: workersPerClient }, async () => {
        for (let count = 0; count < incrementsEach; count++) {
          const { preValue, postValue } = await counter.increment();
          assert.equal(postValue, preValue + 1n);
          seen.push(postValue);
        }
      }))), 20_000, 'every increment');
      const total = BigInt(counters.length * workersPerClient * incrementsEach);
      assert.equal(await counters[0]!.get(), total);
      assert.equal(new Set(seen).size, seen.length, 'no two increments saw the same value');
      const { data } = await admin.getData('/counters/hits');
      assert.ok(data !== null);
      assert.equal(data.length, 8, 'stored as an 8-byte big-endian long, as Curator does');
      assert.equal(Buffer.from(data).readBigInt64BE(0), total);
    });
  });
}
