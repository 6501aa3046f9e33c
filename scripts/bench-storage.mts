// Storage benchmark (not a test): with N znodes of 100 bytes (default 10^6),
//  1. the longest event-loop stall while a fuzzy snapshot is written (target: none above 50 ms),
//  2. restart-to-serving time and RSS for Meerkat and Apache ZooKeeper 3.8 on the same data directory
//     (Meerkat writes it; ZooKeeper reads Meerkat's format), as ratios.
//  3. with --network-load, RSS after loading the same N znodes through the protocol (one client,
//     creates pipelined 1,000 at a time) into a fresh Meerkat and a fresh ZooKeeper: memory as a
//     live server holds it, not only as a restart rebuilds it (~2 min more, ZooKeeper's load is slow).
//   node --import tsx scripts/bench-storage.mts [--nodes 1000000] [--json] [--restarts 1] [--meerkat-only] [--keep-data-dir] [--network-load]
// --restarts N restarts Meerkat N times on the same snapshot and reports the median (timings on a
// shared machine are noisy); --meerkat-only skips ZooKeeper (a quick proxy while iterating; ratios
// need both); --keep-data-dir leaves the data directory for profiling (`node --cpu-prof bin/meerkat.js
// start --data-dir <dir>`).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { OpCode } from '../src/proto/index.js';
import { NodeFileSystem } from '../src/runtime/node-file-system.js';
import { joinPath, serializeSnapshot, snapshotFileName, versionDirName } from '../src/storage/index.js';
import { DataTree, applyTxn } from '../src/tree/index.js';
import { ZooKeeperClient } from '../src/client/index.js';
import { sendFourLetterWord } from '../test/helpers/four-letter.js';
import { getFreePort } from '../test/helpers/ports.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';

const args = process.argv.slice(2);
const nodes = Number(args[args.indexOf('--nodes') + 1] ?? 0) || 1_000_000;
const asJson = args.includes('--json');
const meerkatOnly = args.includes('--meerkat-only');
const keepDataDir = args.includes('--keep-data-dir');
const networkLoad = args.includes('--network-load');
const restarts = args.includes('--restarts') ? Math.max(1, Number(args[args.indexOf('--restarts') + 1]) || 1) : 1;
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function buildTree(count: number): DataTree {
  const tree = new DataTree();
  const data = Buffer.alloc(100, 7);
  const fanout = 1000;
  let zxid = 0;
  const create = (path: string, parentCVersion: number): void => {
    zxid++;
    applyTxn(tree, { sessionId: 0n, cxid: 0, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create },
      { type: OpCode.create, path, data, acl: open, ephemeral: false, parentCVersion });
  };
  for (let group = 0; group * fanout < count; group++) {
    create(`/g${group}`, group + 1);
    for (let i = 0; i < fanout && group * fanout + i < count; i++) create(`/g${group}/n${i}`, i + 1);
  }
  return tree;
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

/** The reference server's process: the only ZooKeeperServerMain on this machine during the benchmark. */
function zookeeperPid(): number {
  return Number(execFileSync('pgrep', ['-f', 'ZooKeeperServerMain'], { encoding: 'utf8' }).trim().split('\n')[0]);
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Starts `meerkat start` on `dataDir` and waits until it answers; `ms` from spawn to serving. */
async function startMeerkat(dataDir: string): Promise<{ port: number; pid: number; ms: number; stop: () => void }> {
  const port = await getFreePort();
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/meerkat.js', 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { stdio: 'ignore' });
  const stop = (): void => void child.kill('SIGTERM');
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
    stop();
    throw error;
  }
  return { port, pid: child.pid!, ms: Date.now() - started, stop };
}

async function meerkatRestart(dataDir: string): Promise<{ ms: number; rss: number }> {
  const server = await startMeerkat(dataDir);
  try {
    return { ms: server.ms, rss: rssOf(server.pid) };
  } finally {
    server.stop();
  }
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
    server.stop();
  }
  if (meerkatOnly) return { meerkat, zookeeper: null };
  const zk = await startReferenceZooKeeper({ dataDir: join(dir, 'zookeeper'), jvmOptions: ['-Xmx6g'], startTimeoutMs: 300_000 });
  try {
    const pid = zookeeperPid();
    return { meerkat, zookeeper: await loadOverNetwork(zk.port, pid, nodes) };
  } finally {
    await zk.stop();
  }
}

async function zookeeperRestart(dataDir: string): Promise<{ ms: number; rss: number }> {
  const zk = await startReferenceZooKeeper({ dataDir, jvmOptions: ['-Xmx6g'], startTimeoutMs: 300_000 });
  try {
    const pid = zookeeperPid();
    return { ms: zk.startupMs, rss: rssOf(pid) };
  } finally {
    await zk.stop();
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-bench-storage-'));
try {
  const buildStarted = Date.now();
  const tree = buildTree(nodes);
  const buildMs = Date.now() - buildStarted;
  const snapshot = await writeSnapshotMeasuringStalls(tree, join(dataDir, versionDirName));
  const runs: Array<{ ms: number; rss: number }> = [];
  for (let run = 0; run < restarts; run++) runs.push(await meerkatRestart(dataDir));
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const meerkat = { ms: median(runs.map((run) => run.ms)), rss: median(runs.map((run) => run.rss)), runs };
  const zookeeper = meerkatOnly ? null : await zookeeperRestart(dataDir);
  const loaded = networkLoad ? await networkLoads(join(dataDir, 'network-load')) : null;
  const result = {
    nodes, buildMs, snapshot,
    snapshotFileBytes: statSync(join(dataDir, versionDirName, snapshotFileName(tree.lastProcessedZxid))).size,
    restart: {
      meerkat, zookeeper,
      speedup: zookeeper === null ? null : zookeeper.ms / meerkat.ms, rssRatio: zookeeper === null ? null : meerkat.rss / zookeeper.rss,
    },
    networkLoad: loaded === null ? null : { ...loaded, rssRatio: loaded.zookeeper === null ? null : loaded.meerkat.rss / loaded.zookeeper.rss },
  };
  if (asJson) console.log(JSON.stringify(result));
  else {
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
    console.log(`${nodes} znodes of 100 bytes`);
    console.log(`snapshot: ${snapshot.ms} ms, ${(snapshot.bytes / 1e6).toFixed(1)} MB, longest event-loop stall ${snapshot.maxStallMs.toFixed(1)} ms (p99 ${snapshot.p99StallMs.toFixed(1)} ms)`);
    if (restarts > 1) console.log(`meerkat restarts: ${runs.map((run) => `${run.ms} ms / ${mb(run.rss)}`).join(', ')}`);
    if (zookeeper === null) {
      console.log(`restart to serving: meerkat ${meerkat.ms} ms; RSS after restart: meerkat ${mb(meerkat.rss)} (ZooKeeper skipped)`);
    } else {
      console.log(`restart to serving: meerkat ${meerkat.ms} ms, zookeeper ${zookeeper.ms} ms (meerkat ${result.restart.speedup!.toFixed(2)}x faster)`);
      console.log(`RSS after restart: meerkat ${mb(meerkat.rss)}, zookeeper ${mb(zookeeper.rss)} (ratio ${result.restart.rssRatio!.toFixed(2)})`);
    }
    if (loaded !== null) {
      const zk = loaded.zookeeper === null ? '(ZooKeeper skipped)'
        : `zookeeper ${mb(loaded.zookeeper.rss)} in ${loaded.zookeeper.ms} ms (ratio ${result.networkLoad!.rssRatio!.toFixed(2)})`;
      console.log(`RSS after loading ${nodes} znodes through the protocol: meerkat ${mb(loaded.meerkat.rss)} in ${loaded.meerkat.ms} ms, ${zk}`);
    }
  }
} finally {
  if (keepDataDir) console.log(`data directory kept: ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
