// The election port against Apache ZooKeeper 3.8. The stored vectors (test/golden/
// zookeeper-3.8-election.json) are what a ZooKeeper member 1 sent when it started alone in a
// 3-member configuration: the initial message of its dial to member 2 (which it then closed: it
// lost the challenge, 1 < 2), and the first notification on the connection member 2 dialled back.
// The live test repeats that with a fresh ZooKeeper and with Meerkat's ElectionConnections as
// member 2, and checks that ZooKeeper decodes Meerkat's vote: it switches its own vote to it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  ElectionStreamDecoder,
  ServerState,
  decodeNotification,
  encodeInitialMessage,
  type Notification,
  type PeerAddress,
} from '../../src/proto/index.js';
import { ElectionConnections } from '../../src/runtime/election-connections.js';
import { getFreePort, loopbackHost } from '../helpers/ports.js';
import { referenceJars, referenceSkipReason } from '../helpers/reference-zookeeper.js';

const golden = JSON.parse(readFileSync(join(process.cwd(), 'test/golden/zookeeper-3.8-election.json'), 'utf8')) as {
  initialMessageFromDial: string;
  firstFrameOnAcceptedConnection: string;
};

const config = (ports: Map<number, { quorum: number; election: number }>): string =>
  [...ports].map(([id, p]) => `server.${id}=127.0.0.1:${p.quorum}:${p.election}:participant\n`).join('') + 'version=0';

describe('election port: golden vectors from Apache ZooKeeper 3.8', () => {
  it('decodes the initial message of its dial and re-encodes it byte for byte', () => {
    const bytes = Buffer.from(golden.initialMessageFromDial, 'hex');
    const [event] = new ElectionStreamDecoder({ expectInitialMessage: true }).push(bytes);
    assert.deepEqual(event, { kind: 'initial', message: { protocolVersion: -65536, serverId: 1, addresses: [{ host: '127.0.0.1', port: 23889 }] } });
    assert.deepEqual(encodeInitialMessage({ serverId: 1, addresses: [{ host: '127.0.0.1', port: 23889 }] }), bytes);
  });

  it('decodes its first notification: LOOKING, voting for itself in round 1, with its configuration', () => {
    const [event] = new ElectionStreamDecoder({ expectInitialMessage: false }).push(Buffer.from(golden.firstFrameOnAcceptedConnection, 'hex'));
    assert.equal(event?.kind, 'frame');
    const notification = decodeNotification(event.kind === 'frame' ? event.body : Buffer.alloc(0));
    const ports = new Map([[1, { quorum: 23888, election: 23889 }], [2, { quorum: 24888, election: 24889 }], [3, { quorum: 25888, election: 25889 }]]);
    assert.deepEqual({ ...notification, config: Buffer.from(notification.config).toString() }, {
      state: ServerState.looking,
      leader: 1,
      zxid: 0,
      electionEpoch: 1,
      peerEpoch: 0,
      version: 2,
      config: config(ports),
    });
  });
});

describe('election port: live against Apache ZooKeeper 3.8', { skip: referenceSkipReason() }, () => {
  let work = '';
  let child: ChildProcess | undefined;
  const ports = new Map<number, { quorum: number; election: number }>();
  let dial: Promise<Buffer>;
  let dialListener: ReturnType<typeof createServer> | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'meerkat-election-golden-'));
    for (const id of [1, 2, 3]) ports.set(id, { quorum: await getFreePort(), election: await getFreePort() });
    // Member 2's election port is ours: record what ZooKeeper's first dial sends before it closes.
    dial = new Promise((resolve) => {
      dialListener = createServer((socket: Socket) => {
        const parts: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => parts.push(chunk));
        socket.on('close', () => resolve(Buffer.concat(parts)));
      });
      dialListener.listen(ports.get(2)!.election, loopbackHost);
    });
    await writeFile(join(work, 'myid'), '1\n');
    const cfg = [
      'tickTime=2000', 'initLimit=5', 'syncLimit=2', `dataDir=${work}`, `clientPort=${await getFreePort()}`,
      'clientPortAddress=127.0.0.1', 'admin.enableServer=false',
      ...[...ports].map(([id, p]) => `server.${id}=127.0.0.1:${p.quorum}:${p.election}`),
    ].join('\n');
    await writeFile(join(work, 'zoo.cfg'), `${cfg}\n`);
    const classPath = [referenceJars.server, ...(existsSync(referenceJars.logBinding) ? [referenceJars.logBinding] : [])].join(':');
    child = spawn('java', ['-Xmx256m', '-cp', classPath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(work, 'zoo.cfg')], { stdio: 'ignore' });
    process.once('exit', () => child?.kill('SIGKILL'));
  });

  after(async () => {
    child?.kill('SIGKILL');
    dialListener?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('sends the initial message layout on its dial, and decodes and adopts a Meerkat vote', { timeout: 60_000 }, async () => {
    const bytes = await dial;
    const [event] = new ElectionStreamDecoder({ expectInitialMessage: true }).push(bytes);
    assert.deepEqual(event, {
      kind: 'initial',
      message: { protocolVersion: -65536, serverId: 1, addresses: [{ host: '127.0.0.1', port: ports.get(1)!.election }] },
    });
    await new Promise<void>((resolve) => dialListener!.close(() => resolve()));

    // Now Meerkat is member 2: it dials ZooKeeper (higher id dials), gets its vote, and answers.
    const received: Notification[] = [];
    const peers = new Map<number, PeerAddress>([...ports].map(([id, p]) => [id, { host: loopbackHost, port: p.election }]));
    const manager = new ElectionConnections({
      myId: 2,
      listenAddress: peers.get(2)!,
      peers,
      logger: pino({ level: 'silent' }),
      events: { notification: (from, notification) => from === 1 && received.push(notification) },
    });
    await manager.start();
    try {
      // ZooKeeper re-dials on its own notification timeout; our first vote makes us dial at once.
      const vote: Notification = { state: ServerState.looking, leader: 2, zxid: 0, electionEpoch: 1, peerEpoch: 0, version: 2, config: Buffer.from(config(ports)) };
      manager.send(1, vote);
      const deadline = Date.now() + 45_000;
      while (!received.some((n) => n.leader === 2) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // Its own vote comes first on a new connection (the queued or last message); look it up
      // rather than rely on the order, in case it already read ours.
      const first = received.find((n) => n.leader === 1);
      assert.ok(first !== undefined, `ZooKeeper sent its own vote (got ${received.length} notifications)`);
      assert.deepEqual({ ...first, config: Buffer.from(first.config).toString() }, { state: ServerState.looking, leader: 1, zxid: 0, electionEpoch: 1, peerEpoch: 0, version: 2, config: config(ports) });
      const switched = received.find((n) => n.leader === 2);
      assert.ok(switched !== undefined, `ZooKeeper moved its vote to Meerkat's candidate (got ${received.map((n) => n.leader).join(',')})`);
      assert.equal(switched.electionEpoch, 1);
    } finally {
      await manager.stop();
    }
  });
});
