// The sans-I/O connection core, driven by scripted frames and a hand-moved clock: handshake, xids
// and FIFO matching, pings and the read timeout, reconnection with the session and last zxid, watch
// re-registration, chroot, authentication, expiry (reported and local), cancel and close.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddWatchMode, ErrorCode, EventType, OpCode, SpecialXid } from '../../src/proto/index.js';
import { Harness, connectResponse, notificationFrame, replyFrame, stat, type Action } from './scripted-server.js';

const replies = (actions: Action[]): Array<{ token: string; ok: boolean; err?: number }> =>
  actions.flatMap((action) => (action.type === 'reply'
    ? [action.outcome.ok ? { token: action.token, ok: true } : { token: action.token, ok: false, err: action.outcome.err }]
    : []));

const states = (actions: Action[]): string[] => actions.flatMap((action) => (action.type === 'state' ? [action.state] : []));

describe('ConnectionCore handshake', () => {
  it('opens the first host and sends a fresh connect request with the requested timeout', () => {
    const harness = new Harness({ sessionTimeoutMs: 5000 });
    harness.core.start(harness.now);
    assert.deepEqual(harness.take(), [{ type: 'open', host: { host: 'a', port: 1 } }]);
    harness.core.transportOpened(harness.now);
    const [connect] = harness.take();
    assert.ok(connect !== undefined && connect.type === 'send');
    harness.core.receive(connectResponse({ sessionId: 0x77n, timeOut: 4000 }), harness.now);
    assert.deepEqual(states(harness.take()), ['connected']);
    assert.equal(harness.core.session.id, 0x77n);
    assert.equal(harness.core.session.timeoutMs, 4000);
  });

  it('connects with session id 0, a zero password, lastZxidSeen 0 and the readOnly flag', () => {
    const harness = new Harness({ canBeReadOnly: true });
    const request = harness.connect();
    assert.equal(request.sessionId, 0n);
    assert.deepEqual([...request.passwd], new Array(16).fill(0));
    assert.equal(request.lastZxidSeen, 0);
    assert.equal(request.timeOut, 3000);
    assert.equal(request.readOnly, true);
  });
});

describe('ConnectionCore requests', () => {
  it('numbers requests from 1 and answers them in FIFO order', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    for (const token of ['first', 'second', 'third']) {
      harness.core.submit({ type: OpCode.exists, path: `/${token}`, watch: false }, { token }, harness.now);
    }
    const sent = harness.sent();
    assert.deepEqual(sent.map((request) => request.xid), [1, 2, 3]);
    const answered = [1, 2, 3].flatMap((xid) => harness.receive(replyFrame({ xid, zxid: 10 + xid }, { type: OpCode.exists, stat })));
    assert.deepEqual(replies(answered), [{ token: 'first', ok: true }, { token: 'second', ok: true }, { token: 'third', ok: true }]);
    assert.equal(harness.core.lastZxid, 13);
  });

  it('decodes replies fed one byte at a time', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.getData, path: '/x', watch: false }, { token: 't' }, harness.now);
    harness.take();
    const bytes = replyFrame({ xid: 1, zxid: 5 }, { type: OpCode.getData, data: Buffer.from('hi'), stat });
    const actions = [...bytes].flatMap((byte) => harness.receive(Buffer.from([byte])));
    const reply = actions.find((action) => action.type === 'reply');
    assert.ok(reply?.type === 'reply' && reply.outcome.ok && reply.outcome.response.type === OpCode.getData);
    assert.equal(Buffer.from(reply.outcome.response.data!).toString(), 'hi');
  });

  it('passes an error code through as the outcome', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.delete, path: '/x', version: -1 }, { token: 'd' }, harness.now);
    harness.take();
    assert.deepEqual(replies(harness.receive(replyFrame({ xid: 1, err: ErrorCode.noNode }))), [{ token: 'd', ok: false, err: ErrorCode.noNode }]);
  });

  it('drops the connection when a reply breaks FIFO order, failing what was in flight', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'one' }, harness.now);
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'two' }, harness.now);
    harness.take();
    const actions = harness.receive(replyFrame({ xid: 2 }, { type: OpCode.sync, path: '/' }));
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(replies(actions), [
      { token: 'one', ok: false, err: ErrorCode.connectionLoss },
      { token: 'two', ok: false, err: ErrorCode.connectionLoss },
    ]);
    assert.deepEqual(states(actions), ['disconnected']);
  });

  it('keeps requests made while disconnected and sends them after the next handshake', () => {
    const harness = new Harness();
    harness.core.start(harness.now);
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'early' }, harness.now);
    harness.handshake();
    const sent = harness.sent();
    assert.deepEqual(sent.map((request) => request.request.type), [OpCode.sync]);
  });

  it('cancel drops an unsent request and discards the reply of one in flight', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'in-flight' }, harness.now);
    harness.take();
    harness.core.cancel('in-flight');
    assert.deepEqual(replies(harness.receive(replyFrame({ xid: 1 }, { type: OpCode.sync, path: '/' }))), []);
    assert.equal(harness.core.outstanding, 0);
  });
});

describe('ConnectionCore timing', () => {
  it('asks for a ping a third of the session timeout after the last send', () => {
    const harness = new Harness();
    harness.connect({ timeOut: 3000 });
    harness.take();
    assert.equal(harness.core.nextDeadline(), harness.now + 1000);
    harness.advance(999);
    assert.deepEqual(harness.sent(), []);
    harness.advance(1);
    assert.deepEqual(harness.sent(), [{ xid: SpecialXid.ping, request: { type: OpCode.ping } }]);
    harness.receive(replyFrame({ xid: SpecialXid.ping }));
    assert.equal(harness.core.nextDeadline(), harness.now + 1000);
  });

  it('drops the connection after two thirds of the session timeout without a byte', () => {
    const harness = new Harness();
    harness.connect({ timeOut: 3000 });
    harness.take();
    harness.advance(1000);
    harness.advance(999);
    assert.ok(!harness.take().some((action) => action.type === 'closeTransport'));
    harness.advance(1);
    const actions = harness.take();
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(states(actions), ['disconnected']);
  });

  it('gives up a connection attempt after the session timeout divided by the host count', () => {
    const harness = new Harness({ sessionTimeoutMs: 3000 });
    harness.core.start(harness.now);
    harness.take();
    harness.advance(1500);
    assert.equal(harness.take()[0]?.type, 'closeTransport');
    assert.equal(harness.core.nextDeadline(), harness.now, 'the next host is due at once');
    harness.core.tick(harness.now);
    assert.deepEqual(harness.take(), [{ type: 'open', host: { host: 'b', port: 2 } }]);
  });
});

describe('ConnectionCore reconnection', () => {
  const dropAndReconnect = (harness: Harness): ReturnType<Harness['handshake']> => {
    harness.core.transportClosed(harness.now, 'test');
    harness.core.tick(harness.now);
    return harness.handshake({ sessionId: 0x55n });
  };

  it('reconnects at once to the next host after a connected transport drops', () => {
    const harness = new Harness();
    harness.connect({ sessionId: 0x55n });
    harness.take();
    harness.core.transportClosed(harness.now, 'test');
    assert.deepEqual(states(harness.take()), ['disconnected']);
    assert.equal(harness.core.nextDeadline(), harness.now);
    harness.core.tick(harness.now);
    assert.deepEqual(harness.take(), [{ type: 'open', host: { host: 'b', port: 2 } }]);
    harness.core.transportOpened(harness.now);
    harness.take();
    assert.deepEqual(states(harness.receive(connectResponse({ sessionId: 0x55n, timeOut: 3000 }))), ['connected']);
  });

  it('sends the session id, its password and lastZxidSeen in the reconnect request', () => {
    const harness = new Harness();
    harness.connect({ sessionId: 0x55n });
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 's' }, harness.now);
    harness.take();
    harness.receive(replyFrame({ xid: 1, zxid: 0x99 }, { type: OpCode.sync, path: '/' }));
    const request = dropAndReconnect(harness);
    assert.equal(request.sessionId, 0x55n);
    assert.deepEqual([...request.passwd], new Array(16).fill(7));
    assert.equal(request.lastZxidSeen, 0x99);
  });

  it('fails requests in flight with ConnectionLoss and never re-sends them', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.create, path: '/c', data: new Uint8Array(0), acl: [], flags: 0 }, { token: 'create' }, harness.now);
    harness.take();
    harness.core.transportClosed(harness.now, 'test');
    assert.deepEqual(replies(harness.take()), [{ token: 'create', ok: false, err: ErrorCode.connectionLoss }]);
    harness.core.tick(harness.now);
    harness.handshake({ sessionId: 0x55n });
    assert.deepEqual(harness.sent(), []);
  });

  it('re-registers watches with setWatches2 relative to the last zxid, before queued requests', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.getData, path: '/d', watch: true }, { token: 'g', watch: { on: 'data', path: '/d', watcher: 'w1' } }, harness.now);
    harness.core.submit({ type: OpCode.exists, path: '/e', watch: true }, { token: 'x', watch: { on: 'exists', path: '/e', watcher: 'w2' } }, harness.now);
    harness.core.submit({ type: OpCode.addWatch, path: '/p', mode: AddWatchMode.persistentRecursive }, { token: 'a', watch: { on: 'persistentRecursive', path: '/p', watcher: 'w3' } }, harness.now);
    harness.take();
    harness.receive(replyFrame({ xid: 1, zxid: 40 }, { type: OpCode.getData, data: null, stat }));
    harness.receive(replyFrame({ xid: 2, zxid: 41, err: ErrorCode.noNode }));
    harness.receive(replyFrame({ xid: 3, zxid: 42 }, { type: OpCode.addWatch }));
    harness.core.transportClosed(harness.now, 'test');
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'queued' }, harness.now);
    harness.core.tick(harness.now);
    harness.handshake({ sessionId: 0x55n });
    const sent = harness.sent();
    assert.deepEqual(sent.map((request) => request.xid), [SpecialXid.setWatches, 4]);
    assert.deepEqual(sent[0]!.request, {
      type: OpCode.setWatches2, relativeZxid: 42,
      dataWatches: ['/d'], existWatches: ['/e'], childWatches: [], persistentWatches: [], persistentRecursiveWatches: ['/p'],
    });
    // The setWatches reply is matched in FIFO order like any other; then events reach the watchers.
    harness.receive(replyFrame({ xid: SpecialXid.setWatches }, { type: OpCode.setWatches2 }));
    const fired = harness.receive(notificationFrame(EventType.nodeCreated, '/e'));
    assert.deepEqual(fired, [{ type: 'watch', event: { type: EventType.nodeCreated, path: '/e' }, watchers: ['w2'] }]);
  });

  it('uses plain setWatches when no persistent watch exists', () => {
    const harness = new Harness();
    harness.connect();
    harness.core.submit({ type: OpCode.getChildren, path: '/k', watch: true }, { token: 'c', watch: { on: 'child', path: '/k', watcher: 'w' } }, harness.now);
    harness.take();
    harness.receive(replyFrame({ xid: 1, zxid: 7 }, { type: OpCode.getChildren, children: [] }));
    dropAndReconnect(harness);
    const [setWatches] = harness.sent();
    assert.equal(setWatches?.request.type, OpCode.setWatches);
  });

  it('takes the session as expired when the server answers the handshake with timeout 0', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.transportClosed(harness.now, 'test');
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'waiting' }, harness.now);
    harness.core.tick(harness.now);
    harness.take();
    harness.core.transportOpened(harness.now);
    harness.take();
    const actions = harness.receive(connectResponse({ sessionId: 0n, timeOut: 0 }));
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(states(actions), ['expired']);
    assert.deepEqual(replies(actions), [{ token: 'waiting', ok: false, err: ErrorCode.sessionExpired }]);
    assert.equal(harness.core.nextDeadline(), undefined);
    harness.core.submit({ type: OpCode.sync, path: '/' }, { token: 'late' }, harness.now);
    assert.deepEqual(replies(harness.take()), [{ token: 'late', ok: false, err: ErrorCode.sessionExpired }]);
  });

  it('takes the session as expired after a whole session timeout without hearing from a server', () => {
    const harness = new Harness({ reconnectPauseMsMax: 100, random: () => 0.5 });
    harness.connect({ timeOut: 3000 });
    harness.take();
    harness.core.transportClosed(harness.now, 'test');
    const lost = harness.now;
    for (let step = 0; step < 1000 && !harness.core.isFinal; step++) {
      harness.now = Math.max(harness.now, harness.core.nextDeadline() ?? harness.now);
      harness.core.tick(harness.now);
      for (const action of harness.take()) {
        if (action.type === 'open') harness.core.transportClosed(harness.now, 'refused');
      }
    }
    assert.equal(harness.core.state, 'expired');
    assert.equal(harness.now - lost, 3000);
  });
});

describe('ConnectionCore chroot', () => {
  it('prefixes request paths and strips created paths and watch event paths', () => {
    const harness = new Harness({ chroot: '/app' });
    harness.connect();
    harness.take();
    harness.core.submit({ type: OpCode.create2, path: '/n-', data: new Uint8Array(0), acl: [], flags: 2 }, { token: 'c' }, harness.now);
    harness.core.submit({ type: OpCode.getData, path: '/', watch: true }, { token: 'g', watch: { on: 'data', path: '/', watcher: 'w' } }, harness.now);
    const sent = harness.sent();
    assert.deepEqual(sent.map((request) => 'path' in request.request && request.request.path), ['/app/n-', '/app']);
    const created = harness.receive(replyFrame({ xid: 1, zxid: 3 }, { type: OpCode.create2, path: '/app/n-0000000001', stat }));
    assert.ok(created[0]?.type === 'reply' && created[0].outcome.ok && 'path' in created[0].outcome.response);
    assert.equal((created[0].outcome.response as { path: string }).path, '/n-0000000001');
    harness.receive(replyFrame({ xid: 2, zxid: 3 }, { type: OpCode.getData, data: null, stat }));
    assert.deepEqual(harness.receive(notificationFrame(EventType.nodeDataChanged, '/app')), [
      { type: 'watch', event: { type: EventType.nodeDataChanged, path: '/' }, watchers: ['w'] },
    ]);
  });
});

describe('ConnectionCore authentication and close', () => {
  it('answers addAuth on the auth reply and replays it after a reconnect', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.addAuth('digest', Buffer.from('u:p'), 'auth', harness.now);
    assert.deepEqual(harness.sent().map((request) => request.xid), [SpecialXid.auth]);
    assert.deepEqual(replies(harness.receive(replyFrame({ xid: SpecialXid.auth }))), [{ token: 'auth', ok: true }]);
    harness.core.transportClosed(harness.now, 'test');
    harness.core.tick(harness.now);
    harness.handshake({ sessionId: 0x55n });
    const [replayed] = harness.sent();
    assert.ok(replayed?.request.type === OpCode.auth && replayed.request.scheme === 'digest');
  });

  it('ends the session on authFailed', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.addAuth('bogus', Buffer.from('x'), 'auth', harness.now);
    harness.take();
    const actions = harness.receive(replyFrame({ xid: SpecialXid.auth, err: ErrorCode.authFailed }));
    assert.deepEqual(states(actions), ['authFailed']);
    assert.deepEqual(replies(actions), [{ token: 'auth', ok: false, err: ErrorCode.authFailed }]);
  });

  it('close sends closeSession and becomes closed on its reply', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.close(harness.now, 'close', 1000);
    const [closeSession] = harness.sent();
    assert.equal(closeSession?.request.type, OpCode.closeSession);
    const actions = harness.receive(replyFrame({ xid: closeSession!.xid }));
    assert.equal(actions[0]?.type, 'closeTransport');
    assert.deepEqual(states(actions), ['closed']);
    assert.deepEqual(replies(actions), [{ token: 'close', ok: true }]);
  });

  it('close gives up waiting for the closeSession reply after its timeout', () => {
    const harness = new Harness();
    harness.connect();
    harness.take();
    harness.core.close(harness.now, 'close', 500);
    harness.take();
    harness.advance(500);
    assert.deepEqual(states(harness.take()), ['closed']);
  });
});
