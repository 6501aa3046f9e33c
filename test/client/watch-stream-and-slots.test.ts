// The async-iterable watch stream (queueing, ending, overflow) and the outstanding-call bound.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatchQueueOverflowError, WatchStream, watchStreamEventsQueuedMax, type ClientWatchEvent } from '../../src/client/index.js';
import { Slots } from '../../src/client/slots.js';

const event = (path: string): ClientWatchEvent => ({ type: 'nodeDataChanged', path });

function stream(): { stream: WatchStream; unregistered: () => number } {
  let unregistered = 0;
  const created = new WatchStream(async () => undefined, async () => {
    unregistered++;
  });
  return { stream: created, unregistered: () => unregistered };
}

describe('WatchStream', () => {
  it('yields queued events in order, then waits for the next', async () => {
    const { stream: watch } = stream();
    watch.deliver(event('/a'));
    watch.deliver(event('/b'));
    assert.deepEqual(await watch.next(), { value: event('/a'), done: false });
    assert.deepEqual(await watch.next(), { value: event('/b'), done: false });
    const pending = watch.next();
    watch.deliver(event('/c'));
    assert.deepEqual(await pending, { value: event('/c'), done: false });
  });

  it('unregisters when the consumer breaks out of for-await', async () => {
    const { stream: watch, unregistered } = stream();
    watch.deliver(event('/a'));
    for await (const received of watch) {
      assert.deepEqual(received, event('/a'));
      break;
    }
    assert.equal(unregistered(), 1);
    assert.deepEqual(await watch.next(), { value: undefined, done: true });
  });

  it('ends when its watch is removed, and with the error the session ended with', async () => {
    const { stream: removed } = stream();
    removed.deliver({ type: 'persistentWatchRemoved', path: '/a' });
    assert.equal((await removed.next()).done, true);
    const { stream: expired } = stream();
    expired.deliver(event('/a'));
    expired.end(new Error('expired'));
    assert.deepEqual(await expired.next(), { value: event('/a'), done: false }, 'queued events come first');
    await assert.rejects(expired.next(), /expired/);
  });

  it('ends with WatchQueueOverflowError when the consumer falls too far behind', async () => {
    const { stream: watch, unregistered } = stream();
    for (let index = 0; index <= watchStreamEventsQueuedMax; index++) watch.deliver(event(`/${index}`));
    await assert.rejects(watch.next(), WatchQueueOverflowError);
    assert.equal(unregistered(), 1);
  });

  it('ends with the registration error', async () => {
    const failing = new WatchStream(async () => {
      throw new Error('NoAuth');
    }, async () => undefined);
    await assert.rejects(failing.ready, /NoAuth/);
    await assert.rejects(failing.next(), /NoAuth/);
  });
});

describe('Slots', () => {
  const timeoutError = (): Error => new Error('timed out');

  it('grants up to its capacity, then in arrival order as slots are released', async () => {
    const slots = new Slots(1);
    await slots.acquire(undefined, undefined, timeoutError);
    const order: number[] = [];
    const second = slots.acquire(undefined, undefined, timeoutError).then(() => order.push(2));
    const third = slots.acquire(undefined, undefined, timeoutError).then(() => order.push(3));
    slots.release();
    await second;
    slots.release();
    await third;
    assert.deepEqual(order, [2, 3]);
    assert.equal(slots.inUse, 1);
  });

  it('stops waiting on abort or at the deadline without taking a slot', async () => {
    const slots = new Slots(1);
    await slots.acquire(undefined, undefined, timeoutError);
    const controller = new AbortController();
    const aborted = slots.acquire(controller.signal, undefined, timeoutError);
    controller.abort(new Error('aborted'));
    await assert.rejects(aborted, /aborted/);
    await assert.rejects(slots.acquire(undefined, Date.now() + 10, timeoutError), /timed out/);
    slots.release();
    assert.equal(slots.inUse, 0);
  });
});
