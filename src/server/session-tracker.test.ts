import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionTracker } from './session-tracker.js';
import { passwordMatches, sessionPassword } from './session-password.js';

describe('SessionTracker', () => {
  const tick = 100;

  it('expires a session once its timeout passes without a touch', () => {
    const tracker = new SessionTracker({ tickTimeMs: tick, serverId: 1, nowMs: 0 });
    const session = tracker.add(tracker.allocateId(), 1000, 0);
    assert.deepEqual(tracker.expire(1000), []);
    const expired = tracker.expire(1100);
    assert.deepEqual(expired.map((s) => s.id), [session.id]);
    assert.equal(session.closing, true);
  });

  it('keeps a session alive while it is touched', () => {
    const tracker = new SessionTracker({ tickTimeMs: tick, serverId: 1, nowMs: 0 });
    const session = tracker.add(tracker.allocateId(), 1000, 0);
    for (let now = 0; now <= 5000; now += 500) {
      tracker.touch(session, now);
      assert.deepEqual(tracker.expire(now), []);
    }
  });

  it('never expires a session marked closing', () => {
    const tracker = new SessionTracker({ tickTimeMs: tick, serverId: 1, nowMs: 0 });
    const session = tracker.add(tracker.allocateId(), 1000, 0);
    tracker.markClosing(session);
    assert.deepEqual(tracker.expire(10_000), []);
  });

  it('puts the server id in the top byte of session ids and hands out distinct ids', () => {
    const tracker = new SessionTracker({ tickTimeMs: tick, serverId: 5, nowMs: 1_700_000_000_000 });
    const first = tracker.allocateId();
    const second = tracker.allocateId();
    assert.equal(BigInt.asUintN(64, first) >> 56n, 5n);
    assert.equal(second, first + 1n);
  });
});

describe('session passwords', () => {
  it('are 16 bytes, deterministic per session id, and differ between sessions', () => {
    const a = sessionPassword(0x1000001n);
    assert.equal(a.length, 16);
    assert.deepEqual(sessionPassword(0x1000001n), a);
    assert.notDeepEqual(sessionPassword(0x1000002n), a);
    assert.ok(passwordMatches(0x1000001n, a));
    assert.ok(!passwordMatches(0x1000002n, a));
    assert.ok(!passwordMatches(0x1000001n, new Uint8Array(16)));
  });
});
