// The client's handling of two server behaviours Meerkat's server does not produce yet, against
// fake members on real sockets (fake-member.ts): the read-only state (connect to a read-only member
// with canBeReadOnly, NOTREADONLY on writes, probe the others with isro and move to a read-write one)
// and SESSIONMOVED (taken as a connection loss: the client reattaches its session elsewhere).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ZooKeeperClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/proto/index.js';
import { nextEvent, within } from '../helpers/waits.js';
import { FakeMember } from './fake-member.js';

const members: FakeMember[] = [];
const clients: ZooKeeperClient[] = [];

async function fakeMembers(...modes: Array<FakeMember['mode']>): Promise<FakeMember[]> {
  const started = await Promise.all(modes.map((mode) => FakeMember.start(mode)));
  members.push(...started);
  return started;
}

async function connect(connectString: string, options: Parameters<typeof ZooKeeperClient.connect>[1] = {}): Promise<ZooKeeperClient> {
  const client = await within(ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 3000, shuffleHosts: false, retry: false, ...options }), 5000, 'connect');
  clients.push(client);
  return client;
}

describe('the client against fake members', { timeout: 30_000 }, () => {
  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 200 }).catch(() => undefined)));
    await Promise.all(members.map((member) => member.stop()));
  });

  it('serves reads from a read-only member, refuses writes there, and moves to a member once it turns read-write', async () => {
    const [readOnly, partitioned] = await fakeMembers('ro', 'refusing');
    const client = await connect(`${readOnly!.connectString},${partitioned!.connectString}`, { canBeReadOnly: true });
    assert.equal(client.state, 'connectedReadOnly');
    await client.sync('/');
    readOnly!.replyErr = ErrorCode.notReadOnly;
    await assert.rejects(client.create('/w'), { name: 'NotReadOnlyError' });
    const readWrite = nextEvent(client, 'connected', 10_000);
    partitioned!.mode = 'rw';
    await readWrite;
    assert.equal(client.state, 'connected');
    assert.ok(partitioned!.probes >= 1, 'found by an isro probe');
    assert.equal(partitioned!.connects.at(-1)!.sessionId, 0n, 'a read-only session is not global: a new one is asked for');
    await client.sync('/');
  });

  it('takes SESSIONMOVED as a connection loss and reattaches the same session on the next member', async () => {
    const [stale, next] = await fakeMembers('rw', 'rw');
    const client = await connect(`${stale!.connectString},${next!.connectString}`);
    const sessionId = client.sessionId;
    stale!.replyErr = ErrorCode.sessionMoved;
    const disconnected = nextEvent(client, 'disconnected', 5000);
    await assert.rejects(client.sync('/'), { name: 'ConnectionLossError' });
    await disconnected;
    await nextEvent(client, 'connected', 5000);
    assert.equal(next!.connects.at(-1)!.sessionId, sessionId);
    await client.sync('/');
  });
});
