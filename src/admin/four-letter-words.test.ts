// The four-letter words against a ServerCore on a hand-driven clock: the per-connection fields of
// `cons` (and what `crst` resets), the server counters `srst` resets, `dump`, and the ZooKeeper
// value formats. The same words against a live Apache ZooKeeper: test/server/four-letter-words.test.ts.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode, type Request } from '../proto/index.js';
import { type ClientConnection, ServerCore, defaultConfig } from '../server/index.js';
import { fourLetterWordReply } from './four-letter-words.js';
import { fourDecimals, javaDate, javaDouble, javaHex } from './java-format.js';
import type { ServerProcess } from './server-process.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

const fakeProcess: ServerProcess = {
  uptimeMs: () => 1234,
  openFileDescriptors: () => 10,
  maxFileDescriptors: () => 1024,
  memory: () => ({ residentBytes: 1, heapUsedBytes: 1, heapFreeBytes: 3 << 20, heapMaxBytes: 64 << 20, heapTotalBytes: 8 << 20 }),
  environment: {
    hostName: 'host', platform: 'linux', arch: 'x64', osRelease: '6.1', userName: 'zk', userHome: '/home/zk',
    workingDir: '/srv', tmpDir: '/tmp', nodeVersion: 'v20.0.0', pid: 42,
  },
};

class Harness {
  now = 1_000;
  readonly core = new ServerCore({ ...defaultConfig(), fourLetterWords: new Set(['*']) }, { now: () => this.now });
  private xid = 1;

  /** A connection with a session: connect at `now`, the createSession txn durable `durableAfterMs` later. */
  connect(port: number, durableAfterMs: number): ClientConnection {
    const connection = this.core.openConnection({ send: () => {}, close: () => {}, outputBytes: 0 }, '127.0.0.1', port);
    this.core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    this.now += durableAfterMs;
    this.persistAll();
    return connection;
  }

  /** Sends a request at `now`; its txn, if any, is durable `durableAfterMs` later. */
  request(connection: ClientConnection, request: Request, durableAfterMs = 0): number {
    const xid = this.xid++;
    this.core.request(connection, xid, request);
    this.now += durableAfterMs;
    this.persistAll();
    return xid;
  }

  ask(word: string): string {
    return fourLetterWordReply({
      word, core: this.core, asker: { address: '127.0.0.1', port: 9999, acceptedAtMs: this.now }, clientPort: 2181, process: fakeProcess,
    });
  }

  private persistAll(): void {
    const batch = this.core.takeUnpersisted();
    if (batch.length > 0) this.core.persisted(batch[batch.length - 1]!.header.zxid);
  }
}

/** The `(...)` fields of the cons line for a connection on `port`, as a map. */
function consFields(cons: string, port: number): Map<string, string> {
  const line = cons.split('\n').find((text) => text.startsWith(` /127.0.0.1:${port}[`));
  assert.ok(line !== undefined, `a cons line for port ${port} in ${JSON.stringify(cons)}`);
  const inner = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'));
  return new Map(inner.split(',').map((field) => field.split('=') as [string, string]));
}

describe('cons', () => {
  it('prints ZooKeeper\'s fields in its order: queued recved sent sid lop est to lcxid lzxid lresp llat minlat avglat maxlat', () => {
    const h = new Harness();
    const connection = h.connect(5000, 5);
    const fields = consFields(h.ask('cons'), 5000);
    assert.deepEqual([...fields.keys()], ['queued', 'recved', 'sent', 'sid', 'lop', 'est', 'to', 'lcxid', 'lzxid', 'lresp', 'llat', 'minlat', 'avglat', 'maxlat']);
    assert.equal(fields.get('sid'), `0x${javaHex(connection.sessionId)}`);
    assert.deepEqual([fields.get('lop'), fields.get('est'), fields.get('to'), fields.get('lcxid')], ['SESS', '1000', '30000', '0x0']);
  });

  it('records the last operation, its cxid, zxid, answer time and latency, and min/avg/max over all answers', () => {
    const h = new Harness();
    const connection = h.connect(5000, 5);
    h.now = 2_000;
    h.request(connection, { type: OpCode.getData, path: '/zookeeper', watch: false });
    h.now = 3_000;
    const xid = h.request(connection, { type: OpCode.create, path: '/a', data: new Uint8Array(0), acl: open, flags: 0 }, 7);
    h.now = 4_000;
    h.request(connection, { type: OpCode.ping });
    const fields = consFields(h.ask('cons'), 5000);
    assert.deepEqual(Object.fromEntries(fields), {
      queued: '0', recved: '4', sent: '4', sid: `0x${javaHex(connection.sessionId)}`, lop: 'PING', est: '1000', to: '30000',
      // A ping's special xid does not replace the last real cxid, as in ZooKeeper.
      lcxid: `0x${xid.toString(16)}`, lzxid: `0x${h.core.lastZxid.toString(16)}`, lresp: '4000', llat: '0', minlat: '0',
      // (5 + 0 + 7 + 0) / 4, truncated.
      avglat: '3', maxlat: '7',
    });
  });

  it('lists the asking connection last, with only the packet it sent', () => {
    const h = new Harness();
    h.connect(5000, 0);
    const lines = h.ask('cons').split('\n');
    assert.deepEqual(lines.slice(-3), [' /127.0.0.1:9999[0](queued=0,recved=1,sent=0)', '', '']);
  });
});

describe('crst', () => {
  it('resets every per-connection counter and keeps the session, its establishment time and timeout', () => {
    const h = new Harness();
    const connection = h.connect(5000, 5);
    h.request(connection, { type: OpCode.create, path: '/a', data: new Uint8Array(0), acl: open, flags: 0 }, 3);
    assert.equal(h.ask('crst'), 'Connection stats reset.\n');
    const fields = consFields(h.ask('cons'), 5000);
    assert.deepEqual(Object.fromEntries(fields), {
      queued: '0', recved: '0', sent: '0', sid: `0x${javaHex(connection.sessionId)}`, lop: 'NA', est: '1000', to: '30000',
      lzxid: '0xffffffffffffffff', lresp: '0', llat: '0', minlat: '0', avglat: '0', maxlat: '0',
    });
    h.now += 2;
    h.request(connection, { type: OpCode.exists, path: '/a', watch: false });
    assert.deepEqual([...consFields(h.ask('cons'), 5000)].filter(([key]) => ['recved', 'lop', 'minlat'].includes(key)),
      [['recved', '1'], ['lop', 'EXIS'], ['minlat', '0']]);
  });
});

describe('srst', () => {
  it('resets latency, packet counts and response sizes, not the tree or the sessions', () => {
    const h = new Harness();
    const connection = h.connect(5000, 9);
    h.request(connection, { type: OpCode.create, path: '/a', data: new Uint8Array(10), acl: open, flags: 1 }, 4);
    const before = h.ask('mntr');
    assert.match(before, /^zk_max_latency\t9$/m);
    assert.match(before, /^zk_max_client_response_size\t\d+$/m);
    assert.equal(h.ask('srst'), 'Server stats reset.\n');
    const after = h.ask('mntr');
    for (const line of ['zk_avg_latency\t0.0', 'zk_max_latency\t0', 'zk_min_latency\t0', 'zk_last_client_response_size\t-1',
      'zk_max_client_response_size\t-1', 'zk_min_client_response_size\t-1', 'zk_ephemerals_count\t1', 'zk_global_sessions\t1',
      // The srst reply went out after the reset, and mntr itself came in.
      'zk_packets_received\t1', 'zk_packets_sent\t1']) {
      assert.match(after, new RegExp(`^${line}$`, 'm'));
    }
    assert.match(h.ask('srvr'), /^Latency min\/avg\/max: 0\/0\.0\/0$/m);
  });
});

describe('dump', () => {
  it('lists live sessions by expiry, ephemeral nodes by session, and connections by expiry', () => {
    const h = new Harness();
    h.now = Date.UTC(2026, 11, 7, 23, 4, 25);
    const connection = h.connect(5000, 0);
    h.request(connection, { type: OpCode.create, path: '/e', data: new Uint8Array(0), acl: open, flags: 1 });
    const sid = `0x${javaHex(connection.sessionId)}`;
    assert.equal(h.ask('dump'), [
      'SessionTracker dump:', 'Session Sets (1)/(1):', '1 expire at Mon Dec 07 23:04:56 UTC 2026:', `\t${sid}`,
      'ephemeral nodes dump:', 'Sessions with Ephemerals (1):', `${sid}:`, '\t/e',
      'Connections dump:', 'Connections Sets (2)/(2):',
      // The asker goes when a connection without a handshake would be dropped.
      '1 expire at Mon Dec 07 23:04:36 UTC 2026:', '\tip: /127.0.0.1:9999 sessionId: 0x0',
      '1 expire at Mon Dec 07 23:04:56 UTC 2026:', `\tip: /127.0.0.1:5000 sessionId: ${sid}`, '',
    ].join('\n'));
  });
});

describe('stat, srvr and the watch words', () => {
  it('stat lists each connection briefly and counts the asker among the connections', () => {
    const h = new Harness();
    h.connect(5000, 0);
    const stat = h.ask('stat');
    assert.match(stat, /^Clients:\n \/127\.0\.0\.1:5000\[1\]\(queued=0,recved=1,sent=1\)\n \/127\.0\.0\.1:9999\[0\]\(queued=0,recved=1,sent=0\)\n\n/m);
    assert.match(stat, /^Connections: 2$/m);
    // /, /zookeeper, /zookeeper/quota, /zookeeper/config, and the root once more, as ZooKeeper counts it.
    assert.match(stat, /^Node count: 5$/m);
  });

  it('wchs, wchc and wchp report the data watches; zk_watch_count counts child watches too', () => {
    const h = new Harness();
    const connection = h.connect(5000, 0);
    h.request(connection, { type: OpCode.getData, path: '/zookeeper', watch: true });
    h.request(connection, { type: OpCode.getChildren, path: '/zookeeper', watch: true });
    h.request(connection, { type: OpCode.getChildren, path: '/', watch: true });
    const sid = `0x${javaHex(connection.sessionId)}`;
    assert.equal(h.ask('wchs'), '1 connections watching 1 paths\nTotal watches:1\n');
    assert.equal(h.ask('wchc'), `${sid}\n\t/zookeeper\n\n`);
    assert.equal(h.ask('wchp'), `/zookeeper\n\t${sid}\n\n`);
    assert.match(h.ask('mntr'), /^zk_watch_count\t3$/m);
  });

  it('envi prints every ZooKeeper key in order, <NA> for the JVM\'s own', () => {
    const keys = new Harness().ask('envi').split('\n').slice(1, -1).map((line) => line.slice(0, line.indexOf('=')));
    assert.deepEqual(keys, ['zookeeper.version', 'host.name', 'java.version', 'java.vendor', 'java.home', 'java.class.path',
      'java.library.path', 'java.io.tmpdir', 'java.compiler', 'os.name', 'os.arch', 'os.version', 'user.name', 'user.home',
      'user.dir', 'os.memory.free', 'os.memory.max', 'os.memory.total', 'node.version', 'process.pid']);
    assert.match(new Harness().ask('envi'), /^os\.name=Linux\nos\.arch=amd64\n/m);
    assert.match(new Harness().ask('envi'), /^os\.memory\.free=3MB\nos\.memory\.max=64MB\nos\.memory\.total=8MB\n/m);
  });

  it('counts each word as a packet received and its reply as one sent', () => {
    const h = new Harness();
    h.ask('ruok');
    assert.match(h.ask('srvr'), /^Received: 2\nSent: 1\n/m);
  });

  it('refuses a word missing from the whitelist with ZooKeeper\'s text', () => {
    const core = new ServerCore({ ...defaultConfig(), fourLetterWords: new Set(['ruok']) }, { now: () => 0 });
    const reply = fourLetterWordReply({ word: 'dump', core, asker: { address: '::1', port: 1, acceptedAtMs: 0 }, clientPort: 1, process: fakeProcess });
    assert.equal(reply, 'dump is not executed because it is not in the whitelist.\n');
  });
});

describe('Java value formats', () => {
  it('prints doubles as Double.toString', () => {
    assert.deepEqual([0, 4.375, 6, 1 / 3, 0.0005, 12_345_678].map((value) => javaDouble(fourDecimals(value))),
      ['0.0', '4.375', '6.0', '0.3333', '5.0E-4', '1.2345678E7']);
  });

  it('prints longs as Long.toHexString and dates as Date.toString in UTC', () => {
    assert.deepEqual([javaHex(-1), javaHex(0x5), javaHex(-0x5fffffffffffffffn)], ['ffffffffffffffff', '5', 'a000000000000001']);
    assert.equal(javaDate(Date.UTC(2026, 0, 4, 3, 2, 1)), 'Sun Jan 04 03:02:01 UTC 2026');
  });
});
