import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QuorumPacketType as Type, ServerState, encodeLearnerInfo, quorumProtocolVersion } from '../proto/index.js';
import { AssertionError, makeZxid } from '../util/index.js';
import { TestCluster, entry, testTimeouts } from './test-cluster.js';
import { ZabCore } from './core.js';
import { isBetterVote } from './election.js';
import type { DurableState, ZabMessage } from './types.js';

const durable = (state: Partial<DurableState>): DurableState => ({ acceptedEpoch: 0, currentEpoch: 0, snapshotZxid: 0, log: [], ...state });

describe('vote order (totalOrderPredicate)', () => {
  it('prefers a higher peer epoch, then a higher zxid, then a higher server id', () => {
    assert.ok(isBetterVote({ leader: 1, zxid: 1, peerEpoch: 2 }, { leader: 3, zxid: 99, peerEpoch: 1 }));
    assert.ok(isBetterVote({ leader: 1, zxid: 5, peerEpoch: 1 }, { leader: 3, zxid: 4, peerEpoch: 1 }));
    assert.ok(isBetterVote({ leader: 3, zxid: 5, peerEpoch: 1 }, { leader: 2, zxid: 5, peerEpoch: 1 }));
    assert.ok(!isBetterVote({ leader: 2, zxid: 5, peerEpoch: 1 }, { leader: 2, zxid: 5, peerEpoch: 1 }));
  });
});

describe('fast leader election', () => {
  it('elects the highest id among empty servers and establishes epoch 1', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.equal(cluster.leader(), 3);
    for (const id of [1, 2, 3]) assert.equal(cluster.core(id).status().currentEpoch, 1);
  });

  it('elects the server with the most recent history, not the highest id', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b')] })],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.equal(cluster.leader(), 1);
    assert.deepEqual(cluster.appliedText(3), ['a', 'b'], 'the new leader commits its whole history');
  });

  it('prefers a higher currentEpoch over a longer log', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b'), entry(1, 3, 'c')] })],
      [2, durable({ acceptedEpoch: 2, currentEpoch: 2, log: [entry(1, 1, 'a'), entry(2, 1, 'x')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.equal(cluster.leader(), 2);
    assert.deepEqual(cluster.appliedText(1), ['a', 'x'], 'server 1 truncated b and c, which were never committed');
  });

  it('answers a server of its round that has not seen its better vote', () => {
    const core = new ZabCore({ id: 1, voters: [1, 2, 3], ...testTimeouts }, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] }));
    core.ready();
    const worse = { state: ServerState.looking, leader: 2, zxid: 0, electionEpoch: 1, peerEpoch: 0, version: 2, config: new Uint8Array(0) };
    core.step(2, { kind: 'notification', notification: worse });
    const answers = core.ready().messages.filter((message) => message.to === 2 && message.message.kind === 'notification');
    assert.equal(answers.length, 1);
    const answer = answers[0]!.message;
    assert.ok(answer.kind === 'notification' && answer.notification.leader === 1 && answer.notification.zxid === makeZxid(1, 1));
  });

  it('waits finalizeWaitTicks after reaching agreement before deciding', () => {
    const cluster = new TestCluster([1, 2, 3], { config: { finalizeWaitTicks: 4 } });
    cluster.deliverAll();
    assert.equal(cluster.core(3).status().role, 'looking', 'agreement is reached but the finalize wait is running');
    cluster.tick(3);
    assert.equal(cluster.core(3).status().role, 'looking');
    cluster.tick(2);
    assert.equal(cluster.core(3).status().role, 'leading');
  });

  it('lets a restarted server join the established leader through FOLLOWING/LEADING answers', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.isolate(1);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 3 && cluster.core(2).status().established, 50));
    cluster.propose(3, 'w1');
    cluster.tick(2);
    cluster.heal(1);
    assert.ok(cluster.tickUntil(() => cluster.core(1).status().established, 80));
    assert.equal(cluster.core(1).status().leader, 3);
    assert.deepEqual(cluster.appliedText(1), ['w1']);
  });
});

describe('synchronisation', () => {
  it('sends a lagging follower the missing txns (DIFF) and commits them', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b'), entry(1, 3, 'c')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'b'), entry(1, 3, 'c')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.equal(cluster.sentPackets(3, Type.diff).filter((sent) => sent.to === 1).length, 1);
    assert.deepEqual(cluster.appliedText(1), ['a', 'b', 'c']);
  });

  it('truncates a follower txn the leader never had (TRUNC), never below what is committed', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a'), entry(1, 2, 'lost')] })],
      [2, durable({ acceptedEpoch: 2, currentEpoch: 2, log: [entry(1, 1, 'a'), entry(2, 1, 'x')] })],
      [3, durable({ acceptedEpoch: 2, currentEpoch: 2, log: [entry(1, 1, 'a'), entry(2, 1, 'x')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    const trunc = cluster.sentPackets(cluster.leader()!, Type.trunc).find((sent) => sent.to === 1);
    assert.ok(trunc !== undefined && trunc.message.kind === 'packet');
    assert.equal(trunc.message.packet.zxid, makeZxid(1, 1));
    assert.deepEqual(cluster.persisted.get(1)!.find((record) => record.kind === 'truncate'), { kind: 'truncate', zxid: makeZxid(1, 1) });
    assert.deepEqual(cluster.appliedText(1), ['a', 'x']);
  });

  it('sends a snapshot (SNAP) to a follower behind the compacted log', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.isolate(1);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 3 && cluster.core(2).status().established, 50));
    cluster.propose(3, 'w1');
    cluster.propose(3, 'w2');
    cluster.tick(1);
    cluster.core(3).compacted(cluster.core(3).status().appliedZxid);
    cluster.heal(1);
    assert.ok(cluster.tickUntil(() => cluster.core(1).status().established, 80));
    const snapshot = cluster.persisted.get(1)!.find((record) => record.kind === 'snapshot');
    assert.ok(snapshot !== undefined && snapshot.kind === 'snapshot');
    assert.equal(new TextDecoder().decode(snapshot.data), 'state of 3');
    assert.equal(cluster.core(1).status().appliedZxid, cluster.core(3).status().appliedZxid);
  });

  it('sends a SNAP to a follower below the log window\'s applied tail, without any snapshot compaction', () => {
    const cluster = new TestCluster([1, 2, 3], { config: { logWindow: { appliedTxnsMax: 2, appliedBytesMax: 1024 } } });
    cluster.isolate(1);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 3 && cluster.core(2).status().established, 50));
    for (const text of ['w1', 'w2', 'w3']) cluster.propose(3, text);
    assert.ok(cluster.tickUntil(() => cluster.appliedText(3).length === 3, 20));
    assert.equal(cluster.core(3).logEntries().length, 2, 'the leader keeps two applied txns');
    cluster.heal(1);
    assert.ok(cluster.tickUntil(() => cluster.core(1).status().established, 80));
    assert.ok(cluster.sentPackets(3, Type.snap).some((sent) => sent.to === 1));
    assert.equal(cluster.core(1).status().appliedZxid, cluster.core(3).status().appliedZxid);
  });

  it('sends a DIFF to a follower whose last zxid is the window\'s base (the last txn the bounds dropped)', () => {
    const cluster = new TestCluster([1, 2, 3], { config: { logWindow: { appliedTxnsMax: 2, appliedBytesMax: 1024 } } });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.propose(cluster.leader()!, 'w1');
    assert.ok(cluster.tickUntil(() => cluster.appliedText(1).length === 1 && cluster.appliedText(2).length === 1 && cluster.appliedText(3).length === 1, 20));
    const leader = cluster.leader()!;
    const lagging = [1, 2, 3].find((id) => id !== leader)!;
    cluster.isolate(lagging);
    for (const text of ['w2', 'w3']) cluster.propose(leader, text);
    assert.ok(cluster.tickUntil(() => cluster.appliedText(leader).length === 3, 20));
    assert.equal(cluster.core(leader).logEntries()[0]!.zxid, makeZxid(1, 2), 'w1 was dropped: it is the base');
    const diffsBefore = cluster.sentPackets(leader, Type.diff).filter((sent) => sent.to === lagging).length;
    cluster.heal(lagging);
    assert.ok(cluster.tickUntil(() => cluster.appliedText(lagging).length === 3, 80));
    assert.equal(cluster.sentPackets(leader, Type.diff).filter((sent) => sent.to === lagging).length, diffsBefore + 1);
    assert.ok(!cluster.sentPackets(leader, Type.snap).some((sent) => sent.to === lagging));
    assert.deepEqual(cluster.appliedText(lagging), ['w1', 'w2', 'w3']);
  });

  it('ACKs NEWLEADER only after the synced txns are durable, and after writing currentEpoch', () => {
    const logs = new Map([
      [1, durable({})],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    cluster.withholdPersist.add(1);
    cluster.tickUntil(() => cluster.leader() !== undefined, 50);
    cluster.tick(5);
    assert.equal(cluster.sentPackets(1, Type.ack).length, 0, 'no ACK while the DIFF is not durable');
    assert.equal(cluster.core(1).status().currentEpoch, 0);
    cluster.release(1);
    const readies = cluster.readies.get(1)!;
    const ackReady = readies.find((ready) => ready.messages.some((m) => m.message.kind === 'packet' && m.message.packet.type === Type.ack));
    assert.ok(ackReady !== undefined);
    assert.deepEqual(ackReady.persist, [{ kind: 'currentEpoch', epoch: 2 }], 'currentEpoch goes out with (before) the ACK');
  });
});

describe('broadcast', () => {
  it('commits a proposal once a quorum has it durable, and not before', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.withholdPersist.add(1);
    cluster.withholdPersist.add(2);
    const zxid = cluster.propose(3, 'w1');
    cluster.deliverAll();
    assert.equal(cluster.core(3).status().committedZxid < zxid, true, 'the leader alone is not a quorum');
    assert.equal(cluster.sentPackets(1, Type.ack).length, 1, 'only the NEWLEADER ACK so far');
    cluster.release(1);
    cluster.deliverAll();
    assert.equal(cluster.core(3).status().committedZxid, zxid);
    assert.deepEqual(cluster.appliedText(3), ['w1']);
    assert.deepEqual(cluster.appliedText(1), ['w1']);
  });

  it('refuses proposals on a follower and before the epoch is established', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.deepEqual(cluster.core(3).propose(new Uint8Array([1])), { ok: false, reason: 'not-leader' });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.deepEqual(cluster.core(1).propose(new Uint8Array([1])), { ok: false, reason: 'not-leader' });
  });
});

describe('what operators see (learners, zabPhase, proposalSizes)', () => {
  it('lists the leader\'s learners with their phase and acknowledged zxid, observers marked', () => {
    const cluster = new TestCluster([1, 2, 3], { observers: [4] });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    const leader = cluster.core(3);
    const zxid = cluster.propose(3, 'w1');
    cluster.deliverAll();
    assert.deepEqual(leader.learners().sort((a, b) => a.id - b.id), [
      { id: 1, observer: false, phase: 'synced', ackedZxid: zxid },
      { id: 2, observer: false, phase: 'synced', ackedZxid: zxid },
      { id: 4, observer: true, phase: 'synced', ackedZxid: 0 },
    ]);
    assert.deepEqual(cluster.core(1).learners(), [], 'a follower has no learners');
    assert.equal(leader.zabPhase(), 'broadcast');
    assert.equal(cluster.core(4).zabPhase(), 'broadcast');
  });

  it('drops a learner from the view when its connection breaks', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.isolate(1);
    assert.deepEqual(cluster.core(3).learners().map((learner) => learner.id), [2]);
  });

  it('reports election while looking and the sizes of the txns proposed in this term', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.equal(cluster.core(1).zabPhase(), 'election');
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    assert.deepEqual(cluster.core(3).proposalSizes(), { last: -1, min: -1, max: -1 });
    cluster.propose(3, 'a-longer-txn');
    cluster.propose(3, 'w');
    assert.deepEqual(cluster.core(3).proposalSizes(), { last: 1, min: 1, max: 12 });
    assert.deepEqual(cluster.core(1).proposalSizes(), { last: -1, min: -1, max: -1 });
  });
});

describe('timeouts', () => {
  it('a leader that hears from no follower for syncLimit ticks steps down', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.isolate(3);
    assert.ok(cluster.tickUntil(() => cluster.core(3).status().role === 'looking', 8));
    const change = cluster.roles.get(3)!.at(-1);
    assert.equal(change?.reason, 'leader: lost its synced quorum');
  });

  it('followers of a silent leader elect a new one that keeps every committed txn', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.propose(3, 'w1');
    cluster.deliverAll();
    cluster.isolate(3);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 2, 80));
    cluster.propose(2, 'w2');
    cluster.tick(2);
    assert.deepEqual(cluster.appliedText(1), ['w1', 'w2']);
  });
});

describe('one established leader per epoch', () => {
  it('syncs a learner that already accepted the new epoch elsewhere only after establishing without it', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 2, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [3, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    cluster.isolate(1);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 3, 50));
    assert.equal(cluster.core(3).status().epoch, 2, 'epoch 2 is decided without server 1, which already accepted 2');
    cluster.heal(1);
    assert.ok(cluster.tickUntil(() => cluster.core(1).status().established, 80));
    assert.equal(cluster.core(1).status().leader, 3);
    const readies = cluster.readies.get(3)!;
    const establishedAt = readies.findIndex((ready) => ready.roleChanges.some((change) => change.established));
    const syncOfOneAt = readies.findIndex((ready) => ready.messages.some((m) => m.to === 1 && m.message.kind === 'packet' && m.message.packet.type === Type.diff));
    assert.ok(establishedAt >= 0 && syncOfOneAt > establishedAt, 'server 1 could not help establish epoch 2');
  });
});

describe('learners ahead of the leader\'s epoch', () => {
  const lookingSince = (cluster: TestCluster, id: number, from: number): string[] =>
    cluster.roles.get(id)!.slice(from).filter((change) => change.role === 'looking').map((change) => change.reason);

  it('an established leader gives up for a learner that accepted a higher epoch, and the next epoch is above it', () => {
    const logs = new Map([
      [1, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [2, durable({ acceptedEpoch: 1, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
      [3, durable({ acceptedEpoch: 40, currentEpoch: 1, log: [entry(1, 1, 'a')] })],
    ]);
    const cluster = new TestCluster([1, 2, 3], { durable: logs });
    cluster.isolate(3);
    assert.ok(cluster.tickUntil(() => cluster.leader() === 2 && cluster.core(1).status().established, 50));
    assert.equal(cluster.core(2).status().epoch, 2);
    const rolesBefore = cluster.roles.get(2)!.length;
    cluster.heal(3);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 100));
    assert.deepEqual(lookingSince(cluster, 2, rolesBefore), ['leader: learner 3 accepted epoch 40, above our established 2']);
    assert.equal(cluster.core(cluster.leader()!).status().epoch, 41, 'one election, not one per epoch of the gap');
    assert.deepEqual(cluster.appliedText(3), ['a']);
  });

  it('a learner that reconnects with the epoch it accepted from this leader is synced, and the leader stays', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    const rolesBefore = cluster.roles.get(3)!.length;
    cluster.isolate(1);
    cluster.propose(3, 'w1');
    cluster.tick(2);
    cluster.heal(1);
    assert.ok(cluster.tickUntil(() => cluster.core(1).status().established, 80));
    assert.equal(cluster.core(1).status().acceptedEpoch, 1, 'its FOLLOWERINFO named the leader\'s own epoch');
    assert.deepEqual(cluster.roles.get(3)!.slice(rolesBefore), [], 'server 3 led epoch 1 throughout');
    assert.deepEqual(cluster.appliedText(1), ['w1']);
  });

  it('only a configured member can unseat the leader that way', () => {
    const cluster = new TestCluster([1, 2, 3], { observers: [4] });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 60));
    const ahead = (serverId: number): ZabMessage => ({
      kind: 'packet',
      packet: { type: Type.observerInfo, zxid: makeZxid(7, 0), data: encodeLearnerInfo({ serverId, protocolVersion: quorumProtocolVersion, configVersion: 0 }), authinfo: null },
    });
    cluster.core(3).step(9, ahead(9));
    cluster.drain(3);
    assert.equal(cluster.core(3).status().role, 'leading', 'a stranger naming epoch 7 changes nothing');
    cluster.core(3).step(4, ahead(4));
    cluster.drain(3);
    assert.equal(cluster.core(3).status().role, 'looking', 'observer 4 naming epoch 7 is a member ahead of epoch 1');
    assert.equal(cluster.core(3).status().acceptedEpoch, 7);
  });
});

describe('driver contract', () => {
  it('refuses a persisted() report beyond the end of the log', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.throws(() => cluster.core(1).persisted(makeZxid(1, 5)), AssertionError);
  });

  it('refuses a compaction beyond the applied state', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.withholdPersist.add(1);
    cluster.withholdPersist.add(2);
    const zxid = cluster.propose(3, 'w1');
    assert.throws(() => cluster.core(3).compacted(zxid), AssertionError);
  });

  it('treats a zxid gap on the leader connection as a broken invariant', () => {
    const cluster = new TestCluster([1, 2, 3]);
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 50));
    cluster.propose(3, 'w1');
    cluster.deliverAll();
    const gap = { type: Type.proposal, zxid: makeZxid(1, 3), data: new Uint8Array([1]), authinfo: null };
    assert.throws(() => cluster.core(1).step(3, { kind: 'packet', packet: gap }), /zxid gap/);
  });
});

describe('observers', () => {
  it('learn the leader, sync, and receive each committed txn as INFORM without voting', () => {
    const cluster = new TestCluster([1, 2, 3], { observers: [4] });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 60));
    assert.equal(cluster.core(4).status().role, 'observing');
    assert.equal(cluster.core(4).status().leader, 3);
    cluster.propose(3, 'w1');
    cluster.deliverAll();
    assert.deepEqual(cluster.appliedText(4), ['w1']);
    assert.equal(cluster.sentPackets(3, Type.proposal).filter((sent) => sent.to === 4).length, 0, 'no PROPOSAL to an observer');
    assert.equal(cluster.sentPackets(3, Type.inform).filter((sent) => sent.to === 4).length, 1);
    assert.equal(cluster.sentPackets(4, Type.ack).length, 1, 'only the NEWLEADER ACK');
  });

  it('do not count towards a quorum', () => {
    const cluster = new TestCluster([1, 2, 3], { observers: [4, 5] });
    assert.ok(cluster.tickUntil(() => cluster.allEstablished(), 60));
    cluster.isolate(1);
    cluster.isolate(2);
    assert.ok(cluster.tickUntil(() => cluster.core(3).status().role === 'looking', 10), 'two observers do not keep a leader alive');
    cluster.tick(30);
    assert.equal(cluster.leader(), undefined);
  });
});
