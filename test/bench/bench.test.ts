// `meerkat bench`'s own logic: workload generation, histogram maths, open-loop scheduling, option
// parsing, and a short real run against an in-process Meerkat. (Its timings are benchmarks, not tests.)

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { WorkloadGenerator, intendedSendTimeMs, newHistogram, runBench, runSuite, summarize } from '../../bench/index.js';
import { benchOptionsFromFlags } from '../../src/cli/bench-command.js';

const base = { readPct: 90, valueSize: 100, keys: 4 };

describe('workloads', () => {
  it('mixed sends the requested share of reads, reproducibly from its seed', () => {
    const labels = (seed: number) => {
      const generator = new WorkloadGenerator(0, { ...base, workload: 'mixed' }, seed);
      return Array.from({ length: 10_000 }, () => generator.next().label);
    };
    const reads = labels(7).filter((label) => label === 'read').length;
    assert.ok(reads > 8800 && reads < 9200, `${reads} reads of 10000`);
    assert.deepEqual(labels(7), labels(7));
  });

  it('cycles over the session’s own keys and sends setData with the value size', () => {
    const generator = new WorkloadGenerator(3, { ...base, workload: 'write' });
    const requests = Array.from({ length: 5 }, () => generator.next().request);
    assert.deepEqual(requests.map((request) => 'path' in request && request.path),
      ['/meerkat-bench/s3-k0', '/meerkat-bench/s3-k1', '/meerkat-bench/s3-k2', '/meerkat-bench/s3-k3', '/meerkat-bench/s3-k0']);
    assert.ok(requests[0]!.type === OpCode.setData && requests[0]!.data?.length === 100);
  });

  it('create-delete deletes each ephemeral-sequential node it created', () => {
    const generator = new WorkloadGenerator(0, { ...base, workload: 'create-delete' });
    assert.equal(generator.next().label, 'create');
    generator.remember('/meerkat-bench/s0-k0-e0000000001');
    const next = generator.next();
    assert.equal(next.label, 'delete');
    assert.ok(next.request.type === OpCode.delete && next.request.path === '/meerkat-bench/s0-k0-e0000000001');
  });
});

describe('list-mix', () => {
  it('sends creates, setData, getData, getChildren and deletes in the published shares (1/8/45/45/1 %)', () => {
    const generator = new WorkloadGenerator(0, { ...base, keys: 100, workload: 'list-mix' }, 11);
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const { request, label } = generator.next();
      if (label === 'create') generator.remember(`/meerkat-bench/l0/e${String(i).padStart(10, '0')}`);
      if (label === 'list') assert.ok(request.type === OpCode.getChildren && request.path === '/meerkat-bench/l0');
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const share = (label: string): number => (counts.get(label) ?? 0) / 1000;
    for (const [label, expected] of [['create', 1], ['write', 8], ['read', 45], ['list', 45], ['delete', 1]] as const) {
      assert.ok(Math.abs(share(label) - expected) < expected * 0.1 + 0.2, `${label}: ${share(label)} % of requests, expected ${expected} %`);
    }
  });

  it('deletes only children it created, oldest first, and reads instead while it has none', () => {
    const generator = new WorkloadGenerator(0, { ...base, keys: 100, workload: 'list-mix' }, 3);
    const deleted: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const { request } = generator.next();
      if (request.type === OpCode.create) generator.remember(`${request.path}${i}`);
      if (request.type === OpCode.delete) deleted.push(request.path);
    }
    assert.ok(deleted.length > 0);
    assert.deepEqual(deleted, [...deleted].sort((a, b) => Number(a.slice(a.lastIndexOf('e') + 1)) - Number(b.slice(b.lastIndexOf('e') + 1))));
  });
});

describe('histograms', () => {
  it('report percentiles within HdrHistogram’s precision', () => {
    const histogram = newHistogram();
    for (let value = 1; value <= 1000; value++) histogram.recordValue(value);
    const summary = summarize(histogram);
    assert.equal(summary.count, 1000);
    assert.ok(Math.abs(summary.p50Us - 500) <= 1);
    assert.ok(Math.abs(summary.p99Us - 990) <= 1);
    assert.equal(summary.maxUs, 1000);
  });
});

describe('open loop', () => {
  it('spaces intended send times evenly at the rate, independent of replies', () => {
    assert.deepEqual([0, 1, 2, 10].map((index) => intendedSendTimeMs(1000, 500, index)), [1000, 1002, 1004, 1020]);
  });
});

describe('options', () => {
  const flags = {
    servers: '127.0.0.1:2181', workload: 'read', readPct: '90', sessions: '12', outstanding: '8', duration: '10', ops: '0',
    valueSize: '100', keys: '10', rate: '0', workers: '1',
  };
  it('reject an unknown workload and a bad number with a clear message', () => {
    assert.throws(() => benchOptionsFromFlags({ ...flags, workload: 'everything' }), /--workload must be one of/);
    assert.throws(() => benchOptionsFromFlags({ ...flags, sessions: '0' }), /--sessions expects a positive integer/);
    assert.throws(() => benchOptionsFromFlags({ ...flags, readPct: '101' }), /--read-pct/);
  });
});

describe('a short run against Meerkat', () => {
  let server: RunningServer;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-bench-test-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts every request of a fixed-size mixed run and sees no errors', async () => {
    const result = await runBench({
      ...base, workload: 'mixed', servers: [{ host: server.host, port: server.port }], sessions: 4, outstanding: 4,
      durationSeconds: 30, ops: 2000, rate: 0, workers: 1,
    });
    assert.equal(result.ops, 2000);
    assert.equal(result.errors, 0);
    assert.equal((result.latencyUs.read?.count ?? 0) + (result.latencyUs.write?.count ?? 0), 2000);
  });

  it('runs list-mix on parents of 100 children without errors, every request in the overall latency', async () => {
    const result = await runBench({
      ...base, keys: 100, workload: 'list-mix', servers: [{ host: server.host, port: server.port }], sessions: 2, outstanding: 4,
      durationSeconds: 30, ops: 3000, rate: 0, workers: 1,
    });
    assert.equal(result.ops, 3000);
    assert.equal(result.errors, 0);
    assert.equal(result.latencyAllUs.count, 3000);
    assert.ok((result.latencyUs.list?.count ?? 0) > 1000);
  });

  it('measures watch notification latency: one event per change', async () => {
    const result = await runBench({
      ...base, workload: 'watch', servers: [{ host: server.host, port: server.port }], sessions: 2, outstanding: 8,
      durationSeconds: 30, ops: 400, rate: 0, workers: 1,
    });
    assert.equal(result.errors, 0);
    assert.equal(result.latencyUs.write?.count, 200);
    assert.equal(result.latencyUs.watch?.count, 200, 'every setData fired the watch set just before it');
  });

  it('runs the zk-latencies style suite: every phase over every key, watches included', async () => {
    const phases = await runSuite({ host: server.host, port: server.port, keys: 200, valueSize: 50, outstanding: 20 });
    assert.deepEqual(phases.map((phase) => phase.phase), ['create', 'set', 'get', 'delete', 'create ephemeral', 'watch']);
    for (const phase of phases) {
      assert.equal(phase.errors, 0, phase.phase);
      assert.equal(phase.latencyUs.count, 200, phase.phase);
    }
  });

  it('runs open loop at a fixed rate', async () => {
    const result = await runBench({
      ...base, workload: 'read', servers: [{ host: server.host, port: server.port }], sessions: 2, outstanding: 4,
      durationSeconds: 1, ops: 0, rate: 400, workers: 1,
    });
    assert.ok(result.ops >= 300 && result.ops <= 420, `${result.ops} requests at 400/s for 1 s`);
  });

  it('leaves the warm-up out of the counts and the rate: the measured second starts after it', async () => {
    const result = await runBench({
      ...base, workload: 'mixed', servers: [{ host: server.host, port: server.port }], sessions: 2, outstanding: 4,
      durationSeconds: 1, warmupSeconds: 1, ops: 0, rate: 400, workers: 1,
    });
    assert.ok(result.elapsedSeconds >= 1.9, `ran ${result.elapsedSeconds} s: warm-up and measurement`);
    assert.ok(result.ops >= 300 && result.ops <= 420, `${result.ops} measured requests at 400/s for 1 s`);
    assert.equal(result.opsPerSecond, result.ops / 1);
    const counted = Object.values(result.latencyUs).reduce((sum, summary) => sum + summary.count, 0);
    assert.equal(counted, result.ops, 'the histograms hold the measured requests only');
  });
});
