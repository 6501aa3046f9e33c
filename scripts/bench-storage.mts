// Storage benchmark (not a test): with N znodes of 100 bytes (default 10^6),
//  1. the longest event-loop stall while a fuzzy snapshot is written (target: none above 50 ms),
//  2. restart-to-serving time and RSS for Meerkat and Apache ZooKeeper 3.8 in two cases, each on a
//     fresh copy of the same data directory (Meerkat writes it; ZooKeeper reads Meerkat's format):
//     - `clean`: a snapshot at the last zxid, nothing to replay (the best case: a server that
//       snapshotted as it stopped);
//     - `tail`: a snapshot `--tail` txns (default 100,000, the default snapCount) before the last zxid
//       and the log holding those txns (creates of 100-byte nodes), as a server stopped after loading
//       N znodes leaves it: recovery is snapshot + replay. Meerkat's own recovery line (time, txns
//       replayed) gives the replay speed.
//     Rounds (`--restarts`, default 3) alternate Meerkat and ZooKeeper: clean, then tail; medians and
//     min-max are reported (timings on a shared machine are noisy), ratios of medians.
//  3. with --network-load, RSS after loading the same N znodes through the protocol (one client,
//     creates pipelined 1,000 at a time) into a fresh Meerkat and a fresh ZooKeeper: memory as a
//     live server holds it, not only as a restart rebuilds it (~2 min more, ZooKeeper's load is slow).
//   node --import tsx scripts/bench-storage.mts [--nodes 1000000] [--tail 100000] [--json] [--restarts 3] [--meerkat-only] [--keep-data-dir] [--network-load]
// --meerkat-only skips ZooKeeper (a quick proxy while iterating; ratios need both); --keep-data-dir
// leaves the data directories for profiling (`node --cpu-prof bin/meerkat.js start --data-dir <dir>/tail`;
// recovery does not change a data directory holding a snapshot, so it can be restarted on again).

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { OpCode, type Txn, type TxnHeader } from '../src/proto/index.js';
import { NodeFileSystem } from '../src/runtime/node-file-system.js';
import { TxnLog, joinPath, preAllocBytesDefault, serializeSnapshot, snapshotFileName, versionDirName } from '../src/storage/index.js';
import { DataTree, applyTxn } from '../src/tree/index.js';
// Replay is measured with the compiled code the server runs (its checksum thread loads a .js file).
import { NodeFileSystem as CompiledNodeFileSystem } from '../dist/src/runtime/node-file-system.js';
import { threadPrefixChecksums } from '../dist/src/runtime/prefix-checksums.js';
import { recover } from '../dist/src/storage/index.js';
import { DataTree as CompiledDataTree } from '../dist/src/tree/index.js';
import { ZooKeeperClient } from '../src/client/index.js';
import { sendFourLetterWord } from '../test/helpers/four-letter.js';
import { getFreePort } from '../test/helpers/ports.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';

const args = process.argv.slice(2);
const numberFlag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const nodes = numberFlag('--nodes', 1_000_000) || 1_000_000;
const tail = Math.max(0, numberFlag('--tail', 100_000));
const asJson = args.includes('--json');
const meerkatOnly = args.includes('--meerkat-only');
const keepDataDir = args.includes('--keep-data-dir');
const networkLoad = args.includes('--network-load');
const restarts = Math.max(1, numberFlag('--restarts', 3) || 1);
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** The txns that create `count` znodes of 100 bytes under parents of 1,000 (zxid 1, 2, ...). */
function* loadTxns(count: number): Generator<{ header: TxnHeader; txn: Txn }> {
  const data = Buffer.alloc(100, 7);
  const fanout = 1000;
  let zxid = 0;
  const create = (path: string, parentCVersion: number): { header: TxnHeader; txn: Txn } => {
    zxid++;
    return {
      header: { sessionId: 0n, cxid: 0, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create },
      txn: { type: OpCode.create, path, data, acl: open, ephemeral: false, parentCVersion },
    };
  };
  for (let group = 0; group * fanout < count; group++) {
    yield create(`/g${group}`, group + 1);
    for (let i = 0; i < fanout && group * fanout + i < count; i++) yield create(`/g${group}/n${i}`, i + 1);
  }
}

/** The number of txns loadTxns(count) yields. */
function txnCount(count: number): number {
  return count + Math.ceil(count / 1000);
}

/**
 * Builds the tree of `count` znodes in process and writes the `tail` data directory on the way: a
 * snapshot `tail` txns before the end, then those txns through the server's own TxnLog (fsync off:
 * the files are the same, and the benchmark measures reading them).
 */
async function buildTreeAndTailDir(count: number, tailDir: string): Promise<DataTree> {
  const tree = new DataTree();
  const fs = new NodeFileSystem();
  const snapshotAt = Math.max(0, txnCount(count) - tail);
  let log: TxnLog | null = null;
  let applied = 0;
  if (snapshotAt === 0) log = await startTail(tree, fs, tailDir);
  for (const { header, txn } of loadTxns(count)) {
    applyTxn(tree, header, txn);
    applied++;
    if (log !== null) {
      log.append(header, txn);
      if (log.pendingCount >= 1000) await log.flush();
    } else if (applied === snapshotAt) {
      log = await startTail(tree, fs, tailDir);
    }
  }
  await log!.flush();
  await log!.close();
  return tree;
}

async function startTail(tree: DataTree, fs: NodeFileSystem, tailDir: string): Promise<TxnLog> {
  const dir = join(tailDir, versionDirName);
  await writeSnapshotMeasuringStalls(tree, dir);
  return new TxnLog({ fs, dir, preAllocBytes: preAllocBytesDefault, forceSync: false, lastZxid: tree.lastProcessedZxid });
}

async function writeSnapshotMeasuringStalls(tree: DataTree, dir: string): Promise<{ maxStallMs: number; p99StallMs: number; ms: number; bytes: number }> {
  const fs = new NodeFileSystem();
  await fs.mkdir(dir);
  const path = joinPath(dir, snapshotFileName(tree.lastProcessedZxid));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = Date.now();
  const file = await fs.open(path);
  let position = 0;
  for (const chunk of serializeSnapshot(tree as DataTree<unknown>, { sessions: new Map(), zxid: tree.lastProcessedZxid })) {
    await file.write(chunk, position);
    position += chunk.length;
  }
  await file.sync();
  await file.close();
  histogram.disable();
  return { maxStallMs: histogram.max / 1e6, p99StallMs: histogram.percentile(99) / 1e6, ms: Date.now() - started, bytes: position };
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** What Meerkat logs when recovery ends ('recovered data directory'). */
interface RecoveryLine { ms: number; txnsReplayed: number; nodes: number }

interface RunningMeerkat { port: number; pid: number; ms: number; recovery: Promise<RecoveryLine | null>; stop: () => Promise<void> }

/**
 * Starts `meerkat start` on `dataDir` and waits until it answers; `ms` from spawn to serving. It logs
 * at info (a few lines at start) so that its recovery line can be read; stdout is drained throughout.
 */
async function startMeerkat(dataDir: string): Promise<RunningMeerkat> {
  const port = await getFreePort();
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/meerkat.js', 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const recovery = new Promise<RecoveryLine | null>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('recovered data directory')) return;
      const parsed = JSON.parse(line) as RecoveryLine;
      resolve({ ms: parsed.ms, txnsReplayed: parsed.txnsReplayed, nodes: parsed.nodes });
    });
    void exited.then(() => resolve(null));
  });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    for (;;) {
      try {
        if ((await sendFourLetterWord({ host: '127.0.0.1', port }, 'ruok')) === 'imok') break;
      } catch {
        // not yet listening
      }
      if (Date.now() - started > 300_000) throw new Error('meerkat did not come up');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid!, ms: Date.now() - started, recovery, stop };
}

interface Restart { ms: number; rss: number; recoveryMs?: number; txnsReplayed?: number }

/** Restarts on a fresh copy of `dataDir` (a restart may write to it: ZooKeeper snapshots after loading). */
async function onCopy<T>(dataDir: string, use: (copy: string) => Promise<T>): Promise<T> {
  const copy = `${dataDir}.run`;
  rmSync(copy, { recursive: true, force: true });
  cpSync(dataDir, copy, { recursive: true });
  try {
    return await use(copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

async function meerkatRestart(dataDir: string): Promise<Restart> {
  return onCopy(dataDir, async (copy) => {
    const server = await startMeerkat(copy);
    try {
      const recovery = await server.recovery;
      return { ms: server.ms, rss: rssOf(server.pid), recoveryMs: recovery?.ms, txnsReplayed: recovery?.txnsReplayed };
    } finally {
      await server.stop();
    }
  });
}

/** Creates `count` znodes of 100 bytes (parents of 1,000) through one client; the RSS 2 s after. */
async function loadOverNetwork(port: number, pid: number, count: number): Promise<{ ms: number; rss: number }> {
  const client = await ZooKeeperClient.connect(`127.0.0.1:${port}`);
  const data = Buffer.alloc(100, 7);
  const started = Date.now();
  try {
    for (let group = 0; group * 1000 < count; group++) {
      await client.create(`/g${group}`, data);
      const creates: Array<Promise<unknown>> = [];
      for (let i = 0; i < 1000 && group * 1000 + i < count; i++) creates.push(client.create(`/g${group}/n${i}`, data));
      await Promise.all(creates);
    }
  } finally {
    await client.close();
  }
  const ms = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return { ms, rss: rssOf(pid) };
}

async function networkLoads(dir: string): Promise<{ meerkat: { ms: number; rss: number }; zookeeper: { ms: number; rss: number } | null }> {
  const server = await startMeerkat(join(dir, 'meerkat'));
  let meerkat: { ms: number; rss: number };
  try {
    meerkat = await loadOverNetwork(server.port, server.pid, nodes);
  } finally {
    await server.stop();
  }
  if (meerkatOnly) return { meerkat, zookeeper: null };
  const zk = await startReferenceZooKeeper({ dataDir: join(dir, 'zookeeper'), jvmOptions: ['-Xmx6g'], startTimeoutMs: 300_000 });
  try {
    return { meerkat, zookeeper: await loadOverNetwork(zk.port, zk.pid, nodes) };
  } finally {
    await zk.stop();
  }
}

async function zookeeperRestart(dataDir: string): Promise<Restart> {
  return onCopy(dataDir, async (copy) => {
    const zk = await startReferenceZooKeeper({ dataDir: copy, jvmOptions: ['-Xmx6g'], startTimeoutMs: 300_000 });
    try {
      return { ms: zk.startupMs, rss: rssOf(zk.pid) };
    } finally {
      await zk.stop();
    }
  });
}

/** Recovers `dataDir` in this process (the server's recover(), Node file system); its wall time in ms. */
async function timedRecover(dataDir: string, logDir: string): Promise<{ ms: number; txnsReplayed: number }> {
  const started = performance.now();
  const recovered = await recover({
    fs: new CompiledNodeFileSystem(), dataDir, dataLogDir: logDir, createTree: (withSystemNodes) => new CompiledDataTree({ withSystemNodes }), warn: () => {},
    prefixChecksums: threadPrefixChecksums,
  });
  return { ms: performance.now() - started, txnsReplayed: recovered.txnsReplayed };
}

/**
 * Replay alone: recovering the tail directory, less recovering its snapshot with no log, alternated
 * over rounds. On a shared machine the best round of each (min) is the least disturbed estimate of
 * what the code costs; the medians are reported beside it.
 */
async function measureReplay(tailDir: string): Promise<{ txns: number; fullMs: Summary; snapshotOnlyMs: Summary; bestMs: number; medianMs: number }> {
  const noLog = mkdtempSync(join(tmpdir(), 'meerkat-bench-no-log-'));
  const fullMs: number[] = [];
  const snapshotOnlyMs: number[] = [];
  let txns = 0;
  try {
    for (let round = 0; round < Math.max(3, restarts); round++) {
      snapshotOnlyMs.push(Math.round((await timedRecover(tailDir, noLog)).ms));
      const full = await timedRecover(tailDir, tailDir);
      txns = full.txnsReplayed;
      fullMs.push(Math.round(full.ms));
    }
  } finally {
    rmSync(noLog, { recursive: true, force: true });
  }
  const full = summarize(fullMs);
  const snapshotOnly = summarize(snapshotOnlyMs);
  return { txns, fullMs: full, snapshotOnlyMs: snapshotOnly, bestMs: full.min - snapshotOnly.min, medianMs: full.median - snapshotOnly.median };
}

interface Summary { median: number; min: number; max: number }

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

interface CaseResult { runs: Restart[]; ms: Summary; rss: Summary }

function caseResult(runs: Restart[]): CaseResult {
  return { runs, ms: summarize(runs.map((run) => run.ms)), rss: summarize(runs.map((run) => run.rss)) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-bench-storage-'));
const cleanDir = join(dataDir, 'clean');
const tailDir = join(dataDir, 'tail');
try {
  const buildStarted = Date.now();
  const tree = await buildTreeAndTailDir(nodes, tailDir);
  const buildMs = Date.now() - buildStarted;
  const snapshot = await writeSnapshotMeasuringStalls(tree, join(cleanDir, versionDirName));
  const runs = { meerkat: { clean: [] as Restart[], tail: [] as Restart[] }, zookeeper: { clean: [] as Restart[], tail: [] as Restart[] } };
  for (let round = 0; round < restarts; round++) {
    for (const [name, dir] of [['clean', cleanDir], ['tail', tailDir]] as const) {
      runs.meerkat[name].push(await meerkatRestart(dir));
      if (!meerkatOnly) runs.zookeeper[name].push(await zookeeperRestart(dir));
    }
  }
  const replay = tail > 0 ? await measureReplay(tailDir) : null;
  const loaded = networkLoad ? await networkLoads(join(dataDir, 'network-load')) : null;
  const restart = Object.fromEntries((['clean', 'tail'] as const).map((name) => {
    const meerkat = caseResult(runs.meerkat[name]);
    const zookeeper = meerkatOnly ? null : caseResult(runs.zookeeper[name]);
    const replay = runs.meerkat[name].map((run) => run.txnsReplayed ?? 0);
    return [name, {
      meerkat, zookeeper, txnsReplayed: replay[0],
      speedup: zookeeper === null ? null : zookeeper.ms.median / meerkat.ms.median,
      rssRatio: zookeeper === null ? null : meerkat.rss.median / zookeeper.rss.median,
    }];
  })) as Record<'clean' | 'tail', { meerkat: CaseResult; zookeeper: CaseResult | null; txnsReplayed: number; speedup: number | null; rssRatio: number | null }>;
  const result = {
    nodes, tail, buildMs, snapshot,
    snapshotFileBytes: statSync(join(cleanDir, versionDirName, snapshotFileName(tree.lastProcessedZxid))).size,
    restart, replay,
    networkLoad: loaded === null ? null : { ...loaded, rssRatio: loaded.zookeeper === null ? null : loaded.meerkat.rss / loaded.zookeeper.rss },
  };
  if (asJson) console.log(JSON.stringify(result));
  else {
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
    const range = (summary: Summary, unit: (value: number) => string): string => `${unit(summary.median)} [${unit(summary.min)}-${unit(summary.max)}]`;
    const ms = (value: number): string => `${value} ms`;
    console.log(`${nodes} znodes of 100 bytes; ${restarts} rounds, medians [min-max]`);
    console.log(`snapshot: ${snapshot.ms} ms, ${(snapshot.bytes / 1e6).toFixed(1)} MB, longest event-loop stall ${snapshot.maxStallMs.toFixed(1)} ms (p99 ${snapshot.p99StallMs.toFixed(1)} ms)`);
    for (const name of ['clean', 'tail'] as const) {
      const row = restart[name];
      const what = name === 'clean' ? 'snapshot only (nothing to replay)' : `snapshot + ${row.txnsReplayed} txns of log replay`;
      const recoveries = runs.meerkat[name].map((run) => run.recoveryMs);
      console.log(`restart, ${what}:`);
      console.log(`  meerkat   ${range(row.meerkat.ms, ms)} to serving (its recovery: ${recoveries.join(', ')} ms), RSS ${range(row.meerkat.rss, mb)}`);
      if (row.zookeeper === null) console.log('  zookeeper skipped');
      else {
        console.log(`  zookeeper ${range(row.zookeeper.ms, ms)} to serving, RSS ${range(row.zookeeper.rss, mb)}`);
        console.log(`  meerkat ${row.speedup!.toFixed(2)}x faster, RSS ratio ${row.rssRatio!.toFixed(2)}`);
      }
    }
    if (replay !== null) {
      const rate = (ms: number): string => `${Math.round(replay.txns / (ms / 1000))} txns/s`;
      console.log(`replay in process, ${replay.txns} txns: recovery of the tail directory ${range(replay.fullMs, ms)} less its snapshot alone ${range(replay.snapshotOnlyMs, ms)}: ` +
        `best ${replay.bestMs} ms (${rate(replay.bestMs)}), medians ${replay.medianMs} ms (${rate(replay.medianMs)})`);
    }
    if (loaded !== null) {
      const zk = loaded.zookeeper === null ? '(ZooKeeper skipped)'
        : `zookeeper ${mb(loaded.zookeeper.rss)} in ${loaded.zookeeper.ms} ms (ratio ${result.networkLoad!.rssRatio!.toFixed(2)})`;
      console.log(`RSS after loading ${nodes} znodes through the protocol: meerkat ${mb(loaded.meerkat.rss)} in ${loaded.meerkat.ms} ms, ${zk}`);
    }
  }
} finally {
  if (keepDataDir) console.log(`data directories kept: ${cleanDir}, ${tailDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
