// The tree's model-based test (test/tree/tree-model-check.ts) for as long as you like: seeds one after
// another, each a run of --steps txns from tiny capacities against the naive model. Stops at the first
// difference, printing the seed and the command that replays it.
// Usage: npm run soak:tree -- [--seed 1] [--count 10] [--steps 100000] [--target-nodes 5000]
//   [--checkpoint-every 5000] [--huge-data-chance 0.00005] [--minutes 60]
import { Command } from 'commander';
import { runModel } from '../dist/test/tree/tree-model-check.js';

const options = new Command()
  .option('--seed <n>', 'first seed', '1')
  .option('--count <n>', 'seeds to run', '10')
  .option('--steps <n>', 'txns per seed', '100000')
  .option('--target-nodes <n>', 'nodes the tree hovers around', '5000')
  .option('--checkpoint-every <n>', 'whole-tree checks, snapshots and recoveries every this many txns', '5000')
  .option('--huge-data-chance <p>', 'share of data near jute.maxbuffer', String(1 / 20_000))
  .option('--minutes <n>', 'stop starting new seeds after this long', '60')
  .parse()
  .opts();

const first = Number(options.seed);
const deadline = Date.now() + Number(options.minutes) * 60_000;
for (let seed = first; seed < first + Number(options.count) && Date.now() < deadline; seed++) {
  const started = Date.now();
  try {
    const report = await runModel({
      seed, steps: Number(options.steps), targetNodes: Number(options.targetNodes),
      checkpointEvery: Number(options.checkpointEvery), hugeDataChance: Number(options.hugeDataChance),
    });
    console.log(`seed=${seed} ok: ${report.txns} txns, up to ${report.maxNodes} nodes, ${report.checkpoints} checkpoints, ${report.recoveries} recoveries, ${Date.now() - started} ms`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
