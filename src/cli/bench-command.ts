// `meerkat bench`: load any ZooKeeper-protocol server (Meerkat or Apache ZooKeeper) and report
// throughput and latency percentiles per operation. The generator lives in bench/.

import type { Command } from 'commander';
import type { BenchOptions, BenchResult, SuitePhaseResult, WorkloadName } from '../../bench/index.js';
// The generator itself (histograms, worker threads) is loaded when the command runs, not by every
// `meerkat` invocation: `meerkat start` should not pay for it (restart-to-serving counts process start).
import { suiteWorkloadName, workloadNames } from '../../bench/workload.js';

interface BenchFlags {
  servers: string;
  workload: string;
  readPct: string;
  sessions: string;
  outstanding: string;
  duration: string;
  warmup?: string;
  ops: string;
  valueSize: string;
  keys: string;
  rate: string;
  workers: string;
  json?: boolean;
}

function positive(name: string, value: string, allowZero = false): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) throw new Error(`--${name} expects ${allowZero ? 'a non-negative' : 'a positive'} integer, got "${value}"`);
  return number;
}

export function benchOptionsFromFlags(flags: BenchFlags): BenchOptions {
  if (!workloadNames.includes(flags.workload as WorkloadName) && flags.workload !== suiteWorkloadName) {
    throw new Error(`--workload must be one of ${[...workloadNames, suiteWorkloadName].join(', ')}; got "${flags.workload}"`);
  }
  const servers = flags.servers.split(',').map((entry) => {
    const [host = '', port = ''] = entry.trim().split(':');
    return { host, port: positive('servers port', port) };
  });
  const readPct = positive('read-pct', flags.readPct, true);
  if (readPct > 100) throw new Error('--read-pct must be at most 100');
  return {
    servers, workload: flags.workload as WorkloadName, readPct, sessions: positive('sessions', flags.sessions),
    outstanding: positive('outstanding', flags.outstanding), durationSeconds: positive('duration', flags.duration),
    warmupSeconds: positive('warmup', flags.warmup ?? '0', true),
    ops: positive('ops', flags.ops, true), valueSize: positive('value-size', flags.valueSize, true), keys: positive('keys', flags.keys),
    rate: positive('rate', flags.rate, true), workers: positive('workers', flags.workers),
  };
}

export function formatBenchResult(result: BenchResult): string {
  const lines = [
    `${result.workload}: ${result.ops} ops in ${result.elapsedSeconds.toFixed(1)} s = ${Math.round(result.opsPerSecond)} ops/s, ` +
      `${result.errors} errors, ${result.sessions} sessions x ${result.outstanding} outstanding` +
      (result.openLoopRate > 0 ? `, open loop at ${result.openLoopRate}/s` : ', closed loop'),
    'op       count      p50 us    p90 us    p99 us  p99.9 us    max us',
  ];
  for (const [label, summary] of Object.entries(result.latencyUs)) {
    lines.push(`${label.padEnd(7)} ${String(summary.count).padStart(7)} ${[summary.p50Us, summary.p90Us, summary.p99Us, summary.p999Us, summary.maxUs]
      .map((value) => String(value).padStart(9)).join(' ')}`);
  }
  lines.push(`load generator CPU: ${result.generatorCpuPct.toFixed(0)}% of one core` +
    (result.generatorCpuPct > 85 ? ' (near saturation: add --workers to be sure the server is the bottleneck)' : ''));
  return lines.join('\n');
}

export function formatSuite(phases: SuitePhaseResult[]): string {
  return ['phase              ops/s   p50 us   p99 us   max us  errors', ...phases.map((phase) =>
    `${phase.phase.padEnd(16)} ${String(Math.round(phase.opsPerSecond)).padStart(7)} ${[phase.latencyUs.p50Us, phase.latencyUs.p99Us, phase.latencyUs.maxUs]
      .map((value) => String(value).padStart(8)).join(' ')} ${String(phase.errors).padStart(7)}`)].join('\n');
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('load a ZooKeeper-protocol server and report throughput and latency')
    .option('--servers <list>', 'host:port[,host:port...]', '127.0.0.1:2181')
    .option('--workload <name>', [...workloadNames, suiteWorkloadName].join(' | '), 'read')
    .option('--read-pct <n>', 'reads in percent for --workload mixed', '90')
    .option('--sessions <n>', 'sessions', '12')
    .option('--outstanding <n>', 'requests in flight per session', '8')
    .option('--duration <s>', 'seconds to run', '10')
    .option('--warmup <s>', 'seconds the workload runs unmeasured first (JIT warm-up), beside --duration', '1')
    .option('--ops <n>', 'stop after this many requests (0: run for --duration)', '0')
    .option('--value-size <bytes>', 'bytes per value', '100')
    .option('--keys <n>', 'keys per session', '10')
    .option('--rate <ops/s>', 'open loop at this total rate; latency from intended send times (0: closed loop)', '0')
    .option('--workers <n>', 'worker threads generating load', '1')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BenchFlags) => {
      const options = benchOptionsFromFlags(flags);
      const { runBench, runSuite } = await import('../../bench/index.js');
      if (flags.workload === suiteWorkloadName) {
        const server = options.servers[0]!;
        const phases = await runSuite({ ...server, keys: options.keys, valueSize: options.valueSize, outstanding: options.outstanding });
        console.log(flags.json === true ? JSON.stringify(phases) : formatSuite(phases));
        if (phases.some((phase) => phase.errors > 0)) process.exitCode = 1;
        return;
      }
      let bar: { update(value: number): void; stop(): void } | undefined;
      if (flags.json !== true && process.stdout.isTTY) {
        const { SingleBar, Presets } = await import('cli-progress');
        const progress = new SingleBar({ format: 'bench [{bar}] {percentage}%' }, Presets.shades_classic);
        progress.start(100, 0);
        bar = progress;
        options.onProgress = (fraction) => progress.update(Math.round(fraction * 100));
      }
      const result = await runBench(options);
      bar?.stop();
      console.log(flags.json === true ? JSON.stringify(result) : formatBenchResult(result));
      if (result.errors > 0) process.exitCode = 1;
    });
}
