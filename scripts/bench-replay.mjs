// Log replay A/B (not a test): recover() of one or more builds on the same data directory, alternated
// per round; per build, recovery of the snapshot with no log and of the snapshot + log, and replay
// alone as their difference: best (min of each, the least disturbed estimate on a shared machine)
// and medians. Make the directory with `npm run bench:storage -- --keep-data-dir` (its `tail`).
//   npm run build && node scripts/bench-replay.mjs --dir <data dir> [--rounds 5] [--dist <build> ...]
// Each --dist is another build (e.g. `git archive <commit> | tar -x -C /tmp/before`, then tsc there):
// the "before" figures. Default: this checkout's dist/. Recovery never writes to a directory that
// holds a snapshot, so the directory can be reused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dir = option('--dir', null);
if (dir === null) throw new Error('--dir <data dir> is required (bench:storage --keep-data-dir prints one)');
const rounds = Number(option('--rounds', '5'));
const dists = args.flatMap((arg, index) => (arg === '--dist' ? [resolve(args[index + 1])] : []));
if (dists.length === 0) dists.push(resolve(new URL('../dist', import.meta.url).pathname));

const load = (dist, path) => import(pathToFileURL(`${dist}/${path}`).href);
const builds = await Promise.all(dists.map(async (dist) => ({
  dist,
  NodeFileSystem: (await load(dist, 'src/runtime/node-file-system.js')).NodeFileSystem,
  threadPrefixChecksums: (await load(dist, 'src/runtime/prefix-checksums.js')).threadPrefixChecksums,
  recover: (await load(dist, 'src/storage/index.js')).recover,
  DataTree: (await load(dist, 'src/tree/index.js')).DataTree,
  fullMs: [],
  snapshotOnlyMs: [],
})));

async function timedRecover(build, logDir) {
  const started = performance.now();
  const recovered = await build.recover({
    fs: new build.NodeFileSystem(), dataDir: dir, dataLogDir: logDir, warn: () => {},
    createTree: (withSystemNodes) => new build.DataTree({ withSystemNodes }), prefixChecksums: build.threadPrefixChecksums,
  });
  return { ms: performance.now() - started, txns: recovered.txnsReplayed };
}

const noLog = mkdtempSync(join(tmpdir(), 'meerkat-bench-replay-no-log-'));
let txns = 0;
try {
  for (let round = 0; round < rounds; round++) {
    for (const build of builds) {
      build.snapshotOnlyMs.push((await timedRecover(build, noLog)).ms);
      const full = await timedRecover(build, dir);
      build.fullMs.push(full.ms);
      txns = full.txns;
    }
  }
} finally {
  rmSync(noLog, { recursive: true, force: true });
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
// A difference at or below zero means the machine's noise was larger than the replay: rerun.
const perSecond = (ms) => (ms > 0 ? `${Math.round((txns / ms) * 1000)} txns/s` : 'noise larger than the replay');
for (const build of builds) {
  const best = Math.min(...build.fullMs) - Math.min(...build.snapshotOnlyMs);
  const typical = median(build.fullMs) - median(build.snapshotOnlyMs);
  console.log(`${build.dist}: ${txns} txns; recovery with log ${build.fullMs.map(Math.round).join(', ')} ms, snapshot alone ${build.snapshotOnlyMs.map(Math.round).join(', ')} ms`);
  console.log(`  replay: best ${Math.round(best)} ms (${perSecond(best)}), medians ${Math.round(typical)} ms (${perSecond(typical)})`);
}
