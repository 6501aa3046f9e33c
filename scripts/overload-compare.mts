// Overload, measured (issue 15 item 2; not a test, never in CI): for Meerkat (`meerkat start`, its own
// process) and Apache ZooKeeper 3.8 (default settings: request throttling off), the closed-loop
// capacity of a case first (as many requests in flight as the open loop may have), then an open loop at `--factor` (default 2) times that capacity from
// `meerkat bench`'s generator. Reported per server: the server's peak RSS during the open loop,
// accepted (answered OK) ops/s, the p99 of those from each request's intended send time (so the
// backlog a client would see counts), and the shed count (answers with an error code, THROTTLEDOP
// among them). Every run is bounded by --seconds.
//
//   npm run build && node --import tsx scripts/overload-compare.mts [--case write|read|mixed] [--seconds 8] [--factor 2]
//   [--in-flight 200]   requests one session may have in flight in the open loop (12 sessions)
//   [--zk-config key=value,...]  extra zoo.cfg keys for ZooKeeper (e.g. throttled_op_wait_time=100)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchOptions, type BenchResult, type WorkloadName, runBench } from '../dist/bench/index.js';
import { rssBytes } from '../test/helpers/never-reading-client.js';
import { startMeerkatProcess } from '../test/helpers/meerkat-process.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'write' },
    seconds: { type: 'string', default: '8' },
    factor: { type: 'string', default: '2' },
    'in-flight': { type: 'string', default: '200' },
    'zk-config': { type: 'string', default: '' },
    'meerkat-config': { type: 'string', default: '' },
  },
});
const seconds = Number(values.seconds);
const factor = Number(values.factor);
const inFlight = Number(values['in-flight']);
const workload = values.case as WorkloadName;
const keyValues = (text: string): Record<string, string> =>
  Object.fromEntries(text.split(',').filter((entry) => entry !== '').map((entry) => entry.split('=') as [string, string]));

interface Figures { capacityOpsPerSecond: number; rate: number; acceptedOpsPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number; shed: number; peakRssMb: number; baselineRssMb: number }

const base = (port: number): Omit<BenchOptions, 'sessions' | 'outstanding' | 'rate' | 'durationSeconds'> => ({
  servers: [{ host: '127.0.0.1', port }], workload, readPct: 90, valueSize: 100, keys: 10, ops: 0, workers: 1, warmupSeconds: 1,
});

async function measure(port: number, pid: number): Promise<Figures> {
  // Capacity: a closed loop with as many requests in flight as the open loop allows (with 12 x 8 the
  // servers are latency-bound and take twice that rate open-loop: bigger group commits).
  const closed = await runBench({ ...base(port), sessions: 12, outstanding: inFlight, rate: 0, durationSeconds: Math.min(4, seconds) });
  const capacity = closed.opsPerSecond;
  const rate = Math.round(capacity * factor);
  const baselineRssMb = rssBytes(pid) / 2 ** 20;
  let peak = baselineRssMb;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid) / 2 ** 20)), 100);
  let open: BenchResult;
  try {
    open = await runBench({ ...base(port), sessions: 12, outstanding: inFlight, rate, durationSeconds: seconds });
  } finally {
    clearInterval(sampler);
  }
  const summaries = Object.values(open.latencyUs);
  const worst = (pick: (summary: (typeof summaries)[number]) => number): number => Math.max(...summaries.map(pick)) / 1000;
  return {
    capacityOpsPerSecond: Math.round(capacity), rate, acceptedOpsPerSecond: Math.round((open.ops - open.errors) / seconds),
    p50Ms: worst((summary) => summary.p50Us), p99Ms: worst((summary) => summary.p99Us), maxMs: worst((summary) => summary.maxUs),
    shed: open.errors, peakRssMb: Math.round(peak), baselineRssMb: Math.round(baselineRssMb),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'meerkat-overload-'));
const results: Record<string, Figures> = {};
try {
  const meerkat = await startMeerkatProcess({ ...keyValues(values['meerkat-config']) });
  try {
    results['meerkat'] = await measure(meerkat.port, meerkat.pid);
  } finally {
    await meerkat.stop();
  }
  const zk = await startReferenceZooKeeper({ dataDir: join(dir, 'zk'), config: keyValues(values['zk-config']) });
  try {
    results['zookeeper'] = await measure(zk.port, zk.pid);
  } finally {
    await zk.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`case ${workload}, open loop at ${factor}x closed-loop capacity for ${seconds} s, 12 sessions x ${inFlight} in flight`);
console.log('server      capacity/s   rate/s  accepted/s   p50 ms   p99 ms   max ms   shed  RSS MB (idle -> peak)');
for (const [name, figures] of Object.entries(results)) {
  console.log(`${name.padEnd(10)} ${String(figures.capacityOpsPerSecond).padStart(10)} ${String(figures.rate).padStart(8)} ` +
    `${String(figures.acceptedOpsPerSecond).padStart(11)} ${figures.p50Ms.toFixed(0).padStart(8)} ${figures.p99Ms.toFixed(0).padStart(8)} ` +
    `${figures.maxMs.toFixed(0).padStart(8)} ${String(figures.shed).padStart(6)}  ${figures.baselineRssMb} -> ${figures.peakRssMb}`);
}
