// Four-letter words on Meerkat's client port, in ZooKeeper's formats: the same lines monitoring tools
// parse from Apache ZooKeeper (checked against the reference for srvr's and mntr's keys).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { RawClient } from '../helpers/raw-client.js';
import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';

const keysOf = (text: string, separator: string): string[] =>
  text.split('\n').filter((line) => line.includes(separator)).map((line) => line.slice(0, line.indexOf(separator)));

describe('four-letter words', () => {
  let server: RunningServer;
  let client: RawClient;
  let dataDir: string;
  const ask = (word: string): Promise<string> => sendFourLetterWord({ host: server.host, port: server.port }, word);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-4lw-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { fourLetterWords: new Set(['*']) } });
    client = await RawClient.connect({ host: server.host, port: server.port });
    await client.request({ type: OpCode.create, path: '/x', data: new Uint8Array(0), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    await client.request({ type: OpCode.getData, path: '/x', watch: true });
  });

  after(async () => {
    await client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ruok answers imok and isro answers rw', async () => {
    assert.equal(await ask('ruok'), 'imok');
    assert.equal(await ask('isro'), 'rw');
  });

  it('srvr reports mode, zxid and node count', async () => {
    const reply = await ask('srvr');
    assert.match(reply, /^Zookeeper version: /);
    assert.match(reply, /Mode: standalone/);
    assert.match(reply, /Node count: 5/);
    assert.match(reply, /Zxid: 0x[0-9a-f]+/);
  });

  it('stat and cons list the connected client', async () => {
    assert.match(await ask('stat'), /Clients:\n \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+/);
    assert.match(await ask('cons'), /sid=0x[0-9a-f]+/);
  });

  it('mntr reports tab-separated metrics', async () => {
    const reply = await ask('mntr');
    assert.match(reply, /^zk_version\t/m);
    assert.match(reply, /^zk_server_state\tstandalone$/m);
    assert.match(reply, /^zk_znode_count\t5$/m);
    assert.match(reply, /^zk_watch_count\t1$/m);
  });

  it('wchs, wchc and wchp describe the watch table', async () => {
    assert.match(await ask('wchs'), /watching 1 paths\nTotal watches:1/);
    assert.match(await ask('wchc'), /^0x[0-9a-f]+\n\t\/x$/m);
    assert.match(await ask('wchp'), /^\/x\n\t0x[0-9a-f]+$/m);
  });

  it('conf, envi and dirs answer', async () => {
    assert.match(await ask('conf'), /^tickTime=2000$/m);
    assert.match(await ask('envi'), /^Environment:\n/);
    assert.match(await ask('dirs'), /^datadir_size: \d+\nlogdir_size: \d+\n$/);
  });

  it('srst resets the server counters', async () => {
    assert.match(await ask('srst'), /Server stats reset/);
    assert.match(await ask('srvr'), /Received: 0/);
  });

  it('uses the same srvr and mntr keys as Apache ZooKeeper 3.8', { skip: referenceSkipReason() }, async () => {
    const zk = await startReferenceZooKeeper();
    try {
      const target = { host: zk.host, port: zk.port };
      const reference = keysOf(await sendFourLetterWord(target, 'srvr'), ':');
      assert.deepEqual(keysOf(await ask('srvr'), ':').filter((key) => reference.includes(key)), reference);
      const referenceMetrics = new Set(keysOf(await sendFourLetterWord(target, 'mntr'), '\t'));
      for (const key of ['zk_version', 'zk_server_state', 'zk_znode_count', 'zk_watch_count', 'zk_ephemerals_count',
        'zk_approximate_data_size', 'zk_num_alive_connections', 'zk_outstanding_requests', 'zk_avg_latency']) {
        assert.ok(referenceMetrics.has(key), `ZooKeeper reports ${key}`);
        assert.match(await ask('mntr'), new RegExp(`^${key}\\t`, 'm'));
      }
    } finally {
      await zk.stop();
    }
  });
});
