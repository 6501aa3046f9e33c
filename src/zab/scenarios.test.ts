// Named scenarios, most of them past ZooKeeper data-loss bugs, as small scripts. Each asserts the
// outcome and compares its full trace (deliveries, persists, applies, role changes) with a golden
// file in src/zab/golden/, so a protocol change shows up as a readable diff. Regenerate them with
//   REWRITE_GOLDEN=1 npm test -- scenarios
// and review the diff before committing it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QuorumPacketType as Type } from '../proto/index.js';
import { makeZxid } from '../util/index.js';
import { matchesGolden as matchesGoldenTrace } from '../../test/helpers/golden.js';
import { TestCluster, entry } from './test-cluster.js';
import type { DurableState } from './types.js';

function matchesGolden(name: string, cluster: TestCluster): void {
  matchesGoldenTrace('src/zab/golden', name, cluster.trace);
}

const durable = (state: Partial<DurableState>): DurableState => ({ acceptedEpoch: 0, currentEpoch: 0, snapshotZxid: 0, log: [], ...state });

describe('scenarios (golden traces)', () => {
  it('three empty servers elect server 3 and establish epoch 1', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.propose(3, 'w1');
    cluster.deliverAll();
    assert.deepEqual([1, 2, 3].map((id) => cluster.appliedText(id)), [['w1'], ['w1'], ['w1']]);
    matchesGolden('election-three-empty-servers', cluster);
  });

  it('ZOOKEEPER-1154 family: the txn a crashed leader logged alone is truncated when it returns', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.propose(3, 'w1');
    cluster.deliverAll();
    cluster.isolate(3);
    cluster.propose(3, 'never-committed');
    cluster.restart(3);
    cluster.isolate(3);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 2, 80));
    cluster.propose(2, 'w2');
    cluster.tick(2);
    cluster.heal(3);
    assert.ok(cluster.tickUntil(() => cluster.core(3).status().established, 80));
    cluster.tick(2);
    for (const id of [1, 2, 3]) assert.deepEqual(cluster.appliedText(id).slice(-2), ['w1', 'w2'], `server ${id}`);
    assert.ok(!cluster.appliedText(3).includes('never-committed'));
    assert.ok(cluster.persisted.get(3)!.some((record) => record.kind === 'truncate'));
    matchesGolden('zk-1154-uncommitted-txn-of-crashed-leader', cluster);
  });

  it('a follower that crashes between logging and persisting has not ACKed, so nothing commits on its word', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.withholdPersist.add(1);
    cluster.isolate(2);
    const zxid = cluster.propose(3, 'w1');
    cluster.deliverAll();
    assert.ok(!cluster.sentPackets(1, Type.ack).some((sent) => sent.message.kind === 'packet' && sent.message.packet.zxid === zxid));
    assert.ok(cluster.core(3).status().committedZxid < zxid);
    cluster.restart(1);
    assert.equal(cluster.core(1).status().lastZxid, 0, 'the unsynced txn is gone');
    cluster.heal(2);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished() && [1, 2, 3].every((id) => cluster.appliedText(id).includes('w1')), 100));
    matchesGolden('crash-between-logging-and-ack', cluster);
  });

  it('ZOOKEEPER-4643: a follower that crashes between writing currentEpoch and sending ACK(NEWLEADER) rejoins cleanly', () => {
    const logs = new Map([
      [1, durable({})],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    cluster.muteFrom.set(1, (ready) => ready.persist.some((record) => record.kind === 'currentEpoch'));
    assert.ok(cluster.tickUntil(() => cluster.persisted.get(1)!.some((record) => record.kind === 'currentEpoch'), 50));
    assert.equal(cluster.sentPackets(1, Type.ack).length, 1, 'the ACK was produced but never left');
    cluster.restart(1);
    assert.equal(cluster.core(1).status().currentEpoch, 2);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished() && cluster.appliedText(1).length === 2, 100));
    cluster.propose(cluster.leader()!, 'c');
    cluster.tick(2);
    assert.deepEqual(cluster.appliedText(1), ['a', 'b', 'c']);
    matchesGolden('zk-4643-crash-between-current-epoch-and-ack', cluster);
  });

  it('ZOOKEEPER-3911: a follower whose DIFF is not durable does not ACK NEWLEADER, and loses nothing on a crash', () => {
    const logs = new Map([
      [1, durable({})],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    cluster.withholdPersist.add(1);
    cluster.tickUntil(() => cluster.leader() !== undefined, 50);
    cluster.tick(3);
    assert.equal(cluster.sentPackets(1, Type.ack).length, 0);
    cluster.restart(1);
    assert.equal(cluster.core(1).status().currentEpoch, 0, 'no currentEpoch without the durable DIFF');
    assert.ok(cluster.tickUntil(() => cluster.allEstablished() && cluster.appliedText(1).length === 1, 100));
    matchesGolden('zk-3911-diff-durable-before-newleader-ack', cluster);
  });

  it('seed 8009: learners that accepted an epoch no leader established rejoin an established leader of a lower epoch', () => {
    // Servers 4, 5 and observer 6 accepted epoch 3 from a leader that never established it (the
    // seed's safety phase); servers 1-3 then establish epoch 2 without them. Each of 4-6 refuses
    // LEADERINFO(2): before the fix they looped looking -> following 3 -> looking for as long as
    // 3 held its quorum. The leader now gives up once, and the next epoch is above 3.
    const atEpoch2 = durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b')] });
    const acceptedEpoch3 = durable({ acceptedEpoch: 3, currentEpoch: 1, log: [entry(1, 1, 'a')] });
    const logs = new Map([[1, atEpoch2], [2, atEpoch2], [3, atEpoch2], [4, acceptedEpoch3], [5, acceptedEpoch3], [6, acceptedEpoch3]]);
    const cluster = new TestCluster([1, 2, 3, 4, 5], { durable: logs, observers: [6] });
    for (const id of [4, 5, 6]) cluster.isolate(id);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 3 && [1, 2].every((id) => cluster.core(id).status().established), 50));
    assert.equal(cluster.core(3).status().epoch, 2, 'the stuck state: an established epoch below what 4, 5 and 6 accepted');
    for (const id of [4, 5, 6]) cluster.heal(id);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 100), 'every member follows one leader again');
    const leader = cluster.leader()!;
    assert.equal(cluster.core(leader).status().epoch, 4);
    const stepDowns = [...cluster.roles.values()].flat().filter((change) => change.reason.includes('above our established'));
    assert.equal(stepDowns.length, 1, 'one election, not one per stale learner');
    for (const id of [1, 2, 3, 4, 5, 6]) assert.equal(cluster.core(id).status().acceptedEpoch, 4, `server ${id}`);
    cluster.propose(leader, 'c');
    cluster.tick(2);
    for (const id of [1, 2, 3, 4, 5, 6]) assert.deepEqual(cluster.appliedText(id).slice(-3), ['a', 'b', 'c'], `server ${id}`);
    matchesGolden('seed-8009-learners-ahead-of-established-epoch', cluster);
  });

  it('ZOOKEEPER-1277: a zxid counter about to wrap forces a new epoch', () => {
    const cluster = new TestCluster([1, 2, 3], { config: { firstCounter: 0xfffffffe } });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.equal(cluster.propose(3, 'last'), makeZxid(1, 0xfffffffe));
    assert.deepEqual(cluster.core(3).propose(new Uint8Array([1])), { ok: false, reason: 'epoch-exhausted' });
    cluster.drain(3);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 80));
    assert.equal(cluster.core(cluster.leader()!).status().currentEpoch, 2);
    matchesGolden('zk-1277-zxid-counter-exhaustion', cluster);
  });
});
