// The AdminServer's JSON against Apache ZooKeeper 3.8's own AdminServer (Jetty, /commands/<name>),
// both in the same state: two sessions, an ephemeral node each, a data, a child and an exist watch.
// For every command: the same `command` name (aliases included), the same keys with values of the
// same JSON kind (integers and doubles told apart, as Jackson writes them), the same nesting, and
// the same values where the state decides them. docs/admin.md lists what differs on purpose.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meerkatOnlyMonitorKeys } from '../../src/admin/monitor-report.js';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { getFreePort } from '../helpers/ports.js';
import { type ExactJson, type JsonShape, readJson } from '../helpers/json-shape.js';
import { type MetricFamily, parsePrometheusText } from '../helpers/prometheus-text.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ReferenceZooKeeper, referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';

/** Debian's Jetty needs the servlet API, which zookeeper.jar's manifest does not name. */
const servletApiJar = '/usr/share/java/servlet-api.jar';
const credentials = 'digest admin:secret';

interface Reply {
  status: number;
  shape: { [key: string]: JsonShape };
  value: { [key: string]: ExactJson };
}

async function get(url: string): Promise<Reply> {
  const response = await fetch(url, { headers: { authorization: credentials } });
  const { shape, value } = readJson(await response.text());
  return { status: response.status, shape: shape as Reply['shape'], value: value as Reply['value'] };
}

/** Every name each server is asked for; state-changing ones last, so the others see the same state. */
const askedNames = [
  'ruok', 'stats', 'stat', 'srvr', 'server_stats', 'monitor', 'mntr', 'configuration', 'conf', 'config', 'connections', 'cons', 'dirs',
  'environment', 'env', 'envi', 'is_read_only', 'isro', 'watches', 'wchc', 'watches_by_path', 'wchp', 'watch_summary', 'wchs', 'dump',
  'last_snapshot', 'lsnp', 'initial_configuration', 'icfg', 'system_properties', 'sysp', 'leader', 'lead', 'voting_view', 'zabstate',
  'observers', 'obsr', 'no_such_command', 'observer_connection_stat_reset', 'orst', 'connection_stat_reset', 'crst', 'connections-after-crst',
  'stat_reset', 'srst', 'server_stats-after-srst',
];

describe('AdminServer, differential against Apache ZooKeeper 3.8', { skip: referenceSkipReason() }, () => {
  let zk: ReferenceZooKeeper;
  let meerkat: RunningServer;
  let dataDir: string;
  const clients: RawClient[] = [];
  const replies = { zk: new Map<string, Reply>(), meerkat: new Map<string, Reply>() };
  let metrics: Map<string, MetricFamily>;

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

  async function askAll(base: string, into: Map<string, Reply>): Promise<void> {
    for (const name of askedNames) into.set(name, await get(`${base}/commands/${name.replace(/-.*/, '')}`));
  }

  before(async () => {
    const zkAdminPort = await getFreePort();
    zk = await startReferenceZooKeeper({
      config: { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(zkAdminPort) },
      jvmOptions: ['-Xmx512m', `-Xbootclasspath/a:${servletApiJar}`],
    });
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-admin-differential-'));
    meerkat = await startServer({ port: 0, dataDir, logLevel: 'silent', admin: { port: 0 } });
    await populate({ host: zk.host, port: zk.port });
    await populate({ host: meerkat.host, port: meerkat.port });
    await askAll(`http://127.0.0.1:${zkAdminPort}`, replies.zk);
    await askAll(`http://127.0.0.1:${meerkat.admin.commands!.port}`, replies.meerkat);
    metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${meerkat.admin.commands!.port}/metrics`)).text());
  });

  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await meerkat?.close();
    await zk?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const both = (name: string): [Reply, Reply] => [replies.zk.get(name)!, replies.meerkat.get(name)!];
  const withoutKeys = (shape: { [key: string]: JsonShape }, keys: readonly string[]) =>
    Object.fromEntries(Object.entries(shape).filter(([key]) => !keys.includes(key)));

  it('answers every name, alias and unknown name with ZooKeeper\'s status and command name', () => {
    for (const name of askedNames) {
      const [reference, ours] = both(name);
      assert.equal(ours.status, reference.status, name);
      assert.equal(ours.value.command, reference.value.command, name);
    }
    assert.equal(both('no_such_command')[1].value.error, 'Unknown command: no_such_command');
  });

  it('gives the same keys, kinds and nesting for the commands whose fields do not depend on the platform', () => {
    for (const name of ['ruok', 'stats', 'srvr', 'configuration', 'dirs', 'is_read_only', 'watch_summary', 'last_snapshot',
      'initial_configuration', 'leader', 'voting_view', 'zabstate', 'observers', 'observer_connection_stat_reset',
      'connection_stat_reset', 'stat_reset', 'server_stats-after-srst', 'connections', 'connections-after-crst']) {
      const [reference, ours] = both(name);
      assert.deepEqual(ours.shape, reference.shape, name);
    }
  });

  it('reports the same state: node count, connections, outstanding requests, watches, read-only mode', () => {
    const [reference, ours] = both('srvr');
    const state = (reply: Reply) => {
      const stats = reply.value.server_stats as { [key: string]: ExactJson };
      return { nodes: reply.value.node_count, connections: stats.num_alive_client_connections, outstanding: stats.outstanding_requests,
        mode: stats.server_state, readOnly: reply.value.read_only };
    };
    assert.deepEqual(state(ours), state(reference));
    assert.deepEqual(both('watch_summary')[1].value, both('watch_summary')[0].value);
    assert.equal((both('stats')[1].value.connections as ExactJson[]).length, 2);
  });

  it('monitor reports every ZooKeeper gauge with its kind, and the same state', () => {
    const [reference, ours] = both('monitor');
    for (const [key, shape] of Object.entries(withoutKeys(ours.shape, meerkatOnlyMonitorKeys))) {
      assert.ok(key in reference.shape, `ZooKeeper 3.8 reports ${key}`);
      assert.deepEqual(shape, reference.shape[key], key);
    }
    for (const key of ['server_state', 'num_alive_connections', 'outstanding_requests', 'znode_count', 'watch_count', 'ephemerals_count',
      'approximate_data_size', 'global_sessions', 'local_sessions', 'outstanding_tls_handshake', 'auth_failed_count']) {
      assert.equal(ours.value[key], reference.value[key], key);
    }
    assert.deepEqual(both('mntr')[1].shape, ours.shape);
  });

  it('connections lists each connection with ZooKeeper\'s fields and kinds, and crst resets them alike', () => {
    for (const name of ['connections', 'connections-after-crst']) {
      const [reference, ours] = both(name);
      const entries = (reply: Reply) => reply.value.connections as Array<{ [key: string]: ExactJson }>;
      assert.equal(entries(ours).length, entries(reference).length, name);
      const reset = (reply: Reply) => entries(reply).map((entry) => [entry.last_operation, entry.last_cxid, entry.last_zxid]);
      if (name === 'connections-after-crst') assert.deepEqual(reset(ours), reset(reference));
    }
    const sessionIds = (both('connections')[1].value.connections as Array<{ session_id: ExactJson }>).map((entry) => entry.session_id);
    assert.deepEqual(sessionIds.map((id) => typeof id), ['bigint', 'bigint']);
  });

  it('dump, watches and watches_by_path map sessions and paths as ZooKeeper does', () => {
    type Map = { [key: string]: ExactJson[] };
    const field = (name: string, key: string, side: 0 | 1) => both(name)[side].value[key] as Map;
    const sizes = (map: Map) => Object.values(map).map((list) => list.length).sort();
    for (const [name, key] of [['dump', 'expiry_time_to_session_ids'], ['dump', 'session_id_to_ephemeral_paths'],
      ['watches', 'session_id_to_watched_paths'], ['watches_by_path', 'path_to_session_ids']] as const) {
      const [reference, ours] = [field(name, key, 0), field(name, key, 1)];
      if (key === 'expiry_time_to_session_ids') {
        // Which tick bucket a session falls in depends on when in the tick it was created: compare the sessions, not the buckets.
        const total = (map: Map) => Object.values(map).reduce((sum, list) => sum + list.length, 0);
        assert.equal(total(ours), total(reference), `${name}.${key}`);
      } else {
        assert.equal(Object.keys(ours).length, Object.keys(reference).length, `${name}.${key}`);
        assert.deepEqual(sizes(ours), sizes(reference), `${name}.${key}`);
      }
      const kinds = (map: Map) => [...new Set(Object.values(map).flat().map((item) => typeof item))];
      assert.deepEqual(kinds(ours), kinds(reference), `${name}.${key}`);
    }
    assert.deepEqual(Object.keys(field('watches_by_path', 'path_to_session_ids', 1)).sort(),
      Object.keys(field('watches_by_path', 'path_to_session_ids', 0)).sort());
    const ephemerals = (side: 0 | 1) => Object.values(field('dump', 'session_id_to_ephemeral_paths', side)).flat().sort();
    assert.deepEqual(ephemerals(1), ephemerals(0));
  });

  it('environment has ZooKeeper\'s keys (then node.version and process.pid), every value a string', () => {
    const [reference, ours] = both('environment');
    assert.deepEqual(Object.keys(ours.shape), [...Object.keys(reference.shape).filter((key) => key !== 'command' && key !== 'error'),
      'node.version', 'process.pid', 'command', 'error']);
    for (const [key, shape] of Object.entries(withoutKeys(ours.shape, ['command', 'error']))) assert.equal(shape, 'string', key);
  });

  it('system_properties are strings under JVM property names, sorted, as ZooKeeper\'s', () => {
    const [reference, ours] = both('system_properties');
    const keys = Object.keys(withoutKeys(ours.shape, ['command', 'error']));
    assert.deepEqual(keys, [...keys].sort());
    for (const key of keys) {
      assert.equal(ours.shape[key], 'string', key);
      assert.ok(key in reference.shape || key === 'node.version' || key.startsWith('zookeeper.'), `ZooKeeper 3.8 has ${key}`);
    }
  });

  // ZooKeeper's Prometheus provider names each metric as its registry does, and `monitor` dumps the
  // same registry: a gauge under its name, a summary X as avg_X, min_X, max_X, cnt_X and sum_X.
  // (Debian ships no Prometheus provider jar, so its names are read from `monitor`.)
  it('/metrics uses ZooKeeper\'s names for what ZooKeeper has, with the same state', () => {
    const reference = both('monitor')[0];
    const own = /^(meerkat|nodejs|process)_/;
    const shared = [...metrics.values()].filter((family) => !own.test(family.name));
    assert.ok(shared.length >= 20, `${shared.length} metrics under ZooKeeper's names`);
    for (const family of shared) {
      if (family.type === 'summary') {
        for (const prefix of ['avg_', 'cnt_', 'sum_']) assert.ok(`${prefix}${family.name}` in reference.shape, `ZooKeeper 3.8 has the summary ${family.name}`);
      } else {
        assert.equal(family.type, 'gauge', family.name);
        assert.ok(['integer', 'double'].includes(reference.shape[family.name] as string), `ZooKeeper 3.8 has the gauge ${family.name}`);
      }
    }
    for (const name of ['znode_count', 'ephemerals_count', 'watch_count', 'global_sessions', 'num_alive_connections', 'outstanding_requests']) {
      assert.equal(BigInt(metrics.get(name)!.samples[0]!.value), reference.value[name], name);
    }
  });
});
