// LeaderLatch, LeaderElection, Barrier, DoubleBarrier and AtomicCounter against a real Meerkat
// server. Connection failures go through a CutProxy; session expiry is forced by attaching a second
// client to the session and closing it, or left to the server's own timeout. Every wait is bounded.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTcp, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ZooKeeperClient } from '../../src/client/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { LeaderElection, LeaderLatch, LeadershipLostError } from '../../src/recipes/leader.js';
import { Barrier, DoubleBarrier } from '../../src/recipes/barrier.js';
import { ensurePath } from '../../src/recipes/paths.js';
import { AtomicCounter, decodeCounterValue } from '../../src/recipes/counter.js';
import { tearDown } from '../helpers/teardown.js';
import { CutProxy } from '../client/cut-proxy.js';

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

/** Polls `predicate` every 10 ms; fails after `ms`. */
async function waitUntil(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The next event of `name`, bounded. */
async function next(emitter: NodeJS.EventEmitter, name: string, ms = 5000): Promise<void> {
  await once(emitter, name, { signal: AbortSignal.timeout(ms) });
}

/**
 * Every leadership event of a set of latches, in the order they happened, with the number of latches
 * believing they lead right after it; that number must never exceed one.
 */
class LeadershipLog {
  readonly entries: Array<{ who: string; event: 'isLeader' | 'notLeader'; at: number; leaders: number }> = [];
  private readonly latches: LeaderLatch[] = [];

  track(latch: LeaderLatch, who: string): LeaderLatch {
    this.latches.push(latch);
    for (const event of ['isLeader', 'notLeader'] as const) {
      latch.on(event, () => this.entries.push({ who, event, at: Date.now(), leaders: this.leaders().length }));
    }
    return latch;
  }

  leaders(): LeaderLatch[] {
    return this.latches.filter((latch) => latch.hasLeadership);
  }

  index(who: string, event: 'isLeader' | 'notLeader'): number {
    return this.entries.findIndex((entry) => entry.who === who && entry.event === event);
  }

  /** When `who` first had `event`, or fails. */
  at(who: string, event: 'isLeader' | 'notLeader'): number {
    const entry = this.entries.find((candidate) => candidate.who === who && candidate.event === event);
    assert.ok(entry !== undefined, `${who} never had ${event}: ${JSON.stringify(this.entries)}`);
    return entry.at;
  }

  assertNeverTwoLeaders(): void {
    const worst = Math.max(0, ...this.entries.map((entry) => entry.leaders));
    assert.ok(worst <= 1, `two latches led at once: ${JSON.stringify(this.entries)}`);
  }
}

describe('recipes: leader election, barriers and counters', () => {
  let server: RunningServer;
  let dataDir: string;
  const clients: ZooKeeperClient[] = [];
  const proxies: CutProxy[] = [];

  const connect = async (options: { sessionTimeoutMs?: number; via?: CutProxy } = {}): Promise<ZooKeeperClient> => {
    const client = await ZooKeeperClient.connect(options.via?.connectString ?? server.connectString, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  const proxy = async (): Promise<CutProxy> => {
    const started = await CutProxy.start({ host: server.host, port: server.port });
    proxies.push(started);
    return started;
  };

  /** Ends `client`'s session on the server now, as an expiry would: attach to it and close. */
  const expireSession = async (client: ZooKeeperClient): Promise<void> => {
    const twin = await ZooKeeperClient.connect(server.connectString, {
      session: { id: client.sessionId, password: client.sessionPassword },
    });
    await twin.close();
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-recipes-leader-'));
    server = await startServer({
      port: 0,
      dataDir,
      logLevel: 'silent',
      config: { tickTimeMs: 100, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 20_000 },
    });
  });

  after(() => tearDown({ clients, proxies, server, dataDir }));

  describe('LeaderLatch', () => {
    it('elects exactly one of many contenders, and passes leadership down the queue as leaders close', async () => {
      const log = new LeadershipLog();
      const latches = await Promise.all(
        Array.from({ length: 8 }, async (_, index) => log.track(new LeaderLatch(await connect(), '/election/queue', { id: `p${index}` }), `p${index}`)),
      );
      await Promise.all(latches.map((latch) => latch.start()));
      const queue = (await latches[0]!.getParticipants()).map((participant) => participant.id);
      assert.equal(queue.length, 8);
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
      await expireSession(leaderClient);
      await waitUntil(() => contender.hasLeadership, 'the contender to lead');
      cut.refuse(false);
      const closed = next(leader, 'closed');
      await closed;
      await assert.rejects(leader.await({ timeoutMs: 10 }), (error: Error) => error.name === 'LatchClosedError' && (error.cause as Error).name === 'SessionExpiredError');
      log.assertNeverTwoLeaders();
      assert.ok(log.index('old', 'notLeader') < log.index('new', 'isLeader'));
      await contender.close();
    });

    it('finds its own candidate node after a create whose reply was lost, instead of queueing twice', async () => {
      const dropper = new ReplyDropper('-latch-');
      const client = await ZooKeeperClient.connect(server.connectString, { sessionTimeoutMs: 10_000, socketFactory: dropper.factory });
      clients.push(client);
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
      const lost = next(leader, 'notLeader');
      const regained = next(leader, 'isLeader');
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
    it('runs lead for one participant at a time, requeueing each after it returns', async () => {
      const spans: Array<{ who: string; start: number; end: number }> = [];
      let active = 0;
      let overlapped = false;
      const leadsMax = 12;
      const elections = await Promise.all(
        ['a', 'b', 'c', 'd'].map(async (who) => new LeaderElection(await connect(), '/election/rounds', {
          id: who,
          lead: async () => {
            if (spans.length >= leadsMax) return;
            overlapped ||= ++active > 1;
            const start = performance.now();
            await sleep(15);
            spans.push({ who, start, end: performance.now() });
            active--;
          },
        })),
      );
      await Promise.all(elections.map((election) => election.start()));
      await waitUntil(() => spans.length >= leadsMax, `${leadsMax} leads`, 10_000);
      await Promise.all(elections.map((election) => election.close()));
      assert.equal(overlapped, false);
      for (const who of ['a', 'b', 'c', 'd']) {
        assert.ok(spans.filter((span) => span.who === who).length >= 2, `${who} led at least twice: ${spans.map((s) => s.who).join('')}`);
      }
    });

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
      await expireSession(firstClient);
      await waitUntil(() => second.isLeading, 'the second to lead');
      assert.deepEqual(order, ['first:start', 'first:aborted', 'second:start']);
      cut.refuse(false);
      const stopped = next(first, 'error');
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
        const child = spawn(process.execPath, [worker, server.connectString, '/election/processes', id, String(leadsEach)], {
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

    it('wakes a waiter whose connection was down while the barrier was removed', async () => {
      const owner = new Barrier(await connect(), '/barriers/partition');
      await owner.setBarrier();
      const cut = await proxy();
      const waiter = await connect({ via: cut });
      const waiting = new Barrier(waiter, '/barriers/partition').waitOnBarrier({ timeoutMs: 5000 });
      await sleep(50);
      cut.refuse(true);
      const disconnected = next(waiter, 'disconnected');
      cut.cut();
      await disconnected;
      await owner.removeBarrier();
      cut.refuse(false);
      assert.equal(await waiting, true);
    });
  });

  describe('DoubleBarrier', () => {
    it('lets nobody in before all members entered, and nobody out before all left', async () => {
      const memberCount = 4;
      const members = await Promise.all(
        Array.from({ length: memberCount }, async (_, index) => new DoubleBarrier(await connect(), '/barriers/double', { memberCount, memberId: `m${index}` })),
      );
      const events: string[] = [];
      const enters = members.map(async (member, index) => {
        await sleep(index * 40);
        events.push(`enter:${index}`);
        assert.equal(await member.enter({ timeoutMs: 5000 }), true);
        events.push(`entered:${index}`);
      });
      await Promise.all(enters);
      assert.deepEqual(events.slice(0, memberCount), ['enter:0', 'enter:1', 'enter:2', 'enter:3']);
      events.length = 0;
      const leaves = members.map(async (member, index) => {
        await sleep((memberCount - index) * 40);
        events.push(`leave:${index}`);
        assert.equal(await member.leave({ timeoutMs: 5000 }), true);
        events.push(`left:${index}`);
      });
      await Promise.all(leaves);
      assert.ok(events.slice(0, memberCount).every((event) => event.startsWith('leave:')), events.join(' '));
      const { children } = await clients[clients.length - 1]!.getChildren('/barriers/double');
      assert.deepEqual(children, [], 'members and the ready node are gone');
    });

    it('enter gives up after its timeout when too few members come, and withdraws', async () => {
      const client = await connect();
      const lonely = new DoubleBarrier(client, '/barriers/short', { memberCount: 3 });
      assert.equal(await lonely.enter({ timeoutMs: 150 }), false);
      assert.deepEqual((await client.getChildren('/barriers/short')).children, []);
    });
  });

  describe('AtomicCounter', () => {
    it('sums many concurrent increments from several clients exactly, each seeing a distinct value', async () => {
      const clientsCount = 4;
      const workersPerClient = 3;
      const incrementsEach = 20;
      const counters = await Promise.all(Array.from({ length: clientsCount }, async () => new AtomicCounter(await connect(), '/counters/hits')));
      const seen: bigint[] = [];
      await Promise.all(counters.flatMap((counter) => Array.from({ length: workersPerClient }, async () => {
        for (let count = 0; count < incrementsEach; count++) {
          const { preValue, postValue } = await counter.increment();
          assert.equal(postValue, preValue + 1n);
          seen.push(postValue);
        }
      })));
      const total = BigInt(clientsCount * workersPerClient * incrementsEach);
      assert.equal(await counters[0]!.get(), total);
      assert.equal(new Set(seen).size, seen.length, 'no two increments saw the same value');
      const { data } = await clients[clients.length - 1]!.getData('/counters/hits');
      assert.equal(data.length, 8, 'stored as an 8-byte big-endian long, as Curator does');
      assert.equal(Buffer.from(data).readBigInt64BE(0), total);
    });

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
