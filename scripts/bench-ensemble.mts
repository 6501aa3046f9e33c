// `npm run bench:ensemble` (a benchmark, not a test): a 3-member Meerkat ensemble (`startCluster`,
// real `meerkat start` processes) against a 3-member Apache ZooKeeper 3.8 ensemble (the neutral kit's
// zk-ensemble.sh), both on 127.0.0.1 of this machine, fsync on for both, in one run.
//
// Part 1, throughput and latency (tickTime 2000 for both, both ensembles up, cases alternated A/B
// per round): read, write and mixed (90 % getData, 10 % setData), 12 sessions x 8 outstanding,
// 100-byte values, sessions spread over the three members, with two generators:
//   zkload        ZooKeeper's C client (../shared/bench-neutral, libzookeeper_st, one send per request),
//                 10,000 shared keys; server CPU over its measured window (--pids, all three members)
//   meerkat bench Meerkat's own generator (bench/, corked writes: the case that flatters Meerkat),
//                 10 keys per session; server CPU sampled from /proc at the end of its warm-up and at the end
// and the paced cases: an open loop at `--paced-fraction` (0.8) of ZooKeeper's closed-loop median for
// the same case, the same rate for both ensembles, latency from each request's intended send time.
//
// Part 2, failover: a writer holding one session over all three members (raw protocol, one setData
// outstanding, on a lost connection it reattaches the session to the next member at once, 10 ms pause
// after a round of failed members) writes in a loop; the leader is killed with SIGKILL; the figure is
// the time from the kill to the first acknowledged write sent after the kill. The killed member is
// restarted and the ensemble's quorum awaited between trials. Trials alternate ZooKeeper and Meerkat,
// at tickTime 2000 and then 500.
//
// Before part 1 each ensemble gets `--warmup` seconds (6) of each generator's mixed load, unmeasured
// (fresh ZooKeeper JVMs ran reads at two thirds of their warm rate in a run without it).
//
//   npm run bench:ensemble -- [--rounds 2] [--seconds 5] [--warmup 6] [--trials 20] [--ticks 2000,500]
//     [--parts throughput,failover] [--paced-fraction 0.8] [--zk-base-port 25300] [--json FILE]

import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpCode } from '../src/proto/index.js';
import { type BenchResult, type WorkloadName, runBench } from '../dist/bench/index.js';
import { type Cluster, startCluster } from '../dist/src/runtime/cluster.js';
import { sendFourLetterWord } from '../test/helpers/four-letter.js';
import { RawClient } from '../test/helpers/raw-client.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const rounds = Number(option('--rounds', '2'));
const seconds = Number(option('--seconds', '5'));
const trials = Number(option('--trials', '20'));
const ticks = option('--ticks', '2000,500').split(',').map(Number);
const parts = option('--parts', 'throughput,failover').split(',');
const pacedFraction = Number(option('--paced-fraction', '0.8'));
const zkBasePort = Number(option('--zk-base-port', '25300'));
const ensembleWarmupSeconds = Number(option('--warmup', '6'));
const jsonOut = args.includes('--json') ? option('--json', '') : null;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();
const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Ensembles running now, stopped on SIGINT / SIGTERM as well as on the normal path. */
const running = new Set<{ stop(): Promise<void> }>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping ${running.size} ensemble(s)`);
    void Promise.allSettled([...running].map((ensemble) => ensemble.stop())).then(() => process.exit(1));
  });
}

function cpuTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    sum += Number(fields[11]) + Number(fields[12]);
  }
  return sum;
}

// ---------------------------------------------------------------- the two ensembles

/** What both ensembles offer the measurements. */
interface Ensemble {
  name: 'zookeeper' | 'meerkat';
  ports: number[];
  pids(): number[];
  /** Index of the member that leads now (undefined when none does). */
  leaderIndex(): Promise<number | undefined>;
  killMember(index: number): void;
  restartMember(index: number): Promise<void>;
  waitForQuorum(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const kit = [resolve('../shared/bench-neutral'), resolve('../../shared/bench-neutral')].find((dir) => existsSync(join(dir, 'zk-ensemble.sh')));
if (kit === undefined) throw new Error('bench-neutral kit not found at ../shared/bench-neutral');

async function srvrMode(port: number): Promise<string | undefined> {
  try {
    return /Mode: (\w+)/.exec(await sendFourLetterWord({ host: '127.0.0.1', port }, 'srvr'))?.[1];
  } catch {
    return undefined;
  }
}

/** Three ZooKeeper 3.8 members by the kit's zk-ensemble.sh; a killed member restarts with the argv it ran with. */
async function startZooKeeper(tickTimeMs: number): Promise<Ensemble> {
  const dir = mkdtempSync(join(tmpdir(), 'meerkat-bench-ensemble-zk-'));
  const ports = [0, 1, 2].map((index) => zkBasePort + index);
  const env = { ...process.env, ZK_FORCE_SYNC: 'yes', ZK_EXTRA_CFG: `tickTime=${tickTimeMs}\nmaxClientCnxns=0`, ZK_HEAP_MB: '1024' };
  execFileSync(join(kit!, 'zk-ensemble.sh'), ['start', '3', String(zkBasePort), dir], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
  const pidFile = (index: number): string => join(dir, `zk${index + 1}`, 'zk.pid');
  const pids = [0, 1, 2].map((index) => Number(readFileSync(pidFile(index), 'utf8').trim()));
  const argv = pids.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== ''));
  const ensemble: Ensemble = {
    name: 'zookeeper', ports, pids: () => [...pids],
    async leaderIndex() {
      for (let index = 0; index < 3; index++) if ((await srvrMode(ports[index]!)) === 'leader') return index;
      return undefined;
    },
    killMember(index) {
      process.kill(pids[index]!, 'SIGKILL');
    },
    async restartMember(index) {
      const out = openSync(join(dir, `zk${index + 1}`, 'stdout.log'), 'a');
      const child = spawn(argv[index]![0]!, argv[index]!.slice(1), { detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      child.unref();
      pids[index] = child.pid!;
      // zk-ensemble.sh stop reads the pid files; keep them right.
      writeFileSync(pidFile(index), `${child.pid}\n`);
      writeFileSync(join(dir, 'pids'), `${pids.join('\n')}\n`);
    },
    async waitForQuorum(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const modes = await Promise.all(ports.map(srvrMode));
        if (modes.filter((mode) => mode === 'leader').length === 1 && modes.every((mode) => mode === 'leader' || mode === 'follower')) return;
        if (Date.now() > deadline) throw new Error(`zookeeper: no quorum of all three within ${timeoutMs} ms: ${modes.join(' ')}`);
        await sleep(50);
      }
    },
    async stop() {
      running.delete(ensemble);
      execFileSync(join(kit!, 'zk-ensemble.sh'), ['stop', '3', String(zkBasePort), dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(ensemble);
  return ensemble;
}

async function startMeerkat(tickTimeMs: number): Promise<Ensemble> {
  const cluster: Cluster = await startCluster({ size: 3, tickTimeMs, config: { forceSync: 'yes', maxClientCnxns: '0' }, startTimeoutMs: 60_000 });
  await cluster.waitForQuorum(60_000);
  const members = cluster.members;
  const ensemble: Ensemble = {
    name: 'meerkat', ports: members.map((member) => member.clientPort), pids: () => members.map((member) => member.pid!),
    async leaderIndex() {
      const leader = cluster.leader();
      return leader === undefined ? undefined : members.indexOf(leader);
    },
    killMember(index) {
      // members[i].kill() is kill -9 and then awaits the exit; the signal is sent synchronously.
      void members[index]!.kill();
    },
    async restartMember(index) {
      await members[index]!.restart();
    },
    async waitForQuorum(timeoutMs) {
      await cluster.waitForQuorum(timeoutMs);
      // Every member, not only the running ones, as for ZooKeeper.
      const deadline = Date.now() + timeoutMs;
      while (members.some((member) => member.state !== 'leader' && member.state !== 'follower')) {
        if (Date.now() > deadline) throw new Error(`meerkat: no quorum of all three within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    stop: () => {
      running.delete(ensemble);
      return cluster.stop();
    },
  };
  running.add(ensemble);
  return ensemble;
}

// ---------------------------------------------------------------- part 1: throughput, latency, CPU

interface Result { opsPerSecond: number; p50Us: number; p99Us: number; serverCpuUsPerOp: number; generatorCpuPct: number; errors: number }
type Workload = 'read' | 'write' | 'mixed';

const zkloadBin = join(tmpdir(), 'meerkat-bench-neutral-bin');
function buildZkload(): string {
  execFileSync('make', ['-s', '-C', kit!, `BIN=${zkloadBin}`, `${zkloadBin}/zkload`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return join(zkloadBin, 'zkload');
}

async function runZkload(zkload: string, ensemble: Ensemble, workload: Workload, rate: number, duration = seconds): Promise<Result> {
  const zkArgs = [
    '-H', ensemble.ports.map((port) => `127.0.0.1:${port}`).join(','), '-c', '12', '-d', '8', '-t', String(duration), '-W', '1',
    '-w', workload, '-r', '90', '-s', '100', '-k', '10000', '-R', String(rate), '--pids', ensemble.pids().join(','),
  ];
  const stdout = await new Promise<string>((done, fail) => {
    execFile(zkload, zkArgs, { maxBuffer: 1 << 20, timeout: (seconds + 120) * 1000 }, (error, out, err) => (error === null ? done(out) : fail(new Error(`zkload ${zkArgs.join(' ')}: ${error.message}\n${err}`))));
  });
  const line = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
  return {
    opsPerSecond: line.ops_per_sec!, p50Us: line.p50_us!, p99Us: line.p99_us!, serverCpuUsPerOp: line.server_cpu_us_per_op!,
    generatorCpuPct: line.client_cpu_pct!, errors: line.errors!,
  };
}

async function runMeerkatBench(ensemble: Ensemble, workload: Workload, rate: number, duration = seconds): Promise<Result> {
  const warmupSeconds = 1;
  const pids = ensemble.pids();
  let ticksAtMeasureStart = -1;
  // The generator runs in this thread (one worker): the timer fires when its warm-up ends.
  const timer = setTimeout(() => { ticksAtMeasureStart = cpuTicks(pids); }, warmupSeconds * 1000);
  const ticksBefore = cpuTicks(pids);
  const result: BenchResult = await runBench({
    servers: ensemble.ports.map((port) => ({ host: '127.0.0.1', port })), workload: workload as WorkloadName, readPct: 90, valueSize: 100, keys: 10,
    sessions: 12, outstanding: 8, durationSeconds: duration, warmupSeconds, ops: 0, rate, workers: 1,
  });
  clearTimeout(timer);
  const ticksAfter = cpuTicks(pids);
  const measuredTicks = ticksAfter - (ticksAtMeasureStart >= 0 ? ticksAtMeasureStart : ticksBefore);
  return {
    opsPerSecond: result.opsPerSecond, p50Us: result.latencyAllUs.p50Us, p99Us: result.latencyAllUs.p99Us,
    serverCpuUsPerOp: (measuredTicks * 10_000) / result.ops, generatorCpuPct: result.generatorCpuPct, errors: result.errors,
  };
}

interface CaseSpec { name: string; generator: 'zkload' | 'meerkat bench'; workload: Workload; pacedFrom?: string }
const workloads: Workload[] = ['read', 'write', 'mixed'];
const closedCases: CaseSpec[] = [
  ...workloads.map((workload) => ({ name: `c-${workload}`, generator: 'zkload' as const, workload })),
  ...workloads.map((workload) => ({ name: workload, generator: 'meerkat bench' as const, workload })),
];
const pacedCases: CaseSpec[] = closedCases.map((entry) => ({ ...entry, name: `${entry.name}-paced`, pacedFrom: entry.name }));

async function throughputPart(): Promise<unknown> {
  const zkload = buildZkload();
  const load: string[] = [uptime()];
  log(`throughput: starting both ensembles (tickTime 2000); ${load[0]}`);
  const zookeeper = await startZooKeeper(2000);
  const meerkat = await startMeerkat(2000);
  const results: Record<string, Record<string, Result[]>> = { zookeeper: {}, meerkat: {} };
  const rates: Record<string, number> = {};
  try {
    // Unmeasured warm-up of both (the JVM's JIT most of all; the kit's compare.sh gives 12 s): each
    // generator's mixed load for `--warmup` seconds on each ensemble.
    for (const ensemble of [zookeeper, meerkat]) {
      await runZkload(zkload, ensemble, 'mixed', 0, ensembleWarmupSeconds);
      await runMeerkatBench(ensemble, 'mixed', 0, ensembleWarmupSeconds);
    }
    log('warm-up done');
    for (const batch of [closedCases, pacedCases]) {
      for (const entry of batch) {
        if (entry.pacedFrom !== undefined) rates[entry.name] = Math.round(pacedFraction * median(results.zookeeper![entry.pacedFrom]!.map((r) => r.opsPerSecond)));
      }
      for (let round = 0; round < rounds; round++) {
        for (const entry of batch) {
          for (const ensemble of round % 2 === 0 ? [zookeeper, meerkat] : [meerkat, zookeeper]) {
            const rate = rates[entry.name] ?? 0;
            const result = entry.generator === 'zkload' ? await runZkload(zkload, ensemble, entry.workload, rate) : await runMeerkatBench(ensemble, entry.workload, rate);
            if (result.errors > 0) log(`${entry.name} on ${ensemble.name}: ${result.errors} errors`);
            (results[ensemble.name]![entry.name] ??= []).push(result);
            log(`${entry.name.padEnd(18)} ${ensemble.name.padEnd(9)} ${result.opsPerSecond.toFixed(0).padStart(7)} ops/s p50 ${result.p50Us.toFixed(0)} p99 ${result.p99Us.toFixed(0)} us cpu ${result.serverCpuUsPerOp.toFixed(1)} us/op gen ${result.generatorCpuPct.toFixed(0)} %`);
          }
        }
        load.push(uptime());
      }
    }
  } finally {
    await meerkat.stop();
    await zookeeper.stop();
  }
  const keys = ['opsPerSecond', 'p50Us', 'p99Us', 'serverCpuUsPerOp', 'generatorCpuPct'] as const;
  const summary = [...closedCases, ...pacedCases].map((entry) => ({
    case: entry.name, generator: entry.generator, rate: rates[entry.name] ?? 0,
    ...Object.fromEntries(keys.map((key) => {
      const zk = results.zookeeper![entry.name]!.map((r) => r[key]);
      const mk = results.meerkat![entry.name]!.map((r) => r[key]);
      const ratios = mk.map((value, round) => value / zk[round]!);
      return [key, { zookeeper: median(zk), meerkat: median(mk), ratio: median(mk) / median(zk), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios), zk, mk }];
    })),
  }));
  console.log(`\nthroughput: ${rounds} rounds x ${seconds} s, 12 sessions x 8 outstanding over 3 members, 100-byte values, fsync on; ratio = meerkat / zookeeper of medians [per-round range]`);
  for (const row of summary) {
    for (const key of keys) {
      const cell = (row as unknown as Record<string, { zookeeper: number; meerkat: number; ratio: number; ratioMin: number; ratioMax: number }>)[key]!;
      const rate = row.rate > 0 ? ` @${row.rate}/s` : '';
      console.log(`${(row.case + rate).padEnd(24)} ${row.generator.padEnd(13)} ${key.padEnd(16)} zookeeper ${cell.zookeeper.toFixed(1).padStart(9)}  meerkat ${cell.meerkat.toFixed(1).padStart(9)}  ratio ${cell.ratio.toFixed(2)} [${cell.ratioMin.toFixed(2)}-${cell.ratioMax.toFixed(2)}]`);
    }
  }
  console.log(`load: ${load.join(' | ')}`);
  return { load, rates, summary };
}

// ---------------------------------------------------------------- part 2: failover

const failoverPath = '/meerkat-bench-failover';
/** Bounds: a trial gives up after this long without a write after the kill. */
const failoverTrialMsMax = 30_000;

/**
 * One session over every member, one setData outstanding, reattaching the session to the next member
 * at once when its connection is lost. Records each acknowledged write's send and ack times.
 */
class FailoverWriter {
  acks: Array<{ sentMs: number; ackedMs: number }> = [];
  connects = 0;
  newSessions = 0;
  currentPort = 0;
  private stopped = false;
  private session: { id: bigint; password: Uint8Array } | undefined;
  private done: Promise<void> | undefined;
  private readonly value = Buffer.alloc(100, 0x62);

  constructor(private readonly ports: number[]) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async connect(next: number): Promise<RawClient | undefined> {
    const port = this.ports[next % this.ports.length]!;
    this.connects++;
    try {
      const client = await RawClient.connect({
        host: '127.0.0.1', port, sessionTimeoutMs: 10_000, connectTimeoutMs: 1000, replyTimeoutMs: 5000, pingIntervalMs: 1000,
        sessionId: this.session?.id, password: this.session?.password,
      });
      if (client.session.timeOut <= 0) {
        // Expired (or refused): a new session; counted, it should not happen within 10 s.
        client.destroy();
        this.session = undefined;
        this.newSessions++;
        return undefined;
      }
      this.session = { id: client.sessionId, password: client.password };
      this.currentPort = port;
      return client;
    } catch {
      return undefined;
    }
  }

  private async loop(): Promise<void> {
    let client: RawClient | undefined;
    let next = 0;
    let failuresThisRound = 0;
    // Bounded in count as well as by stop(): at most ~10^6 writes or reconnects.
    for (let step = 0; step < 1_000_000 && !this.stopped; step++) {
      if (client === undefined) {
        client = await this.connect(next++);
        if (client === undefined) {
          if (++failuresThisRound >= this.ports.length) {
            failuresThisRound = 0;
            await sleep(10);
          }
          continue;
        }
        failuresThisRound = 0;
        if (this.acks.length === 0) await client.request({ type: OpCode.create, path: failoverPath, data: Buffer.alloc(0), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 }).catch(() => undefined);
      }
      const sentMs = performance.now();
      try {
        const reply = await client.request({ type: OpCode.setData, path: failoverPath, data: this.value, version: -1 });
        if (reply.header.err === 0) this.acks.push({ sentMs, ackedMs: performance.now() });
        else await sleep(5);
      } catch {
        client.destroy();
        client = undefined;
      }
      if (this.acks.length > 100_000) this.acks = this.acks.slice(-1000);
    }
    client?.destroy();
  }
}

interface Trial { ensemble: string; tickTimeMs: number; failoverMs: number; writerOnLeader: boolean; connects: number; newSessions: number }

async function failoverTrial(ensemble: Ensemble, writer: FailoverWriter, tickTimeMs: number): Promise<Trial> {
  // Steady writes first: an acknowledged write in the last 200 ms.
  const steadyDeadline = Date.now() + 30_000;
  while (writer.acks.length === 0 || performance.now() - writer.acks[writer.acks.length - 1]!.ackedMs > 200) {
    if (Date.now() > steadyDeadline) throw new Error(`${ensemble.name}: the writer made no progress before the kill`);
    await sleep(20);
  }
  await sleep(300);
  const leader = await ensemble.leaderIndex();
  if (leader === undefined) throw new Error(`${ensemble.name}: no leader to kill`);
  const writerOnLeader = writer.currentPort === ensemble.ports[leader];
  const connectsBefore = writer.connects;
  const sessionsBefore = writer.newSessions;
  const killedMs = performance.now();
  ensemble.killMember(leader);
  let failoverMs = Number.NaN;
  for (;;) {
    const first = writer.acks.find((ack) => ack.sentMs >= killedMs);
    if (first !== undefined) {
      failoverMs = first.ackedMs - killedMs;
      break;
    }
    if (performance.now() - killedMs > failoverTrialMsMax) break;
    await sleep(2);
  }
  const trial = { ensemble: ensemble.name, tickTimeMs, failoverMs, writerOnLeader, connects: writer.connects - connectsBefore, newSessions: writer.newSessions - sessionsBefore };
  await ensemble.restartMember(leader);
  await ensemble.waitForQuorum(90_000);
  return trial;
}

async function failoverPart(): Promise<unknown> {
  const out: Array<{ tickTimeMs: number; load: string[]; trials: Trial[] }> = [];
  for (const tickTimeMs of ticks) {
    const load = [uptime()];
    log(`failover at tickTime ${tickTimeMs}: ${trials} trials each, alternated; ${load[0]}`);
    const ensembles = [await startZooKeeper(tickTimeMs), await startMeerkat(tickTimeMs)];
    const writers = ensembles.map((ensemble) => new FailoverWriter(ensemble.ports));
    writers.forEach((writer) => writer.start());
    // Both writers run a few seconds before the first kill (JIT of both servers' write paths).
    await sleep(3000);
    const done: Trial[] = [];
    try {
      for (let trial = 0; trial < trials; trial++) {
        for (const index of trial % 2 === 0 ? [0, 1] : [1, 0]) {
          const result = await failoverTrial(ensembles[index]!, writers[index]!, tickTimeMs);
          done.push(result);
          log(`tick ${tickTimeMs} trial ${trial + 1} ${result.ensemble.padEnd(9)} ${result.failoverMs.toFixed(0).padStart(6)} ms (writer on the leader: ${result.writerOnLeader}, connects ${result.connects}, new sessions ${result.newSessions})`);
        }
        if (trial % 5 === 4) load.push(uptime());
      }
    } finally {
      await Promise.all(writers.map((writer) => writer.stop()));
      for (const ensemble of ensembles) await ensemble.stop();
    }
    out.push({ tickTimeMs, load, trials: done });
  }
  console.log('\nfailover: kill -9 of the leader to the first acknowledged write sent after it (ms)');
  for (const { tickTimeMs, load, trials: list } of out) {
    const stats = (name: string, filter: (trial: Trial) => boolean = () => true): { median: number; p95: number; max: number; n: number } => {
      const values = list.filter((trial) => trial.ensemble === name && filter(trial)).map((trial) => (Number.isNaN(trial.failoverMs) ? Infinity : trial.failoverMs));
      return { median: median(values), p95: percentile(values, 95), max: Math.max(...values), n: values.length };
    };
    for (const name of ['zookeeper', 'meerkat']) {
      const all = stats(name);
      const onLeader = stats(name, (trial) => trial.writerOnLeader);
      const onFollower = stats(name, (trial) => !trial.writerOnLeader);
      console.log(`tick ${String(tickTimeMs).padEnd(5)} ${name.padEnd(9)} n ${all.n} median ${all.median.toFixed(0)} p95 ${all.p95.toFixed(0)} max ${all.max.toFixed(0)}`
        + ` | writer on the leader: n ${onLeader.n} median ${onLeader.median?.toFixed(0)} | on a follower: n ${onFollower.n} median ${onFollower.median?.toFixed(0)}`);
    }
    const zk = stats('zookeeper');
    const mk = stats('meerkat');
    console.log(`tick ${tickTimeMs} ratio meerkat / zookeeper: median ${(mk.median / zk.median).toFixed(2)} p95 ${(mk.p95 / zk.p95).toFixed(2)} max ${(mk.max / zk.max).toFixed(2)}`);
    console.log(`load: ${load.join(' | ')}`);
  }
  return out;
}

const report: Record<string, unknown> = { started: new Date().toISOString() };
if (parts.includes('throughput')) report.throughput = await throughputPart();
if (parts.includes('failover')) report.failover = await failoverPart();
if (jsonOut !== null) writeFileSync(jsonOut, JSON.stringify(report, null, 1));
process.exit(0);
