import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventType, WatcherType } from '../proto/index.js';
import { type WatchDelivery, WatchManager } from './watch-manager.js';

function fire(manager: WatchManager<string>, type: number, path: string): string[] {
  const out: WatchDelivery<string>[] = [];
  manager.trigger(type, path, 7, out);
  return out.map((delivery) => `${delivery.watcher}:${delivery.type}:${delivery.path}`);
}

describe('WatchManager', () => {
  it('fires a one-shot data watch once', () => {
    const manager = new WatchManager<string>();
    manager.addDataWatch('/a', 'w');
    assert.deepEqual(fire(manager, EventType.nodeDataChanged, '/a'), [`w:${EventType.nodeDataChanged}:/a`]);
    assert.deepEqual(fire(manager, EventType.nodeDataChanged, '/a'), []);
  });

  it('fires child watches on NodeChildrenChanged and on delete of the node itself', () => {
    const manager = new WatchManager<string>();
    manager.addChildWatch('/a', 'w');
    assert.deepEqual(fire(manager, EventType.nodeChildrenChanged, '/a'), [`w:${EventType.nodeChildrenChanged}:/a`]);
    manager.addChildWatch('/a', 'w');
    manager.addDataWatch('/a', 'w');
    assert.deepEqual(fire(manager, EventType.nodeDeleted, '/a'), [`w:${EventType.nodeDeleted}:/a`], 'once, though registered twice');
  });

  it('keeps persistent watches and fires recursive ones for descendants, never for child changes', () => {
    const manager = new WatchManager<string>();
    manager.addPersistentWatch('/p', 'p', false);
    manager.addPersistentWatch('/r', 'r', true);
    assert.equal(fire(manager, EventType.nodeDataChanged, '/p').length, 1);
    assert.equal(fire(manager, EventType.nodeDataChanged, '/p').length, 1);
    assert.equal(fire(manager, EventType.nodeChildrenChanged, '/p').length, 1);
    assert.deepEqual(fire(manager, EventType.nodeCreated, '/r/a/b'), [`r:${EventType.nodeCreated}:/r/a/b`]);
    assert.deepEqual(fire(manager, EventType.nodeChildrenChanged, '/r'), []);
  });

  it('removes and checks watches by type, and forgets a closed watcher', () => {
    const manager = new WatchManager<string>();
    manager.addDataWatch('/a', 'w');
    manager.addChildWatch('/a', 'w');
    assert.ok(manager.hasWatches('/a', WatcherType.children, 'w'));
    assert.ok(manager.removeWatches('/a', WatcherType.data, 'w'));
    assert.ok(!manager.removeWatches('/a', WatcherType.data, 'w'));
    manager.removeWatcher('w');
    assert.deepEqual(manager.stats(), { totalWatches: 0, watchedPaths: 0 });
  });
});
