// What operators see of an ensemble member, against a real 3-member Apache ZooKeeper 3.8 ensemble:
// a Meerkat cluster of real processes (startCluster) and ZooKeeper's QuorumPeerMain processes, each
// with its AdminServer. For the leader and a follower of each: srvr and stat line for line (values
// replaced by their kinds), mntr's member rows (peer state, learners, synced followers, quorum size,
// digest mismatches) with the same kinds and, where the state decides them, the same values, conf's
// keys in ZooKeeper's order with its membership block, isro, and the AdminServer's leader,
// voting_view, zabstate, observers and server_stats with the same JSON shape. Last, with two members
// killed in each ensemble, the survivor's answers to every four-letter word, compared exactly.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { meerkatOnlyMonitorKeys } from '../../src/admin/monitor-report.js';
import { type Cluster, type ClusterMember, startCluster } from '../../src/runtime/index.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { keyValues, kindOf, lines, shapeOf } from '../helpers/four-letter-shape.js';
import { type JsonShape, readJson } from '../helpers/json-shape.js';
import { getFreePort } from '../helpers/ports.js';
import { type ReferenceEnsemble, type ReferenceMember, startReferenceEnsemble } from '../helpers/reference-ensemble.js';
import { referenceSkipReason } from '../helpers/reference-zookeeper.js';
import { waitUntil } from '../helpers/waits.js';

interface Server {
  clientPort: number;
  adminPort: number;
}

const word = (server: Server, name: string): Promise<string> => sendFourLetterWord({ host: '127.0.0.1', port: server.clientPort }, name);

async function command(server: Server, name: string): Promise<{ shape: JsonShape; value: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.adminPort}/commands/${name}`);
  return readJson(await response.text());
}

/** mntr rows a ZooKeeper member prints that a standalone server does not, and the digest counter. */
const memberRows = [
  'server_state', 'peer_state', 'quorum_size', 'digest_mismatches_count', 'learners', 'synced_followers', 'synced_non_voting_followers',
  'synced_observers', 'pending_syncs', 'leader_uptime', 'last_proposal_size', 'max_proposal_size', 'min_proposal_size',
];

/** ZooKeeper's mntr, without its histogram rows (avg/min/max/cnt/sum/pNN of each summary). */
function monitorRows(text: string): Map<string, string> {
  const rows = keyValues(text, '\t');
  for (const key of [...rows.keys()]) if (/^zk_(avg|min|max|cnt|sum|p50|p95|p99|p999)_/.test(key) && !key.endsWith('_proposal_size') && !key.endsWith('_latency')) rows.delete(key);
  return rows;
}

/** conf as ZooKeeper prints a member's: its key=value lines in order, and the membership block after `membership: `. */
function confParts(text: string): { keys: string[]; values: Map<string, string>; membership: string[] } {
  const [head, tail] = text.split('membership: \n');
  return { keys: [...keyValues(head!, '=').keys()], values: keyValues(head!, '='), membership: tail === undefined ? [] : tail.split('\n') };
}

describe('an ensemble member reports what a ZooKeeper 3.8 member reports', { skip: referenceSkipReason(), timeout: 240_000 }, () => {
  let zk: ReferenceEnsemble;
  let cluster: Cluster;
  const meerkatAdmin = new Map<number, number>();
  const zkRoles = { leader: null as ReferenceMember | null, follower: null as ReferenceMember | null };
  const meerkatRoles = { leader: null as ClusterMember | null, follower: null as ClusterMember | null };
  const asServer = {
    zk: (member: ReferenceMember): Server => ({ clientPort: member.clientPort, adminPort: member.adminPort }),
    meerkat: (member: ClusterMember): Server => ({ clientPort: member.clientPort, adminPort: meerkatAdmin.get(member.id)! }),
  };
  const pairs = (): Array<{ role: 'leader' | 'follower'; zk: Server; meerkat: Server }> => (['leader', 'follower'] as const).map((role) => ({
    role, zk: asServer.zk(zkRoles[role]!), meerkat: asServer.meerkat(meerkatRoles[role]!),
  }));

  before(async () => {
    for (const id of [1, 2, 3]) meerkatAdmin.set(id, await getFreePort());
    zk = await startReferenceEnsemble({ size: 3 });
    cluster = await startCluster({
      size: 3, memberConfig: (id) => ({ 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(meerkatAdmin.get(id)!) }),
    });
    meerkatRoles.leader = await cluster.waitForQuorum();
    meerkatRoles.follower = cluster.members.find((member) => member.state === 'follower')!;
    zkRoles.leader = await zk.leader();
    zkRoles.follower = zk.members.find((member) => member !== zkRoles.leader)!;
    // Both leaders know both followers as synced before anything is compared.
    await waitUntil(async () => (await word(asServer.meerkat(meerkatRoles.leader!), 'mntr')).includes('zk_synced_followers\t2'), 'Meerkat leader synced', 20_000);
    await waitUntil(async () => (await word(asServer.zk(zkRoles.leader!), 'mntr')).includes('zk_synced_followers\t2'), 'ZooKeeper leader synced', 20_000);
  });

  after(async () => {
    await cluster?.stop();
    await zk?.stop();
  });

  it('srvr and stat: ZooKeeper\'s lines, Mode leader or follower, and the leader\'s proposal sizes', async () => {
    for (const { role, zk: theirs, meerkat: ours } of pairs()) {
      for (const name of ['srvr', 'stat']) {
        const [expected, actual] = [await word(theirs, name), await word(ours, name)];
        assert.deepEqual(lines(actual).map(shapeOf), lines(expected).map(shapeOf), `${name} on the ${role}`);
        assert.match(actual, new RegExp(`^Mode: ${role}$`, 'm'));
      }
    }
  });

  it('mntr: the member rows ZooKeeper prints for each role, with the same kinds, and its values where the state decides them', async () => {
    for (const { role, zk: theirs, meerkat: ours } of pairs()) {
      const expected = monitorRows(await word(theirs, 'mntr'));
      const actual = monitorRows(await word(ours, 'mntr'));
      for (const row of memberRows) {
        const key = `zk_${row}`;
        assert.equal(actual.has(key), expected.has(key), `${key} on the ${role}: ZooKeeper ${expected.has(key) ? 'prints' : 'does not print'} it`);
        if (expected.has(key)) assert.equal(kindOf(actual.get(key)!), kindOf(expected.get(key)!), `${key}'s kind on the ${role}`);
      }
      for (const key of ['zk_server_state', 'zk_peer_state', 'zk_quorum_size', 'zk_digest_mismatches_count', 'zk_learners', 'zk_synced_followers',
        'zk_synced_observers', 'zk_synced_non_voting_followers', 'zk_pending_syncs']) {
        assert.equal(actual.get(key), expected.get(key), `${key} on the ${role}`);
      }
      for (const key of actual.keys()) {
        if (meerkatOnlyMonitorKeys.includes(key.slice(3))) continue;
        assert.ok(expected.has(key), `Meerkat's ${key} on the ${role} is no row of ZooKeeper's`);
      }
    }
  });

  it('conf: ZooKeeper\'s keys in its order (serverId, initLimit, syncLimit, electionAlg, ports, peerType), then the membership', async () => {
    for (const { role, zk: theirs, meerkat: ours } of pairs()) {
      const [expected, actual] = [confParts(await word(theirs, 'conf')), confParts(await word(ours, 'conf'))];
      assert.deepEqual(actual.keys.filter((key) => expected.keys.includes(key)), expected.keys, `conf's keys on the ${role}`);
      assert.deepEqual(actual.keys.filter((key) => key.startsWith('server.')), [], 'server.N lines only in the membership block');
      for (const key of ['initLimit', 'syncLimit', 'electionAlg', 'peerType']) assert.equal(actual.values.get(key), expected.values.get(key), key);
      for (const key of ['serverId', 'electionPort', 'quorumPort']) assert.equal(kindOf(actual.values.get(key)!), 'integer', key);
      assert.equal(actual.membership.length, expected.membership.length, 'three server lines, then version=0');
      assert.equal(actual.membership.at(-1), 'version=0');
      for (const line of actual.membership.slice(0, -1)) assert.match(line, /^server\.[123]=127\.0\.0\.1:\d+:\d+:participant$/);
    }
  });

  it('isro: rw on a serving member', async () => {
    for (const { zk: theirs, meerkat: ours } of pairs()) assert.equal(await word(ours, 'isro'), await word(theirs, 'isro'));
  });

  it('the AdminServer\'s leader, voting_view, zabstate, observers, server_stats and is_read_only have ZooKeeper\'s shape', async () => {
    for (const { role, zk: theirs, meerkat: ours } of pairs()) {
      for (const name of ['leader', 'voting_view', 'zabstate', 'observers', 'server_stats', 'is_read_only', 'configuration']) {
        const [expected, actual] = [await command(theirs, name), await command(ours, name)];
        assert.deepEqual(actual.shape, expected.shape, `${name} on the ${role}`);
      }
      const [leader, zabstate] = [(await command(ours, 'leader')).value as Record<string, unknown>, (await command(ours, 'zabstate')).value as Record<string, unknown>];
      assert.equal(leader.is_leader, role === 'leader');
      assert.equal(leader.leader_id, BigInt(meerkatRoles.leader!.id));
      assert.equal(zabstate.zabstate, 'broadcast');
      assert.equal(zabstate.voting, true);
    }
  });

  it('a member without a quorum answers every four-letter word as a ZooKeeper member does', async () => {
    const [zkSurvivor, meerkatSurvivor] = [zkRoles.follower!, meerkatRoles.follower!];
    await Promise.all(zk.members.filter((member) => member !== zkSurvivor).map((member) => member.kill()));
    await Promise.all(cluster.members.filter((member) => member !== meerkatSurvivor).map((member) => member.kill()));
    const notServing = 'This ZooKeeper instance is not currently serving requests\n';
    await waitUntil(async () => (await word(asServer.zk(zkSurvivor), 'srvr')) === notServing, 'ZooKeeper survivor not serving', 30_000);
    await waitUntil(async () => (await word(asServer.meerkat(meerkatSurvivor), 'srvr')) === notServing, 'Meerkat survivor not serving', 30_000);
    for (const name of ['ruok', 'srvr', 'stat', 'mntr', 'conf', 'isro', 'cons', 'wchs', 'wchc', 'wchp', 'dirs', 'dump', 'srst', 'crst']) {
      assert.equal(await word(asServer.meerkat(meerkatSurvivor), name), await word(asServer.zk(zkSurvivor), name), name);
    }
    assert.match(await word(asServer.meerkat(meerkatSurvivor), 'envi'), /^Environment:\n/);
    for (const name of ['leader', 'server_stats', 'voting_view', 'observers', 'is_read_only', 'zabstate']) {
      const [expected, actual] = [await command(asServer.zk(zkSurvivor), name), await command(asServer.meerkat(meerkatSurvivor), name)];
      assert.deepEqual(actual.value, expected.value, name);
    }
  });
});
