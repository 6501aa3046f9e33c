// Command line of the simulator:
//   npm run sim -- --seeds 200 [--first-seed 1] [--nodes 3|5] [--safety-ms 6000]
//   npm run sim -- --seed 42 [--nodes 3] [--verbose]
//   npm run sim -- --seeds 50 --inject-bug commitOnMinority   (shows the checkers bite)
//   npm run sim -- --seeds 100 --log-window 3,400   (each core keeps 3 applied txns / 400 bytes for DIFFs)
// Exit status 1 when any seed fails; each failure prints its seed and the command that replays it.

import { Command } from 'commander';
import { runSimulation, type SimBugs, type SimResult } from './simulation.js';

const bugNames = ['commitOnMinority', 'ackBeforePersist', 'skipTrunc', 'prepIgnoresPending', 'newLeaderForgetsSessions', 'localSync', 'skipRevalidate'] as const;

interface CliOptions {
  seeds?: string;
  firstSeed: string;
  seed?: string;
  nodes: string;
  observers: string;
  safetyMs: string;
  injectBug?: string;
  logWindow?: string;
  verbose?: boolean;
}

function replayCommand(result: SimResult, options: { safetyMs: number; bug: string | undefined; logWindow: string | undefined }): string {
  const { safetyMs, bug, logWindow } = options;
  const bugFlag = bug === undefined ? '' : ` --inject-bug ${bug}`;
  const windowFlag = logWindow === undefined ? '' : ` --log-window ${logWindow}`;
  return `npm run sim -- --seed ${result.seed} --nodes ${result.nodes} --observers ${result.observers} --safety-ms ${safetyMs}${bugFlag}${windowFlag} --verbose`;
}

function main(): void {
  const program = new Command()
    .name('sim')
    .description('deterministic simulation of a ZAB ensemble')
    .option('--seeds <count>', 'run this many seeds')
    .option('--first-seed <seed>', 'first seed of a batch', '1')
    .option('--seed <seed>', 'replay one seed')
    .option('--nodes <count>', 'voters in the ensemble (3 or 5)', '3')
    .option('--observers <count>', 'non-voting members', '0')
    .option('--safety-ms <ms>', 'simulated milliseconds of faults', '6000')
    .option('--inject-bug <name>', `test only: run a deliberately broken core (${bugNames.join(', ')})`)
    .option('--log-window <txns,bytes>', 'applied txns and bytes each core keeps for DIFF syncs (default: limits.ts)')
    .option('--verbose', 'print the trace of a failing run and stats of each run')
    .parse();
  const options = program.opts<CliOptions>();
  const nodes = Number(options.nodes);
  const safetyMs = Number(options.safetyMs);
  const observers = Number(options.observers);
  const first = Number(options.seed ?? options.firstSeed);
  const count = options.seed === undefined ? Number(options.seeds ?? 100) : 1;
  if (![3, 5].includes(nodes) || !(observers >= 0 && observers <= 3) || !Number.isInteger(first) || !Number.isInteger(count) || count < 1 || !(safetyMs > 0)) {
    program.error('--nodes must be 3 or 5, --observers 0 to 3, seeds and counts integers');
  }
  const bug = options.injectBug;
  if (bug !== undefined && !(bugNames as readonly string[]).includes(bug)) program.error(`--inject-bug must be one of ${bugNames.join(', ')}`);
  const injectedBugs: SimBugs | undefined = bug === undefined ? undefined : { [bug]: true };
  const [appliedTxnsMax, appliedBytesMax] = (options.logWindow ?? '').split(',').map(Number);
  if (options.logWindow !== undefined && !(Number.isInteger(appliedTxnsMax) && Number.isInteger(appliedBytesMax) && appliedTxnsMax! >= 0 && appliedBytesMax! >= 0)) {
    program.error('--log-window must be two non-negative integers: txns,bytes');
  }
  const logWindow = options.logWindow === undefined ? {} : { logWindow: { appliedTxnsMax: appliedTxnsMax!, appliedBytesMax: appliedBytesMax! } };
  const started = performance.now();
  let failures = 0;
  for (let seed = first; seed < first + count; seed++) {
    const result = runSimulation({ seed, nodes, observers, safetyMs, ...logWindow, ...(injectedBugs === undefined ? {} : { injectedBugs }) });
    if (options.verbose) console.log(`seed=${seed} ${JSON.stringify(result.stats)}`);
    if (result.failure === null) continue;
    failures += 1;
    console.log(`FAIL seed=${seed} nodes=${nodes} ${result.failure.kind} at ${result.failure.atMs}ms: ${result.failure.message}`);
    if (options.verbose) for (const line of result.failure.trace) console.log(`  ${line}`);
    console.log(`  replay: ${replayCommand(result, { safetyMs, bug, logWindow: options.logWindow })}`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${count - failures}/${count} seeds passed (nodes=${nodes}) in ${seconds.toFixed(1)}s, ${(count / seconds).toFixed(1)} seeds/s`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main();
