// LeaderLatch, LeaderElection, Barrier, DoubleBarrier and AtomicCounter behaviour checked only
// against Meerkat: a frozen or reconnecting leader, a lost create reply (a socket factory that drops
// it), leaders in separate processes, barrier timeouts and counter contention. The scenarios both
// servers run are in recipe-suite-coordination.ts. Connection failures go through a CutProxy;
// session expiry is forced by the fixture, or left to the server's own timeout. Every wait is bounded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LeaderElection, LeaderLatch, LeadershipLostError } from '../../src/recipes/leader.js';
import { Barrier, DoubleBarrier } from '../../src/recipes/barrier.js';
import { ensurePath } from '../../src/recipes/paths.js';
import { AtomicCounter, decodeCounterValue } from '../../src/recipes/counter.js';
import { startMeerkat, useServer } from '../helpers/server-fixture.js';
import { nextEvent, sleep, waitUntil } from '../helpers/waits.js';
import { LeadershipLog } from './leadership-log.js';

/** Short enough that expiry tests take a second or two; the server is configured to allow it. */
const shortSessionMs = 1200;

/** ZooKeeper's create2 opcode, as written after a request frame's length and xid. */
const create2OpCode = 15;

/**
 * A socket factory whose sockets, once `armed`, stop delivering replies as soon as the client writes
 * a create request for a path containing `pathPart` (the request still goes out). `drop()` then kills the connection, so the create
 * has been applied but its reply is lost: the client sees ConnectionLoss.
 */
class ReplyDropper {
  armed = false;
  private victim: Socket | undefined;

  constructor(private readonly pathPart: string) {}

  readonly factory = (host: { host: string; port: number }): Socket => {
    const socket = connectTcp({ host: host.host, port: host.port, noDelay: true });
    const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
    socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      if (this.armed && this.victim === undefined && containsCreate(Buffer.from(chunk)) && Buffer.from(chunk).includes(this.pathPart)) {
        socket.pause();
        this.victim = socket;
      }
      return (write as (chunk: Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
    }) as Socket['write'];
    return socket;
  };

  get holding(): boolean {
    return this.victim !== undefined;
  }

  drop(): void {
    this.armed = false;
    this.victim?.destroy();
  }
}

function containsCreate(frames: Buffer): boolean {
  for (let offset = 0; offset + 12 <= frames.length; offset += 4 + frames.readInt32BE(offset)) {
    if (frames.readInt32BE(offset + 8) === create2OpCode) return true;
  }
  return false;
}

describe('recipes: leader election, barriers and counters', () => {
  const fixture = useServer(
    () => startMeerkat({ tickTimeMs: 100, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 20_000 }),
    { sessionTimeoutMs: 10_000 },
  );
  const { connect, proxy, endSession } = fixture;

  describe('LeaderLatch', () => {
    it('rejects await() when the latch closes', async () => {
      const holder = new LeaderLatch(await connect(), '/election/await');
      await holder.start();
      const waiter = new LeaderLatch(await connect(), '/election/await');
      await waiter.start();
      const rejected = assert.rejects(waiter.await({ timeoutMs: 5000 }), { name: 'LatchClosedError' });
      await waiter.close();
      await rejected;
      await holder.close();
    });

    it('a leader whose connection freezes steps down before its session expires on the server', async () => {
      const log = new LeadershipLog();
      const frozen = await proxy();
      const leader = log.track(new LeaderLatch(await connect({ via: frozen, sessionTimeoutMs: shortSessionMs }), '/election/freeze'), 'old');
      await leader.start();
      const contender = log.track(new LeaderLatch(await connect(), '/election/freeze'), 'new');
      await contender.start();
      assert.equal(leader.hasLeadership, true);
      frozen.refuse(true);
      frozen.freeze(true);
      const frozenAt = Date.now();
      await waitUntil(() => contender.hasLeadership, 'the contender to lead', 10_000);
      log.assertNeverTwoLeaders();
      assert.ok(log.index('old', 'notLeader') >= 0 && log.index('old', 'notLeader') < log.index('new', 'isLeader'), JSON.stringify(log.entries));
      // Silence is noticed after 2/3 of the session timeout; the server waits the whole timeout.
      const steppedDownAfterMs = log.at('old', 'notLeader') - frozenAt;
      assert.ok(steppedDownAfterMs < shortSessionMs * 0.85, `stepped down ${steppedDownAfterMs} ms after the freeze`);
      assert.ok(log.at('new', 'isLeader') - log.at('old', 'notLeader') >= shortSessionMs * 0.15, JSON.stringify(log.entries));
      await contender.close();
    });

    it('passes leadership when the leader\'s session is expired, and the expired latch closes', async () => {
      const log = new LeadershipLog();
      const cut = await proxy();
      const leaderClient = await connect({ via: cut });
      const leader = log.track(new LeaderLatch(leaderClient, '/election/expiry'), 'old');
      await leader.start();
      const contender = log.track(new LeaderLatch(await connect(), '/election/expiry'), 'new');
      await contender.start();
      assert.equal(leader.hasLeadership, true);
      cut.refuse(true);
      cut.cut();
      await endSession(leaderClient);
      await waitUntil(() => contender.hasLeadership, 'the contender to lead');
      cut.refuse(false);
      const closed = nextEvent(leader, 'closed');
      await closed;
      await assert.rejects(leader.await({ timeoutMs: 10 }), (error: Error) => error.name === 'LatchClosedError' && (error.cause as Error).name === 'SessionExpiredError');
      log.assertNeverTwoLeaders();
      assert.ok(log.index('old', 'notLeader') < log.index('new', 'isLeader'));
      await contender.close();
    });

    it('finds its own candidate node after a create whose reply was lost, instead of queueing twice', async () => {
      const dropper = new ReplyDropper('-latch-');
      const client = await connect({ socketFactory: dropper.factory });
      const observer = await connect();
      await ensurePath(observer, '/election/lost-reply');
      const latch = new LeaderLatch(client, '/election/lost-reply');
      dropper.armed = true;
      const started = latch.start();
      await waitUntil(() => dropper.holding, 'the create to be sent');
      const candidates = async (): Promise<string[]> => (await observer.getChildren('/election/lost-reply')).children;
      const deadline = Date.now() + 5000;
      while ((await candidates()).length === 0 && Date.now() < deadline) await sleep(10);
      dropper.drop();
      await started;
      await waitUntil(() => latch.hasLeadership, 'the latch to lead on its first node');
      const [only, ...others] = await candidates();
      assert.deepEqual(others, [], 'one candidate node');
      assert.equal(`/election/lost-reply/${only}`, latch.candidatePath);
      assert.equal((await observer.exists(latch.candidatePath!))?.ephemeralOwner, client.sessionId);
      await latch.close();
      assert.deepEqual(await candidates(), []);
    });

    it('a leader that reconnects within its session leads again, and no one else led meanwhile', async () => {
      const log = new LeadershipLog();
      const cut = await proxy();
      const leader = log.track(new LeaderLatch(await connect({ via: cut }), '/election/reconnect'), 'old');
      await leader.start();
      const contender = log.track(new LeaderLatch(await connect(), '/election/reconnect'), 'new');
      await contender.start();
      const lost = nextEvent(leader, 'notLeader');
      const regained = nextEvent(leader, 'isLeader');
      cut.cut();
      await lost;
      await regained;
      assert.equal(log.index('new', 'isLeader'), -1);
      log.assertNeverTwoLeaders();
      await leader.close();
      await waitUntil(() => contender.hasLeadership, 'the contender to lead');
      await contender.close();
    });
  });

  describe('LeaderElection', () => {
    it('aborts lead\'s signal when the connection is cut, before another participant leads', async () => {
      const order: string[] = [];
      const cut = await proxy();
      const firstClient = await connect({ via: cut });
      const leadUntilAborted = (who: string) => async (signal: AbortSignal): Promise<void> => {
        order.push(`${who}:start`);
        await once(signal, 'abort', { signal: AbortSignal.timeout(15_000) });
        assert.ok(signal.reason instanceof LeadershipLostError);
        order.push(`${who}:aborted`);
      };
      const first = new LeaderElection(firstClient, '/election/abort', { lead: leadUntilAborted('first') });
      await first.start();
      await waitUntil(() => first.isLeading, 'the first to lead');
      const second = new LeaderElection(await connect(), '/election/abort', { id: 'second', lead: leadUntilAborted('second') });
      await second.start();
      assert.deepEqual((await second.getParticipants()).map(({ id, isLeader }) => ({ id, isLeader })), [
        { id: first.id, isLeader: true },
        { id: 'second', isLeader: false },
      ]);
      cut.refuse(true);
      cut.cut();
      await waitUntil(() => order.includes('first:aborted'), 'the first lead to be aborted', 1000);
      assert.equal(second.isLeading, false);
      await endSession(firstClient);
      await waitUntil(() => second.isLeading, 'the second to lead');
      assert.deepEqual(order, ['first:start', 'first:aborted', 'second:start']);
      cut.refuse(false);
      const stopped = nextEvent(first, 'error');
      await stopped;
      await first.close();
      await second.close();
      assert.deepEqual(order, ['first:start', 'first:aborted', 'second:start', 'second:aborted']);
    });

    it('leads in turn across three processes, never two at once', async () => {
      const leadsEach = 3;
      const worker = fileURLToPath(new URL('./leader-worker.js', import.meta.url));
      const spans = new Map<string, { start?: number; spans: Array<{ start: number; end: number }> }>();
      const runs = ['w1', 'w2', 'w3'].map(async (id) => {
        const child = spawn(process.execPath, [worker, fixture.server.connectString, '/election/processes', id, String(leadsEach)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const own = { spans: [] as Array<{ start: number; end: number }>, start: undefined as number | undefined };
        spans.set(id, own);
        for await (const line of createInterface({ input: child.stdout })) {
          const entry = JSON.parse(line) as { event: 'lead-start' | 'lead-end'; at: number };
          if (entry.event === 'lead-start') own.start = entry.at;
          else own.spans.push({ start: own.start!, end: entry.at });
        }
        const [code] = (await once(child, 'exit', { signal: AbortSignal.timeout(20_000) })) as [number | null];
        assert.equal(code, 0, `worker ${id} exit code`);
      });
      await Promise.all(runs);
      const all = [...spans.values()].flatMap((own) => own.spans).sort((a, b) => a.start - b.start);
      for (const own of spans.values()) assert.equal(own.spans.length, leadsEach);
      for (let index = 1; index < all.length; index++) {
        assert.ok(all[index]!.start >= all[index - 1]!.end, `leads overlap: ${JSON.stringify(all)}`);
      }
    });
  });

  describe('Barrier', () => {
    it('wakes a waiter whose connection was down while the barrier was removed', async () => {
      const owner = new Barrier(await connect(), '/barriers/partition');
      await owner.setBarrier();
      const cut = await proxy();
      const waiter = await connect({ via: cut });
      const waiting = new Barrier(waiter, '/barriers/partition').waitOnBarrier({ timeoutMs: 5000 });
      await sleep(50);
      cut.refuse(true);
      const disconnected = nextEvent(waiter, 'disconnected');
      cut.cut();
      await disconnected;
      await owner.removeBarrier();
      cut.refuse(false);
      assert.equal(await waiting, true);
    });
  });

  describe('DoubleBarrier', () => {
    it('enter gives up after its timeout when too few members come, and withdraws', async () => {
      const client = await connect();
      const lonely = new DoubleBarrier(client, '/barriers/short', { memberCount: 3 });
      assert.equal(await lonely.enter({ timeoutMs: 150 }), false);
      assert.deepEqual((await client.getChildren('/barriers/short')).children, []);
    });
  });

  describe('AtomicCounter', () => {
    it('gives up with CounterContentionError past attemptsMax, changing nothing', async () => {
      const counter = new AtomicCounter(await connect(), '/counters/contended', { attemptsMax: 1 });
      await counter.add(0);
      // Issued together on one connection: every read precedes every write, so one write wins.
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => counter.increment()));
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') assert.equal((result.reason as Error).name, 'CounterContentionError');
      }
      assert.equal(await counter.get(), 1n);
    });

    it('compareAndSet applies only on the expected value; add wraps like a Java long', async () => {
      const counter = new AtomicCounter(await connect(), '/counters/cas');
      assert.equal(await counter.get(), 0n);
      assert.equal(await counter.compareAndSet(5, 6), false);
      assert.equal(await counter.compareAndSet(0, 41), true);
      assert.deepEqual(await counter.add(1), { preValue: 41n, postValue: 42n });
      assert.deepEqual(await counter.add(-50), { preValue: 42n, postValue: -8n });
      assert.equal(await counter.compareAndSet(-8n, 2n ** 63n - 1n), true);
      assert.deepEqual(await counter.increment(), { preValue: 2n ** 63n - 1n, postValue: -(2n ** 63n) });
      assert.throws(() => decodeCounterValue('/x', new Uint8Array(3)), { name: 'CounterFormatError' });
    });
  });
});
