import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { loopbackHost } from '../../test/helpers/ports.js';
import { JuteWriter, QuorumPacketType, encodeIntPayload, encodeLearnerInfo, encodeQuorumStream, type QuorumPacket } from '../proto/index.js';
import { nodePeerTransport, type PeerSocket } from './peer-socket.js';
import { QuorumConnection, connectToLeader, listenForLearners, type QuorumCloseReason, type QuorumConnectionEvents } from './quorum-connection.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** Records what a connection reports. */
function recorder(): QuorumConnectionEvents & { packets: QuorumPacket[]; closes: QuorumCloseReason[] } {
  const packets: QuorumPacket[] = [];
  const closes: QuorumCloseReason[] = [];
  return { packets, closes, packet: (packet) => packets.push(packet), closed: (reason) => closes.push(reason) };
}

/** A snapshot body in SerializeUtils' layout: `sessions` sessions, an empty ACL map, the root and `nodes` nodes of `dataBytes` each. */
function snapshotBody(options: { sessions: number; nodes: number; dataBytes: number }): Buffer {
  const writer = new JuteWriter(1024);
  writer.int(options.sessions);
  for (let i = 0; i < options.sessions; i++) writer.long(i + 1).int(10_000);
  writer.int(0);
  const paths = ['', ...Array.from({ length: options.nodes }, (_, i) => `/n${i}`)];
  for (const path of paths) {
    writer.ustring(path).buffer(Buffer.alloc(path === '' ? 0 : options.dataBytes, path.length)).long(-1);
    for (let i = 0; i < 4; i++) writer.long(1);
    writer.int(0).int(0).int(0).long(0).long(1);
  }
  writer.ustring('/');
  return writer.toBuffer();
}

const normalize = (packets: QuorumPacket[]): unknown[] =>
  packets.map((p) => ({ ...p, data: p.data === null ? null : Buffer.from(p.data).toString('base64') }));

/** A connected pair of raw sockets: `ours` wrapped for a QuorumConnection, `theirs` a plain net socket. */
async function rawPair(): Promise<{ ours: PeerSocket; theirs: Socket; close(): Promise<void> }> {
  let accepted!: (socket: PeerSocket) => void;
  const ours = new Promise<PeerSocket>((resolve) => (accepted = resolve));
  const listener = await nodePeerTransport.listen({ host: loopbackHost, port: 0 }, (socket) => accepted(socket));
  const theirs = connect({ host: loopbackHost, port: listener.port });
  theirs.on('error', () => {});
  const socket = await ours;
  return {
    ours: socket,
    theirs,
    close: async () => {
      theirs.destroy();
      socket.destroy();
      await listener.close();
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('QuorumConnection', () => {
  it('carries a learner handshake, a SNAP sync with a 3 MB snapshot and proposals both ways, intact', async () => {
    const atLeader = recorder();
    let arrived: { serverId: number; type: number } | undefined;
    let leaderSide: QuorumConnection | undefined;
    const listener = await listenForLearners({
      address: { host: loopbackHost, port: 0 },
      logger: silent,
      handshakeTimeoutMs: 2000,
      onLearner: ({ connection, info, type }) => {
        arrived = { serverId: info.serverId, type };
        leaderSide = connection;
        return atLeader;
      },
    });
    const atLearner = recorder();
    const learner = await connectToLeader({ address: { host: loopbackHost, port: listener.port }, events: atLearner, logger: silent, readTimeoutMs: 2000, connectTimeoutMs: 1000 });
    cleanups.push(async () => {
      learner.close();
      leaderSide?.close();
      await listener.close();
    });
    const followerInfo: QuorumPacket = {
      type: QuorumPacketType.followerInfo,
      zxid: 0x1_0000_0000,
      data: encodeLearnerInfo({ serverId: 2, protocolVersion: 0x10000, configVersion: 0 }),
      authinfo: null,
    };
    learner.send(followerInfo);
    await until('the leader knows the learner', () => arrived !== undefined);
    assert.deepEqual(arrived, { serverId: 2, type: QuorumPacketType.followerInfo });

    const snapshot = snapshotBody({ sessions: 1000, nodes: 300, dataBytes: 10_000 });
    const toLearner: QuorumPacket[] = [
      { type: QuorumPacketType.leaderInfo, zxid: 0x2_0000_0000, data: encodeIntPayload(0x10000), authinfo: null },
      { type: QuorumPacketType.snap, zxid: 0x1_0000_0009, data: snapshot, authinfo: null },
      { type: QuorumPacketType.newLeader, zxid: 0x2_0000_0000, data: null, authinfo: null },
      ...Array.from({ length: 50 }, (_, i): QuorumPacket => ({ type: QuorumPacketType.proposal, zxid: 0x2_0000_0001 + i, data: Buffer.alloc(100 + i, i), authinfo: null })),
      { type: QuorumPacketType.upToDate, zxid: -1, data: null, authinfo: null },
    ];
    for (const packet of toLearner) assert.ok(leaderSide!.send(packet));
    const acks: QuorumPacket[] = Array.from({ length: 50 }, (_, i) => ({ type: QuorumPacketType.ack, zxid: 0x2_0000_0001 + i, data: null, authinfo: null }));
    for (const ack of acks) learner.send(ack);
    await until('everything arrived', () => atLearner.packets.length === toLearner.length && atLeader.packets.length === 1 + acks.length);
    assert.deepEqual(normalize(atLearner.packets), normalize(toLearner));
    assert.deepEqual(normalize(atLeader.packets), normalize([followerInfo, ...acks]));
    assert.deepEqual([atLearner.closes, atLeader.closes], [[], []]);
  });

  it('drops a peer that never reads once its queue passes the bound, never holding more', async () => {
    const pair = await rawPair();
    cleanups.push(pair.close);
    pair.theirs.pause();
    const events = recorder();
    const connection = new QuorumConnection({ socket: pair.ours, side: 'leader', events, logger: silent, readTimeoutMs: 60_000, queuedBytesMax: 1024 * 1024 });
    const proposal: QuorumPacket = { type: QuorumPacketType.proposal, zxid: 1, data: Buffer.alloc(64 * 1024), authinfo: null };
    let sent = 0;
    let maxQueued = 0;
    while (sent < 10_000 && connection.send({ ...proposal, zxid: sent + 1 })) {
      sent += 1;
      maxQueued = Math.max(maxQueued, connection.queuedBytes);
      if (sent % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(sent < 10_000, 'the connection was dropped');
    assert.ok(maxQueued <= 1024 * 1024, `queued ${maxQueued} bytes`);
    assert.deepEqual(events.closes, ['queue-full']);
    assert.equal(connection.send(proposal), false);
  });

  it('reports silence beyond the read timeout as a disconnect, counted from the last byte received', async () => {
    const pair = await rawPair();
    cleanups.push(pair.close);
    const events = recorder();
    const connection = new QuorumConnection({ socket: pair.ours, side: 'learner', events, logger: silent, readTimeoutMs: 150 });
    const ping = Buffer.concat(encodeQuorumStream([{ type: QuorumPacketType.ping, zxid: 1, data: null, authinfo: null }]));
    for (let i = 0; i < 5; i++) {
      await sleep(60);
      pair.theirs.write(ping);
    }
    await until('the last ping arrived', () => events.packets.length === 5);
    assert.deepEqual(events.closes, [], 'pings every 60 ms keep it open');
    connection.setReadTimeout(400);
    await sleep(250);
    assert.deepEqual(events.closes, [], 'the longer timeout (syncLimit) applies at once');
    await until('timed out', () => events.closes.length > 0, 1000);
    assert.deepEqual(events.closes, ['timeout']);
    await until('the socket is closed', () => pair.theirs.destroyed || pair.theirs.readableEnded, 1000);
  });

  it('closes on a malformed stream and reports the peer closing exactly once', async () => {
    const bad = await rawPair();
    cleanups.push(bad.close);
    const badEvents = recorder();
    new QuorumConnection({ socket: bad.ours, side: 'learner', events: badEvents, logger: silent, readTimeoutMs: 5000 });
    bad.theirs.write(new JuteWriter(16).int(5).long(1).int(-7).toBuffer());
    await until('closed', () => badEvents.closes.length > 0);
    await sleep(20);
    assert.deepEqual(badEvents.closes, ['bad-stream']);

    const gone = await rawPair();
    cleanups.push(gone.close);
    const goneEvents = recorder();
    const connection = new QuorumConnection({ socket: gone.ours, side: 'leader', events: goneEvents, logger: silent, readTimeoutMs: 5000 });
    gone.theirs.end();
    await until('closed', () => goneEvents.closes.length > 0);
    connection.close();
    await sleep(20);
    assert.deepEqual(goneEvents.closes, ['peer-closed']);
  });

  it('refuses a learner whose first packet is not FOLLOWERINFO or OBSERVERINFO', async () => {
    let called = false;
    const listener = await listenForLearners({
      address: { host: loopbackHost, port: 0 },
      logger: silent,
      handshakeTimeoutMs: 2000,
      onLearner: () => {
        called = true;
        return recorder();
      },
    });
    cleanups.push(() => listener.close());
    const socket = connect({ host: loopbackHost, port: listener.port });
    socket.on('error', () => {});
    socket.write(Buffer.concat(encodeQuorumStream([{ type: QuorumPacketType.ack, zxid: 1, data: null, authinfo: null }])));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(called, false);
  });
});
