// The long-running fuzz mode: runs the targets of test/fuzz/ (compiled into dist/) for a time budget,
// round-robin, each for a slice of it from its own seed, and stops at the first failure with the
// seed, the counterexample and the command that replays it. Exit code 1 on a failure.
//
//   npm run fuzz -- --seconds 600                       # every target, 10 minutes in all
//   npm run fuzz -- --seconds 60 --target frame-garbage # one target
//   npm run fuzz -- --target record-garbage --seed 42 [--path 17:3:0]   # replay a failure
//   npm run fuzz -- --seconds 30 --runs 5000            # at most 5000 runs per target and slice
//   npm run fuzz -- --list
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    path: { type: 'string' },
    target: { type: 'string', multiple: true },
    runs: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

execSync('node scripts/ensure-built.mjs --force', { stdio: 'inherit' });
const { fuzzTargets, runTarget } = await import('../dist/test/fuzz/targets.js');

if (values.list) {
  for (const target of fuzzTargets) console.log(`${target.name.padEnd(24)} ${target.claim} (CI: ${target.ciRuns} runs)`);
  process.exit(0);
}
const chosen = values.target === undefined ? fuzzTargets : values.target.map((name) => {
  const target = fuzzTargets.find((candidate) => candidate.name === name);
  if (target === undefined) {
    console.error(`no fuzz target "${name}"; --list shows them`);
    process.exit(2);
  }
  return target;
});

const replaying = values.seed !== undefined;
const budgetMs = Number(values.seconds) * 1000;
if (!(budgetMs > 0)) {
  console.error('--seconds must be a positive number');
  process.exit(2);
}
const deadline = Date.now() + budgetMs;
/** One slice per target per round: short enough that every target gets turns, long enough to shrink. */
const sliceMs = Math.max(1000, Math.min(30_000, budgetMs / chosen.length / 4));
let totalRuns = 0;
let round = 0;
while (Date.now() < deadline) {
  round++;
  for (const target of chosen) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    const outcome = await runTarget(target, {
      // A seed alone replays the whole sequence of runs it generates; with --path, just that case.
      numRuns: values.runs === undefined ? Number.MAX_SAFE_INTEGER : Number(values.runs),
      seed, path: values.path, timeLimitMs: Math.min(left, sliceMs),
    });
    totalRuns += outcome.runs;
    console.log(`${target.name}: ${outcome.runs} runs, seed=${outcome.seed}${outcome.failed ? ' FAILED' : ''}`);
    if (outcome.failed) {
      console.log(outcome.report);
      console.log(`replay: ${outcome.replay}`);
      process.exit(1);
    }
  }
  if (replaying) break;
}
console.log(`no failure: ${totalRuns} runs over ${chosen.length} target(s), ${round} round(s)`);
