// Runs a benchmark: sessions spread over worker threads (or in this thread), each a load-session, and
// the merged result: throughput, per-operation latency percentiles, and the load generator's own CPU
// use, so a reader can tell whether the generator was the bottleneck.

import { Worker } from 'node:worker_threads';
import { type Histogram, type LatencySummary, decodeHistogram, encodeHistogram, newHistogram, summarize } from './histograms.js';
import { type SessionOptions, type SessionResult, runSession } from './load-session.js';
import type { OpLabel, WorkloadOptions } from './workload.js';

export interface BenchOptions extends WorkloadOptions {
  servers: Array<{ host: string; port: number }>;
  sessions: number;
  outstanding: number;
  durationSeconds: number;
  /** Seconds the workload runs unmeasured before the measured `durationSeconds` (default 0). */
  warmupSeconds?: number;
  /** Total measured requests (0: run for the duration). */
  ops: number;
  /** Open loop: total requests per second (0: closed loop). */
  rate: number;
  workers: number;
  /** Called about every 250 ms with the elapsed fraction (progress bars). */
  onProgress?: (fraction: number) => void;
}

export interface BenchResult {
  workload: string;
  sessions: number;
  outstanding: number;
  openLoopRate: number;
  elapsedSeconds: number;
  ops: number;
  errors: number;
  opsPerSecond: number;
  latencyUs: Partial<Record<OpLabel, LatencySummary>>;
  /** Every measured request, whatever its label (a mixed workload's overall p99); not the watch events. */
  latencyAllUs: LatencySummary;
  /** CPU the load generator used, as a percentage of one core. */
  generatorCpuPct: number;
}

/** What a worker (or the in-thread path) hands back: histograms encoded so they cross threads. */
export interface PartialResult {
  histograms: Array<[OpLabel, string]>;
  errors: number;
  ops: number;
}

export function sessionOptionsFor(options: BenchOptions, session: number, deadlineMs: number, warmupUntilMs = 0): SessionOptions {
  const server = options.servers[session % options.servers.length]!;
  return {
    ...options, host: server.host, port: server.port, session, deadlineMs, warmupUntilMs,
    ops: options.ops === 0 ? 0 : Math.ceil(options.ops / options.sessions),
    ratePerSecond: options.rate === 0 ? 0 : options.rate / options.sessions,
  };
}

export async function runSessions(list: SessionOptions[]): Promise<PartialResult> {
  const results: SessionResult[] = await Promise.all(list.map((options) => runSession(options)));
  const merged = new Map<OpLabel, Histogram>();
  let errors = 0;
  let ops = 0;
  for (const result of results) {
    errors += result.errors;
    ops += result.ops;
    for (const [label, histogram] of result.histograms) {
      const target = merged.get(label) ?? newHistogram();
      target.add(histogram);
      merged.set(label, target);
    }
  }
  return { histograms: [...merged].map(([label, histogram]) => [label, encodeHistogram(histogram)]), errors, ops };
}

function runInWorker(list: SessionOptions[]): Promise<PartialResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: list });
    worker.once('message', (result: PartialResult) => resolve(result));
    worker.once('error', reject);
  });
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const warmupMs = (options.warmupSeconds ?? 0) * 1000;
  const warmupUntilMs = warmupMs > 0 ? Date.now() + warmupMs : 0;
  const deadlineMs = Date.now() + warmupMs + options.durationSeconds * 1000;
  const cpuBefore = process.cpuUsage();
  const groups: SessionOptions[][] = Array.from({ length: Math.max(1, options.workers) }, () => []);
  for (let session = 0; session < options.sessions; session++) {
    groups[session % groups.length]!.push(sessionOptionsFor(options, session, deadlineMs, warmupUntilMs));
  }
  const progress = options.onProgress === undefined ? undefined
    : setInterval(() => options.onProgress!(Math.min(1, (performance.now() - started) / (warmupMs + options.durationSeconds * 1000))), 250);
  let partials: PartialResult[];
  try {
    partials = options.workers > 1 ? await Promise.all(groups.map(runInWorker)) : [await runSessions(groups[0]!)];
  } finally {
    if (progress !== undefined) clearInterval(progress);
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const merged = new Map<OpLabel, Histogram>();
  for (const partial of partials) {
    for (const [label, encoded] of partial.histograms) {
      const target = merged.get(label) ?? newHistogram();
      target.add(decodeHistogram(encoded));
      merged.set(label, target);
    }
  }
  const ops = partials.reduce((sum, partial) => sum + partial.ops, 0);
  const all = newHistogram();
  for (const [label, histogram] of merged) if (label !== 'watch') all.add(histogram);
  return {
    workload: options.workload, sessions: options.sessions, outstanding: options.outstanding, openLoopRate: options.rate,
    elapsedSeconds, ops, errors: partials.reduce((sum, partial) => sum + partial.errors, 0),
    // After a warm-up the measured window is the duration itself (connecting and setup fall in the warm-up).
    opsPerSecond: ops / (warmupMs > 0 ? options.durationSeconds : elapsedSeconds),
    latencyUs: Object.fromEntries([...merged].map(([label, histogram]) => [label, summarize(histogram)])),
    latencyAllUs: summarize(all),
    generatorCpuPct: ((cpu.user + cpu.system) / 1000 / (elapsedSeconds * 1000)) * 100,
  };
}
