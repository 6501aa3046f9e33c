import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { pino } from 'pino';
import { getFreePort, loopbackHost } from '../../test/helpers/ports.js';
import {
  ElectionStreamDecoder,
  ServerState,
  decodeNotification,
  encodeElectionFrame,
  encodeInitialMessage,
  encodeNotification,
  type Notification,
  type PeerAddress,
} from '../proto/index.js';
import { ElectionConnections, type ElectionTiming } from './election-connections.js';
import { nodePeerTransport, type PeerSocket, type PeerTransport } from './peer-socket.js';

const silent = pino({ level: 'silent' });
const fast: Partial<ElectionTiming> = { reconnectDelayMsMin: 20, reconnectDelayMsMax: 200, connectTimeoutMs: 1000, handshakeTimeoutMs: 1000 };

function vote(from: number, round: number, config = ''): Notification {
  return { state: ServerState.looking, leader: from, zxid: round, electionEpoch: round, peerEpoch: 0, version: 2, config: Buffer.from(config) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** The Node transport, counting the sockets each manager holds open and which of them it dialled. */
function countingTransport(): { transport: PeerTransport; open: Set<PeerSocket>; dialled: Set<PeerSocket>; dials: { count: number } } {
  const dials = { count: 0 };
  const open = new Set<PeerSocket>();
  const dialled = new Set<PeerSocket>();
  const track = (socket: PeerSocket, wasDialled: boolean): PeerSocket => {
    open.add(socket);
    if (wasDialled) dialled.add(socket);
    return {
      get pendingBytes() {
        return socket.pendingBytes;
      },
      remote: socket.remote,
      write: (bytes) => socket.write(bytes),
      end: () => socket.end(),
      destroy: () => socket.destroy(),
      attach: (events) =>
        socket.attach({
          ...events,
          close: (error) => {
            open.delete(socket);
            dialled.delete(socket);
            events.close(error);
          },
        }),
    };
  };
  return {
    open,
    dialled,
    dials,
    transport: {
      listen: (address, onConnection) => nodePeerTransport.listen(address, (socket) => onConnection(track(socket, false))),
      connect: async (address, timeoutMs) => {
        dials.count += 1;
        return track(await nodePeerTransport.connect(address, timeoutMs), true);
      },
    },
  };
}

interface Member {
  id: number;
  manager: ElectionConnections;
  received: Array<{ from: number; notification: Notification }>;
  sockets: ReturnType<typeof countingTransport>;
  events: string[];
}

let running: Member[] = [];

afterEach(async () => {
  await Promise.all(running.map((member) => member.manager.stop()));
  running = [];
});

async function addresses(ids: number[]): Promise<Map<number, PeerAddress>> {
  const map = new Map<number, PeerAddress>();
  for (const id of ids) map.set(id, { host: loopbackHost, port: await getFreePort() });
  return map;
}

function member(id: number, peers: Map<number, PeerAddress>, timing: Partial<ElectionTiming> = fast): Member {
  const sockets = countingTransport();
  const received: Member['received'] = [];
  const events: string[] = [];
  const manager = new ElectionConnections({
    myId: id,
    listenAddress: peers.get(id)!,
    peers,
    logger: silent,
    transport: sockets.transport,
    timing,
    events: {
      notification: (from, notification) => received.push({ from, notification }),
      connected: (peer) => events.push(`up ${peer}`),
      disconnected: (peer) => events.push(`down ${peer}`),
    },
  });
  const created = { id, manager, received, sockets, events };
  running.push(created);
  return created;
}

const heardFrom = (m: Member, from: number, round?: number): number =>
  m.received.filter((r) => r.from === from && (round === undefined || r.notification.electionEpoch === round)).length;

const permutations = (items: number[]): number[][] =>
  items.length <= 1 ? [items] : items.flatMap((item) => permutations(items.filter((other) => other !== item)).map((rest) => [item, ...rest]));

describe('ElectionConnections', () => {
  for (const order of [...permutations([1, 2, 3]), 'at once' as const]) {
    it(`ends with exactly one connection per pair, dialled by the higher id (start order ${order === 'at once' ? 'all at once' : order.join(', ')})`, async () => {
      const peers = await addresses([1, 2, 3]);
      const members = new Map([1, 2, 3].map((id) => [id, member(id, peers)]));
      const starting = order === 'at once' ? [1, 2, 3] : order;
      for (const id of starting) {
        const m = members.get(id)!;
        await m.manager.start();
        for (const other of [1, 2, 3]) if (other !== id) m.manager.send(other, vote(id, 1));
        if (order !== 'at once') await sleep(30);
      }
      const all = [...members.values()];
      const settled = (): boolean =>
        all.every((m) => all.every((other) => other === m || (m.manager.isConnected(other.id) && heardFrom(m, other.id) > 0))) &&
        all.reduce((sum, m) => sum + m.sockets.open.size, 0) === 6;
      await until('every pair is connected once and every vote arrived', settled);
      await sleep(300);
      assert.ok(settled(), 'still one connection per pair after settling');
      for (const m of all) assert.equal(m.sockets.dialled.size, m.id - 1, `server ${m.id} holds the connections it dialled to lower ids only`);
    });
  }

  it('delivers notifications sent before the peer is up once it is (both to a higher and a lower id)', async () => {
    const peers = await addresses([1, 2, 3]);
    const two = member(2, peers);
    await two.manager.start();
    two.manager.send(1, vote(2, 7));
    two.manager.send(3, vote(2, 7));
    await sleep(150);
    const one = member(1, peers);
    const three = member(3, peers);
    await one.manager.start();
    await three.manager.start();
    await until('both got the early vote', () => heardFrom(one, 2, 7) > 0 && heardFrom(three, 2, 7) > 0);
  });

  it('keeps only the newest notification for a peer that is down (SEND_CAPACITY = 1, oldest dropped)', async () => {
    const peers = await addresses([1, 2]);
    const one = member(1, peers);
    await one.manager.start();
    for (let round = 1; round <= 5; round++) one.manager.send(2, vote(1, round));
    assert.equal(one.manager.stats(2).queued, 1);
    assert.equal(one.manager.stats(2).dropped, 4);
    const two = member(2, peers);
    await two.manager.start();
    await until('the vote arrived', () => heardFrom(two, 1) > 0);
    await sleep(100);
    assert.deepEqual(two.received.map((r) => r.notification.electionEpoch), [5]);
  });

  it('reconnects after its socket is destroyed and sends the last notification again', async () => {
    const peers = await addresses([1, 2]);
    const one = member(1, peers);
    const two = member(2, peers);
    await one.manager.start();
    await two.manager.start();
    two.manager.send(1, vote(2, 3));
    await until('the vote arrived', () => heardFrom(one, 2, 3) === 1);
    for (const socket of two.sockets.open) socket.destroy();
    await until('the vote arrived again on a new connection', () => heardFrom(one, 2, 3) === 2);
    assert.equal(two.manager.stats(1).connections, 2);
    assert.deepEqual(two.events, ['up 1', 'down 1', 'up 1']);
  });

  it('re-dials a restarted peer with backoff, which then gets the last notification again', async () => {
    const peers = await addresses([1, 2]);
    const one = member(1, peers);
    const two = member(2, peers);
    await one.manager.start();
    await two.manager.start();
    one.manager.send(2, vote(1, 4));
    await until('the vote arrived', () => heardFrom(two, 1, 4) === 1);
    await two.manager.stop();
    const dialsBefore = one.sockets.dials.count;
    await sleep(400);
    // Down for 400 ms with retries after 20, 40, 80, 160 ms...: a few attempts, not hundreds.
    const attempts = one.sockets.dials.count - dialsBefore;
    assert.ok(attempts >= 2 && attempts <= 6, `${attempts} dials while the peer was down`);
    const restarted = member(2, peers);
    await restarted.manager.start();
    await until('the restarted peer got the last vote', () => heardFrom(restarted, 1, 4) === 1);
    assert.equal(one.manager.stats(2).connections, 2);
  });

  it('keeps its output bounded under a peer that never reads, and closes the stalled connection', async () => {
    const peers = await addresses([1, 2]);
    // Server 1 is a socket that accepts server 2's dial and never reads.
    const stuck: Socket[] = [];
    const reader = createServer((socket) => {
      socket.pause();
      stuck.push(socket);
    });
    await new Promise<void>((resolve) => reader.listen(peers.get(1)!.port, loopbackHost, resolve));
    try {
      const two = member(2, peers, { ...fast, writeStallMs: 500 });
      await two.manager.start();
      const big = 'x'.repeat(16 * 1024);
      let maxPending = 0;
      await until('connected', () => {
        two.manager.send(1, vote(2, 0, big));
        return two.manager.isConnected(1);
      });
      for (let round = 1; round <= 5000; round++) {
        two.manager.send(1, vote(2, round, big));
        maxPending = Math.max(maxPending, two.manager.stats(1).pendingBytes);
        assert.ok(two.manager.stats(1).queued <= 1);
        if (round % 100 === 0) await sleep(1);
      }
      // 80 MB were offered; Node's buffer holds at most one frame past its high water mark.
      assert.ok(maxPending < 64 * 1024, `pending output ${maxPending} bytes`);
      assert.ok(two.manager.stats(1).dropped > 4000);
      await until('the stalled connection was closed', () => two.events.includes('down 1'), 3000);
    } finally {
      for (const socket of stuck) socket.destroy();
      await new Promise<void>((resolve) => reader.close(() => resolve()));
    }
  });

  it('refuses a dial from its own id, from an id not configured and with a garbled initial message', async () => {
    const peers = await addresses([1, 2]);
    const two = member(2, peers);
    const port = await two.manager.start();
    const closedAfter = async (bytes: Buffer): Promise<boolean> => {
      const socket = connect({ host: loopbackHost, port });
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(bytes);
      socket.write(encodeElectionFrame(encodeNotification(vote(9, 1))));
      return new Promise((resolve) => socket.once('close', () => resolve(true)));
    };
    assert.ok(await closedAfter(encodeInitialMessage({ serverId: 2, addresses: [{ host: loopbackHost, port: 1 }] })));
    assert.ok(await closedAfter(encodeInitialMessage({ serverId: 9, addresses: [{ host: loopbackHost, port: 1 }] })));
    assert.ok(await closedAfter(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    assert.equal(two.received.length, 0);
  });

  it('talks to a hand-written ZooKeeper-style peer: a higher id dialling in is kept, its frames decoded', async () => {
    const peers = await addresses([1, 5]);
    const one = member(1, peers);
    const port = await one.manager.start();
    const socket = connect({ host: loopbackHost, port });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.concat([encodeInitialMessage({ serverId: 5, addresses: [peers.get(5)!] }), encodeElectionFrame(encodeNotification(vote(5, 2)))]));
    await until('the vote arrived', () => heardFrom(one, 5, 2) === 1);
    one.manager.send(5, vote(1, 2));
    const decoder = new ElectionStreamDecoder({ expectInitialMessage: false });
    const got = await new Promise<Notification>((resolve) =>
      socket.on('data', (chunk) => {
        const [frame] = decoder.push(chunk);
        if (frame?.kind === 'frame') resolve(decodeNotification(frame.body));
      }),
    );
    assert.equal(got.leader, 1);
    socket.destroy();
  });

  it('stops cleanly: closes its connections and its port, and dials nothing afterwards', async () => {
    const peers = await addresses([1, 2]);
    const one = member(1, peers);
    const two = member(2, peers);
    await one.manager.start();
    await two.manager.start();
    two.manager.send(1, vote(2, 1));
    await until('connected', () => one.manager.isConnected(2));
    await two.manager.stop();
    await until('the peer saw the close', () => one.events.includes('down 2'));
    assert.equal(two.sockets.open.size, 0);
    two.manager.send(1, vote(2, 2));
    await sleep(100);
    assert.equal(two.sockets.open.size, 0, 'nothing dialled after stop');
    // The port is free again.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(peers.get(2)!.port, loopbackHost, resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('delivers a notification to itself locally', async () => {
    const peers = await addresses([1, 2]);
    const one = member(1, peers);
    await one.manager.start();
    one.manager.send(1, vote(1, 1));
    await until('delivered', () => heardFrom(one, 1) === 1);
  });
});
