// Our client on a 3-member ensemble of real processes (runtime/cluster.ts): a connect string naming
// every member, a session that survives the death of its member (kill -9 of a follower, then of the
// leader) with its ephemerals and its watches (re-registered by setWatches on the new member), and
// the client-side expiry: once no member has answered for the whole session timeout — every member
// paused (SIGSTOP) or killed — the client reports the session expired without a server saying so.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ZooKeeperClient, type ClientWatchEvent } from '../../src/client/index.js';
import { type Cluster, type ClusterMember, startCluster } from '../../src/runtime/index.js';
import { nextEvent, waitUntil, within } from '../helpers/waits.js';

const clients: ZooKeeperClient[] = [];

async function connect(connectString: string, options: Parameters<typeof ZooKeeperClient.connect>[1] = {}): Promise<ZooKeeperClient> {
  const client = await within(ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 8000, ...options }), 15_000, `connect to ${connectString}`);
  clients.push(client);
  return client;
}

/** The connect string with `first` first and the other members after it (for shuffleHosts: false). */
function startingAt(cluster: Cluster, first: ClusterMember): string {
  return [first, ...cluster.members.filter((member) => member !== first)].map((member) => member.connectString).join(',');
}

describe('our client on a 3-member ensemble', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ size: 3, tickTimeMs: 200 });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 500 }).catch(() => undefined)));
    await cluster?.stop();
  });

  for (const role of ['follower', 'leader'] as const) {
    it(`keeps its session, ephemerals and watches when its member (the ${role}) is killed -9`, async () => {
      const victim = role === 'leader' ? cluster.leader()! : cluster.members.find((member) => member.state === 'follower')!;
      const client = await connect(startingAt(cluster, victim), { shuffleHosts: false });
      const writer = await connect(cluster.members.filter((member) => member !== victim).map((member) => member.connectString).join(','));
      const base = `/failover-${role}`;
      await client.create(base);
      await client.create(`${base}/mine`, null, { mode: 'ephemeral' });
      const sessionId = client.sessionId;
      const events: ClientWatchEvent[] = [];
      await client.getData(base, { watch: (event) => events.push(event) });
      await client.exists(`${base}/later`, { watch: (event) => events.push(event) });
      const disconnected = nextEvent(client, 'disconnected', 5000);
      const reconnected = nextEvent(client, 'connected', 15_000);
      await victim.kill();
      await disconnected;
      await reconnected;
      assert.equal(client.sessionId, sessionId, 'the same session on another member');
      assert.equal(client.state, 'connected');
      await cluster.waitForQuorum(15_000);
      // Written after the move: only watches re-registered on the new member can fire.
      await writer.setData(base, Buffer.from('changed'));
      await writer.create(`${base}/later`);
      await waitUntil(() => events.length === 2, 'both watches to fire on the new member', 5000);
      assert.deepEqual(events.map((event) => `${event.type} ${event.path}`).sort(), [`nodeCreated ${base}/later`, `nodeDataChanged ${base}`]);
      await writer.sync(base);
      assert.notEqual(await writer.exists(`${base}/mine`), null, 'the ephemeral lives on with its session');
      const { data } = await client.getData(base);
      assert.equal(Buffer.from(data!).toString(), 'changed', 'never older than what the session has seen');
      await victim.restart();
      await cluster.waitForQuorum(15_000);
    });
  }

  for (const fault of ['paused (SIGSTOP)', 'killed -9'] as const) {
    it(`reports the session expired once every member has been ${fault} for the session timeout`, async () => {
      const sessionTimeoutMs = 2000;
      const client = await connect(cluster.connectString, { sessionTimeoutMs });
      await client.create(`/doomed-${fault.split(' ')[0]}`, null, { mode: 'ephemeral' });
      const expired = nextEvent(client, 'expired', sessionTimeoutMs + 5000);
      const cutAt = Date.now();
      if (fault === 'killed -9') await Promise.all(cluster.members.map((member) => member.kill()));
      else for (const member of cluster.members) member.pause();
      try {
        const pending = client.getData('/', { retry: false }).then(() => 'answered', (error: Error) => error.name);
        await expired;
        const elapsed = Date.now() - cutAt;
        assert.equal(client.state, 'expired');
        assert.match(await pending, /^(ConnectionLossError|SessionExpiredError)$/);
        await assert.rejects(client.exists('/'), { name: 'SessionExpiredError' });
        // Expiry counts from the last answer (at most a ping interval before the cut).
        assert.ok(elapsed >= sessionTimeoutMs - 1000 && elapsed <= sessionTimeoutMs + 1500, `expired ${elapsed} ms after the cut`);
      } finally {
        if (fault === 'killed -9') await Promise.all(cluster.members.map((member) => member.restart()));
        else for (const member of cluster.members) member.resume();
      }
      await cluster.waitForQuorum(20_000);
      const after = await connect(cluster.connectString);
      await waitUntil(async () => (await after.exists(`/doomed-${fault.split(' ')[0]}`)) === null, 'the servers expire it too', 15_000);
    });
  }
});
