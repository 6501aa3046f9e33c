// Four-letter words on Meerkat's client port, in ZooKeeper's formats: the same lines monitoring tools
// parse from Apache ZooKeeper, checked word by word against a live ZooKeeper 3.8 in the same state.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { RawClient } from '../helpers/raw-client.js';
import { expirySection, groupShapes, keyValues, kindOf, lines, shapeOf } from '../helpers/four-letter-shape.js';
import { type ReferenceZooKeeper, referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';

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
    // Four nodes, /x, and the root counted twice, as ZooKeeper counts it.
    assert.match(reply, /Node count: 6/);
    assert.match(reply, /Zxid: 0x[0-9a-f]+/);
  });

  it('stat and cons list the connected client', async () => {
    assert.match(await ask('stat'), /Clients:\n \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+\)\n/);
    assert.match(await ask('cons'), /sid=0x[0-9a-f]+,lop=GETD,est=\d+,to=30000,lcxid=0x2,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)/);
  });

  it('mntr reports tab-separated metrics', async () => {
    const reply = await ask('mntr');
    assert.match(reply, /^zk_version\t/m);
    assert.match(reply, /^zk_server_state\tstandalone$/m);
    assert.match(reply, /^zk_znode_count\t6$/m);
    assert.match(reply, /^zk_watch_count\t1$/m);
  });

  it('wchs, wchc and wchp describe the watch table', async () => {
    assert.match(await ask('wchs'), /watching 1 paths\nTotal watches:1/);
    assert.match(await ask('wchc'), /^0x[0-9a-f]+\n\t\/x\n\n$/m);
    assert.match(await ask('wchp'), /^\/x\n\t0x[0-9a-f]+\n\n$/m);
  });

  it('conf, envi and dirs answer', async () => {
    assert.match(await ask('conf'), /^tickTime=2000$/m);
    assert.match(await ask('envi'), /^Environment:\n/);
    assert.match(await ask('dirs'), /^datadir_size: \d+\nlogdir_size: \d+\n$/);
  });

  it('srst resets the server counters', async () => {
    assert.match(await ask('srst'), /Server stats reset/);
    // As ZooKeeper: the srst reply was sent after the reset, and srvr itself was received.
    assert.match(await ask('srvr'), /^Received: 1\nSent: 1\n/m);
  });
});

// The same state on Apache ZooKeeper 3.8 and on Meerkat: two sessions, an ephemeral node each, a
// data, a child and an exist watch. Every word's reply must have ZooKeeper's structure: the same
// lines in the same order, the same keys and field names, values of the same kind, and the same
// values where the state decides them. docs/four-letter-words.md lists what differs on purpose.
describe('four-letter words, differential against Apache ZooKeeper 3.8', { skip: referenceSkipReason() }, () => {
  let zk: ReferenceZooKeeper;
  let meerkat: RunningServer;
  let dataDir: string;
  const clients: RawClient[] = [];
  const replies = { zk: new Map<string, string>(), meerkat: new Map<string, string>() };
  /** In this order on both; crst, srst and the words after them see the reset. */
  const words = ['ruok', 'isro', 'srvr', 'stat', 'mntr', 'conf', 'cons', 'dump', 'envi', 'wchs', 'wchc', 'wchp', 'dirs',
    'crst', 'cons-after-crst', 'srst', 'srvr-after-srst'];
  const meerkatOnlyMetrics = ['zk_last_zxid', 'zk_tree_digest', 'zk_txns_applied', 'zk_resident_set_bytes', 'zk_heap_used_bytes'];
  const meerkatOnlyConf = [
    'clientPortAddress', 'snapCount', 'forceSync', 'jute.maxbuffer', '4lw.commands.whitelist', 'maxCnxns',
    'meerkat.connectionOutputSoftBytes', 'meerkat.connectionOutputHardBytes', 'meerkat.connectionOutputStallMs', 'meerkat.serverOutputBytes',
  ];
  const meerkatOnlyEnvironment = ['node.version', 'process.pid'];

  async function populate(target: { host: string; port: number }): Promise<void> {
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const a = await RawClient.connect(target);
    const b = await RawClient.connect(target);
    clients.push(a, b);
    await a.request({ type: OpCode.create, path: '/app', data: new Uint8Array(3), acl, flags: 0 });
    await a.request({ type: OpCode.create, path: '/app/e1', data: new Uint8Array(0), acl, flags: 1 });
    await b.request({ type: OpCode.create, path: '/app/e2', data: new Uint8Array(0), acl, flags: 1 });
    await b.request({ type: OpCode.getData, path: '/app', watch: true });
    await b.request({ type: OpCode.getChildren, path: '/app', watch: true });
    await a.request({ type: OpCode.exists, path: '/app/e1', watch: true });
  }

  async function askAll(target: { host: string; port: number }, into: Map<string, string>): Promise<void> {
    for (const word of words) into.set(word, await sendFourLetterWord(target, word.slice(0, 4)));
  }

  before(async () => {
    zk = await startReferenceZooKeeper();
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-4lw-differential-'));
    meerkat = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { fourLetterWords: new Set(['*']) } });
    await populate({ host: zk.host, port: zk.port });
    await populate({ host: meerkat.host, port: meerkat.port });
    await askAll({ host: zk.host, port: zk.port }, replies.zk);
    await askAll({ host: meerkat.host, port: meerkat.port }, replies.meerkat);
  });

  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await meerkat?.close();
    await zk?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const both = (word: string): [string, string] => [replies.zk.get(word)!, replies.meerkat.get(word)!];
  const shapes = (text: string): string[] => lines(text).map(shapeOf);
  /** Lines starting with ` /` (connection lines) sorted in place: ZooKeeper lists connections in hash order. */
  const connectionsSorted = (text: string): string[] => {
    const shaped = shapes(text);
    const connections = shaped.filter((line) => line.startsWith(' /')).sort();
    return shaped.map((line) => (line.startsWith(' /') ? connections.shift()! : line));
  };

  it('ruok, isro, crst and srst answer the same text', () => {
    for (const word of ['ruok', 'isro', 'crst', 'srst']) assert.equal(...both(word), word);
  });

  it('srvr has the same lines, and the same connections, zxid, mode and node count', () => {
    const [reference, ours] = both('srvr');
    assert.deepEqual(shapes(ours), shapes(reference));
    const stateLines = (text: string): string[] => lines(text).filter((line) => /^(Connections|Outstanding|Zxid|Mode|Node count):/.test(line));
    assert.deepEqual(stateLines(ours), stateLines(reference));
  });

  it('stat lists every connection (the asker too) with the brief fields, then the srvr lines', () => {
    const [reference, ours] = both('stat');
    assert.deepEqual(connectionsSorted(ours), connectionsSorted(reference));
  });

  it('cons prints the same fields per connection, the same operations, and crst resets them alike', () => {
    for (const word of ['cons', 'cons-after-crst']) {
      const [reference, ours] = both(word);
      assert.deepEqual(connectionsSorted(ours), connectionsSorted(reference), word);
    }
    assert.match(replies.meerkat.get('cons')!, /lop=EXIS,/);
    assert.match(replies.meerkat.get('cons-after-crst')!, /lop=NA,est=\d+,to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,/);
  });

  it('srst leaves both servers counting from the same zero', () => {
    const counters = (text: string): string[] => lines(text).filter((line) => /^(Latency|Received|Sent)/.test(line));
    assert.deepEqual(counters(both('srvr-after-srst')[1]), counters(both('srvr-after-srst')[0]));
  });

  it('mntr reports every ZooKeeper gauge, with values of the same kind and the same state', () => {
    const [reference, ours] = both('mntr').map((text) => keyValues(text, '\t'));
    assert.deepEqual([...ours.keys()].slice(0, 2), [...reference.keys()].slice(0, 2), 'version and server_state come first');
    const shared = [...ours.keys()].filter((key) => !meerkatOnlyMetrics.includes(key));
    assert.deepEqual([...ours.keys()].filter((key) => meerkatOnlyMetrics.includes(key)), meerkatOnlyMetrics);
    for (const key of shared) {
      assert.ok(reference.has(key), `ZooKeeper 3.8 reports ${key}`);
      assert.equal(kindOf(ours.get(key)!), kindOf(reference.get(key)!), `${key}: ${ours.get(key)} vs ${reference.get(key)}`);
    }
    assert.equal(shapeOf(ours.get('zk_version')!), 'VERSION');
    for (const key of ['zk_server_state', 'zk_num_alive_connections', 'zk_outstanding_requests', 'zk_znode_count', 'zk_watch_count',
      'zk_ephemerals_count', 'zk_approximate_data_size', 'zk_global_sessions', 'zk_local_sessions', 'zk_outstanding_tls_handshake',
      'zk_auth_failed_count', 'zk_connection_drop_probability']) {
      assert.equal(ours.get(key), reference.get(key), key);
    }
    // Every gauge ZooKeeperServer registers is there; what is left out is ZooKeeper's pipeline metrics.
    const gauges = ['zk_avg_latency', 'zk_max_latency', 'zk_min_latency', 'zk_packets_received', 'zk_packets_sent', 'zk_uptime',
      'zk_open_file_descriptor_count', 'zk_max_file_descriptor_count', 'zk_last_client_response_size', 'zk_max_client_response_size',
      'zk_min_client_response_size', 'zk_non_mtls_remote_conn_count', 'zk_non_mtls_local_conn_count'];
    for (const key of gauges) assert.ok(ours.has(key) && reference.has(key), key);
  });

  it('conf prints ZooKeeper\'s keys in its order, then the Meerkat settings ZooKeeper does not print', () => {
    const [reference, ours] = both('conf').map((text) => keyValues(text, '='));
    assert.deepEqual([...ours.keys()], [...reference.keys(), ...meerkatOnlyConf]);
    for (const [key, value] of reference) {
      if (key === 'dataDir' || key === 'dataLogDir') assert.match(ours.get(key)!, /^\/.*\/version-2$/, key);
      else assert.equal(shapeOf(ours.get(key)!), shapeOf(value), key);
    }
    for (const key of ['clientPort', 'dataDir', 'dataLogDir', 'dataDirSize', 'dataLogSize']) assert.notEqual(ours.get(key), undefined);
    assert.equal(ours.get('clientPort'), String(meerkat.port));
  });

  it('dump lists sessions by expiry, ephemerals by session, connections by expiry, as ZooKeeper', () => {
    const [reference, ours] = both('dump');
    const headings = (text: string): string[] => lines(text).filter((line) => /dump:$/.test(line));
    assert.deepEqual(headings(ours), ['SessionTracker dump:', 'ephemeral nodes dump:', 'Connections dump:']);
    assert.deepEqual(headings(ours), headings(reference));
    for (const section of [{ from: 'Session Sets', until: 'ephemeral nodes dump:' }, { from: 'Connections Sets' }]) {
      const [theirs, mine] = [expirySection(reference, section), expirySection(ours, section)];
      assert.equal(mine.members, theirs.members, section.from);
      assert.deepEqual(mine.memberShapes, theirs.memberShapes, section.from);
      assert.deepEqual(mine.bucketShapes, ['N expire at DATE:'], section.from);
      assert.deepEqual(theirs.bucketShapes, ['N expire at DATE:'], section.from);
    }
    const ephemerals = (text: string): string[] => groupShapes(text.slice(text.indexOf('ephemeral nodes dump:'), text.indexOf('Connections dump:')));
    assert.deepEqual(ephemerals(ours), ephemerals(reference));
  });

  it('envi prints every ZooKeeper key in its order, then Meerkat\'s own', () => {
    const [reference, ours] = both('envi').map((text) => [...keyValues(text, '=').keys()]);
    assert.deepEqual(ours, [...reference, ...meerkatOnlyEnvironment]);
    assert.equal(lines(both('envi')[1])[0], 'Environment:');
  });

  it('wchs, wchc and wchp describe the same watches (ZooKeeper\'s data table)', () => {
    assert.equal(...both('wchs'));
    for (const word of ['wchc', 'wchp']) assert.deepEqual(groupShapes(both(word)[1]), groupShapes(both(word)[0]), word);
  });

  it('dirs has the same two lines', () => {
    const [reference, ours] = both('dirs');
    assert.deepEqual(shapes(ours), shapes(reference));
  });
});
