// The client's watch table: which watchers an event triggers, one-shot versus persistent, and what
// a reconnect re-registers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventType, OpCode, WatcherType } from '../../src/proto/index.js';
import { WatchRegistry } from '../../src/client/watch-registry.js';
import { buildSetWatches, setWatchesBytesMax } from '../../src/client/set-watches.js';

describe('WatchRegistry', () => {
  it('fires a one-shot data watch once, and a watcher registered twice once per event', () => {
    const registry = new WatchRegistry<string>();
    registry.add('data', '/a', 'w');
    registry.add('exist', '/a', 'w');
    assert.deepEqual(registry.trigger(EventType.nodeDataChanged, '/a'), ['w']);
    assert.deepEqual(registry.trigger(EventType.nodeDataChanged, '/a'), []);
  });

  it('sends children changes to child watches only, and deletion to data and child watches', () => {
    const registry = new WatchRegistry<string>();
    registry.add('data', '/a', 'data');
    registry.add('child', '/a', 'child');
    assert.deepEqual(registry.trigger(EventType.nodeChildrenChanged, '/a'), ['child']);
    registry.add('child', '/a', 'child');
    assert.deepEqual(registry.trigger(EventType.nodeDeleted, '/a').sort(), ['child', 'data']);
  });

  it('keeps persistent watches, and fires recursive ones for descendants except children changes', () => {
    const registry = new WatchRegistry<string>();
    registry.add('persistent', '/a', 'p');
    registry.add('persistentRecursive', '/', 'r');
    assert.deepEqual(registry.trigger(EventType.nodeDataChanged, '/a').sort(), ['p', 'r']);
    assert.deepEqual(registry.trigger(EventType.nodeDataChanged, '/a').sort(), ['p', 'r']);
    assert.deepEqual(registry.trigger(EventType.nodeCreated, '/a/b/c'), ['r']);
    assert.deepEqual(registry.trigger(EventType.nodeChildrenChanged, '/a'), ['p']);
  });

  it('removes by watcher type as removeWatches does (data covers exist watches)', () => {
    const registry = new WatchRegistry<string>();
    registry.add('data', '/a', 'd');
    registry.add('exist', '/a', 'e');
    registry.add('child', '/a', 'c');
    assert.deepEqual(registry.removeAll('/a', WatcherType.data).map((entry) => entry.watcher), ['d', 'e']);
    assert.deepEqual(registry.removeAll('/a', WatcherType.any).map((entry) => entry.watcher), ['c']);
    assert.equal(registry.size, 0);
  });

  it('lists its paths by kind for re-registration', () => {
    const registry = new WatchRegistry<string>();
    registry.add('data', '/d', 'w');
    registry.add('persistent', '/p', 'w');
    assert.deepEqual(registry.paths(), { data: ['/d'], exist: [], child: [], persistent: ['/p'], persistentRecursive: [] });
  });
});

describe('buildSetWatches', () => {
  const none = { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };

  it('builds nothing without watches', () => {
    assert.deepEqual(buildSetWatches(none, 5, (path) => path), []);
  });

  it('splits many paths over requests within the byte budget, each relative to the zxid', () => {
    const long = 'x'.repeat(1000);
    const data = Array.from({ length: 300 }, (_, index) => `/${long}${index}`);
    const requests = buildSetWatches({ ...none, data }, 9, (path) => `/root${path}`);
    assert.ok(requests.length >= 3);
    assert.deepEqual(requests.flatMap((request) => request.dataWatches), data.map((path) => `/root${path}`));
    for (const request of requests) {
      assert.equal(request.type, OpCode.setWatches);
      assert.equal(request.relativeZxid, 9);
      assert.ok(request.dataWatches.join('').length <= setWatchesBytesMax);
    }
  });
});
