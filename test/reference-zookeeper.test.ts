// The reference-server harness itself: Apache ZooKeeper starts on loopback, answers four-letter
// words, serves a real third-party client, and is gone (process and files) after stop().

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sendFourLetterWord } from './helpers/four-letter.js';
import { NodeZkClient } from './helpers/node-zk-client.js';
import { referenceSkipReason, startReferenceZooKeeper, type ReferenceZooKeeper } from './helpers/reference-zookeeper.js';

describe('reference Apache ZooKeeper harness', { skip: referenceSkipReason(), timeout: 60_000 }, () => {
  let server: ReferenceZooKeeper;
  let client: NodeZkClient | undefined;

  before(async () => {
    server = await startReferenceZooKeeper();
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('binds 127.0.0.1 and answers ruok with imok', async (t) => {
    t.diagnostic(`reference ZooKeeper started in ${server.startupMs} ms on ${server.connectString}`);
    assert.equal(server.host, '127.0.0.1');
    assert.equal(await sendFourLetterWord(server, 'ruok'), 'imok');
  });

  it('reports a standalone 3.8 server in srvr', async () => {
    const reply = await sendFourLetterWord(server, 'srvr');
    assert.match(reply, /^Zookeeper version: 3\.8\./);
    assert.match(reply, /^Mode: standalone$/m);
  });

  it('has every four-letter word enabled', async () => {
    const reply = await sendFourLetterWord(server, 'mntr');
    assert.match(reply, /^zk_server_state\tstandalone$/m);
  });

  it('creates, reads and deletes a znode for node-zookeeper-client', async () => {
    client = await NodeZkClient.connect(server.connectString);
    assert.equal(await client.create('/harness', Buffer.from('hello')), '/harness');
    const { data, stat } = await client.getData('/harness');
    assert.equal(data?.toString(), 'hello');
    assert.equal(stat.version, 0);
    assert.equal(stat.dataLength, 5);
    await client.remove('/harness');
    assert.equal(await client.exists('/harness'), null);
  });

  it('stop() kills the server and removes its data directory', async () => {
    client?.close();
    client = undefined;
    await server.stop();
    assert.equal(existsSync(server.dataDir), false);
    await assert.rejects(sendFourLetterWord(server, 'ruok', { timeoutMs: 2000 }), /ECONNREFUSED/);
  });
});
