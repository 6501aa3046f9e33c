// The connection core's ensemble behaviours, driven by scripted frames and a hand-moved clock:
// walking a shuffled host list round-robin with a pause after each full round, skipping a member
// that refuses the handshake (e.g. one behind the client's last zxid), SESSIONMOVED taken as a
// connection loss, and the read-only state (connectedReadOnly, probing for a read-write server,
// sessions that were only ever read-only asking for a new id).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, OpCode } from '../../src/proto/index.js';
import { Harness, connectResponse, decodeConnect, replyFrame, stat, type Action } from './scripted-server.js';

const threeHosts = [{ host: 'a', port: 1 }, { host: 'b', port: 2 }, { host: 'c', port: 3 }];

const states = (actions: Action[]): string[] => actions.flatMap((action) => (action.type === 'state' ? [action.state] : []));
const opened = (actions: Action[]): string[] => actions.flatMap((action) => (action.type === 'open' ? [action.host.host] : []));
const probes = (actions: Action[]): Array<{ id: number; host: string }> =>
  actions.flatMap((action) => (action.type === 'probeReadWrite' ? [{ id: action.id, host: action.host.host }] : []));

describe('ConnectionCore over many hosts', () => {
  it('walks the hosts round-robin and pauses before another round when none answered', () => {
    const harness = new Harness({ hosts: threeHosts, reconnectPauseMsMax: 500, random: () => 0.5 });
    harness.core.start(harness.now);
    const tried: string[] = opened(harness.take());
    for (let attempt = 0; attempt < 2; attempt++) {
      harness.core.transportClosed(harness.now, 'refused');
      assert.equal(harness.core.nextDeadline(), harness.now, 'the next host of the round is tried at once');
      harness.core.tick(harness.now);
      tried.push(...opened(harness.take()));
    }
    assert.deepEqual(tried, ['a', 'b', 'c']);
    harness.core.transportClosed(harness.now, 'refused');
    assert.equal(harness.core.nextDeadline(), harness.now + 250, 'a full round without an answer pauses (random × max)');
    harness.advance(249);
    assert.deepEqual(opened(harness.take()), []);
    harness.advance(1);
    assert.deepEqual(opened(harness.take()), ['a']);
  });

  it('skips a member that closes the handshake, and offers the next the same session and last zxid', () => {
    const harness = new Harness({ hosts: threeHosts });
    harness.connect({ sessionId: 0x42n });
    harness.core.submit({ type: OpCode.setData, path: '/x', data: new Uint8Array(0), version: -1 }, { token: 'w' }, harness.now);
    harness.take();
    harness.receive(replyFrame({ xid: 1, zxid: 0x3_0000_0007 }, { type: OpCode.setData, stat }));
    harness.core.transportClosed(harness.now, 'member a died');
    harness.core.tick(harness.now);
    assert.deepEqual(opened(harness.take()), ['b']);
    harness.core.transportOpened(harness.now);
    const toBehind = decodeConnect(harness.take()[0]!);
    assert.equal(toBehind.lastZxidSeen, 0x3_0000_0007);
    // b is behind the client's last zxid: it closes without answering (as ZooKeeper does).
    harness.core.transportClosed(harness.now, 'closed by the server');
    assert.deepEqual(states(harness.take()), [], 'still disconnected, not expired');
    harness.core.tick(harness.now);
    assert.deepEqual(opened(harness.take()), ['c']);
    harness.core.transportOpened(harness.now);
    const toCaughtUp = decodeConnect(harness.take()[0]!);
    assert.equal(toCaughtUp.sessionId, 0x42n);
    assert.equal(toCaughtUp.lastZxidSeen, 0x3_0000_0007);
    assert.deepEqual(states(harness.receive(connectResponse({ sessionId: 0x42n, timeOut: 3000 }))), ['connected']);
    assert.equal(harness.core.session.id, 0x42n);
  });
});

describe('ConnectionCore and SESSIONMOVED', () => {
  it('drops the connection, fails what was in flight with ConnectionLoss and reattaches on the next host', () => {
    const harness = new Harness({ hosts: threeHosts });
    harness.connect({ sessionId: 0x42n });
    harness.take();
    harness.core.submit({ type: OpCode.exists, path: '/one', watch: false }, { token: 'one' }, harness.now);
    harness.core.submit({ type: OpCode.exists, path: '/two', watch: false }, { token: 'two' }, harness.now);
    harness.take();
    const actions = harness.receive(replyFrame({ xid: 1, err: ErrorCode.sessionMoved }));
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(states(actions), ['disconnected']);
    const failed = actions.flatMap((action) => (action.type === 'reply' && !action.outcome.ok ? [[action.token, action.outcome.err]] : []));
    assert.deepEqual(failed, [['one', ErrorCode.connectionLoss], ['two', ErrorCode.connectionLoss]]);
    harness.core.tick(harness.now);
    const request = harness.handshake({ sessionId: 0x42n });
    assert.equal(request.sessionId, 0x42n, 'the same session, on another member');
    assert.equal(harness.core.currentHost?.host, 'b');
    assert.equal(harness.core.state, 'connected');
  });
});

describe('ConnectionCore read-only', () => {
  const readOnlySession = (): Harness => {
    const harness = new Harness({ hosts: threeHosts, canBeReadOnly: true });
    const request = harness.connect({ sessionId: 0x99n, readOnly: true });
    assert.equal(request.readOnly, true);
    return harness;
  };

  it('reports connectedReadOnly and passes NOTREADONLY on a write to the caller', () => {
    const harness = readOnlySession();
    assert.deepEqual(states(harness.take()), ['connectedReadOnly']);
    harness.core.submit({ type: OpCode.create, path: '/w', data: new Uint8Array(0), acl: [], flags: 0 }, { token: 'write' }, harness.now);
    harness.take();
    const [reply] = harness.receive(replyFrame({ xid: 1, err: ErrorCode.notReadOnly }));
    assert.deepEqual(reply, { type: 'reply', token: 'write', outcome: { ok: false, err: ErrorCode.notReadOnly } });
    assert.equal(harness.core.state, 'connectedReadOnly');
  });

  it('probes the other hosts at doubling intervals, and moves to the first that answers rw', () => {
    const harness = readOnlySession();
    harness.take();
    assert.equal(harness.core.nextDeadline(), harness.now + 100);
    harness.advance(100);
    const [first] = probes(harness.take());
    assert.deepEqual(first?.host, 'b');
    harness.core.probeAnswered(first!.id, 'ro', harness.now);
    harness.advance(199);
    assert.deepEqual(probes(harness.take()), []);
    harness.advance(1);
    const [second] = probes(harness.take());
    assert.deepEqual(second?.host, 'c', 'the current host (a) is never probed');
    harness.core.probeAnswered(second!.id, 'rw', harness.now);
    const actions = harness.take();
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(states(actions), ['disconnected']);
    harness.core.tick(harness.now);
    assert.deepEqual(opened(harness.take()), ['c']);
    harness.core.transportOpened(harness.now);
    const request = decodeConnect(harness.take()[0]!);
    assert.equal(request.sessionId, 0n, 'a session only a read-only server knew is not global: ask for a new one');
    assert.deepEqual(states(harness.receive(connectResponse({ sessionId: 0x100n, timeOut: 3000 }))), ['connected']);
    assert.equal(harness.core.session.id, 0x100n);
    harness.advance(1000);
    assert.deepEqual(probes(harness.take()), [], 'no probes once read-write');
  });

  it('gives up on a probe not answered within the connect timeout and probes again later', () => {
    const harness = readOnlySession();
    harness.take();
    harness.advance(100);
    const [first] = probes(harness.take());
    harness.advance(1000); // 3000 ms over 3 hosts.
    assert.deepEqual(probes(harness.take()), []);
    harness.advance(200);
    const [second] = probes(harness.take());
    assert.ok(second !== undefined && second.id !== first!.id);
    harness.core.probeAnswered(first!.id, 'rw', harness.now);
    assert.equal(harness.core.state, 'connectedReadOnly', 'a late answer to an abandoned probe is ignored');
  });

  it('keeps a global session id when a read-write server made the session before a read-only one served it', () => {
    const harness = new Harness({ hosts: threeHosts, canBeReadOnly: true });
    harness.connect({ sessionId: 0x42n });
    harness.core.transportClosed(harness.now, 'partition');
    harness.core.tick(harness.now);
    harness.handshake({ sessionId: 0x42n, readOnly: true });
    assert.equal(harness.core.state, 'connectedReadOnly');
    harness.core.transportClosed(harness.now, 'read-only member died');
    harness.core.tick(harness.now);
    harness.take();
    harness.core.transportOpened(harness.now);
    assert.equal(decodeConnect(harness.take()[0]!).sessionId, 0x42n);
  });
});
