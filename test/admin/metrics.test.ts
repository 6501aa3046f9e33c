// /metrics on the AdminServer and on the Prometheus provider's own port (metricsProvider.*): the
// text format parses strictly, ZooKeeper's gauges carry the server's state, log flushes are timed,
// and Node's event-loop, GC and process metrics are there.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, prometheusProviderClass, startServer } from '../../src/runtime/index.js';
import { type MetricFamily, parsePrometheusText } from '../helpers/prometheus-text.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitUntil } from '../helpers/waits.js';

describe('Prometheus metrics', () => {
  let server: RunningServer;
  let dataDir: string;
  let client: RawClient;
  const scrape = async (port: number): Promise<Map<string, MetricFamily>> => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };
  const value = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined =>
    [...families.values()].flatMap((family) => family.samples)
      .find((sample) => sample.name === name && JSON.stringify(sample.labels) === JSON.stringify(labels))?.value;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-metrics-'));
    server = await startServer({
      port: 0, dataDir, logLevel: 'silent', admin: { port: 0 },
      // A snapshot every few txns, so one is written while serving.
      config: { snapCount: 4, extra: { 'metricsProvider.className': prometheusProviderClass, 'metricsProvider.httpPort': '0' } },
    });
    client = await RawClient.connect({ host: server.host, port: server.port });
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    await client.request({ type: OpCode.create, path: '/a', data: new Uint8Array(4), acl, flags: 0 });
    await client.request({ type: OpCode.create, path: '/a/e', data: new Uint8Array(0), acl, flags: 1 });
    await client.request({ type: OpCode.getData, path: '/a', watch: true });
  });

  after(async () => {
    await client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same families on the admin port and on metricsProvider.httpPort', async () => {
    const onAdmin = await scrape(server.admin.commands!.port);
    const onProvider = await scrape(server.admin.metrics!.port);
    assert.deepEqual([...onProvider.keys()].sort(), [...onAdmin.keys()].sort());
    assert.equal((await fetch(`http://127.0.0.1:${server.admin.metrics!.port}/commands/ruok`)).status, 404, 'the provider port runs no commands');
  });

  it('reports ZooKeeper\'s gauges under their names with the server\'s state', async () => {
    const families = await scrape(server.admin.commands!.port);
    for (const name of ['znode_count', 'ephemerals_count', 'watch_count', 'global_sessions', 'num_alive_connections', 'outstanding_requests',
      'avg_latency', 'max_latency', 'min_latency', 'packets_received', 'packets_sent', 'approximate_data_size', 'uptime']) {
      assert.equal(families.get(name)?.type, 'gauge', name);
    }
    // The four system nodes, /a and /a/e, and the root counted twice, as ZooKeeper counts it.
    assert.equal(value(families, 'znode_count'), 7);
    assert.equal(value(families, 'ephemerals_count'), 1);
    assert.equal(value(families, 'watch_count'), 1);
    assert.equal(value(families, 'global_sessions'), 1);
    assert.equal(value(families, 'num_alive_connections'), 1);
  });

  it('times every log flush: ZooKeeper\'s fsynctime summary and Meerkat\'s histograms', async () => {
    const families = await scrape(server.admin.commands!.port);
    assert.equal(families.get('fsynctime')?.type, 'summary');
    assert.ok(value(families, 'fsynctime_count')! >= 1);
    assert.equal(families.get('meerkat_log_flush_seconds')?.type, 'histogram');
    assert.equal(value(families, 'meerkat_log_flush_seconds_count'), value(families, 'fsynctime_count'));
    assert.ok(value(families, 'meerkat_log_flush_txns_sum')! >= 2, 'both creates were flushed');
    assert.equal(value(families, 'meerkat_txns_applied'), server.core.stats.txnsApplied);
  });

  it('times snapshots written while serving: ZooKeeper\'s snapshottime summary and the last snapshot\'s size', async () => {
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    for (let i = 0; i < 4; i++) await client.request({ type: OpCode.create, path: `/s${i}`, data: new Uint8Array(0), acl, flags: 0 });
    let families = await scrape(server.admin.commands!.port);
    await waitUntil(async () => {
      families = await scrape(server.admin.commands!.port);
      return value(families, 'snapshottime_count')! >= 1;
    }, 'a snapshot to be written', 10_000);
    assert.equal(families.get('snapshottime')?.type, 'summary');
    assert.ok(value(families, 'meerkat_snapshot_bytes')! > 0);
  });

  it('includes Node\'s event-loop lag, GC pauses and process metrics', async () => {
    const families = await scrape(server.admin.commands!.port);
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds',
      'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes', 'process_open_fds']) {
      assert.ok(families.has(name), name);
    }
  });

  it('the Grafana dashboard (deploy/grafana/meerkat.json) queries only metrics this server exports', async () => {
    const families = await scrape(server.admin.commands!.port);
    const dashboard = JSON.parse(readFileSync('deploy/grafana/meerkat.json', 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const queried = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...target.expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((match) => match[1]!))));
    assert.ok(queried.size >= 15, `${queried.size} metrics queried`);
    for (const name of queried) {
      const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
      assert.ok(family !== undefined, `${name} is exported`);
    }
  });
});
