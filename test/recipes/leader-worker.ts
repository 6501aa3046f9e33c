// A LeaderElection participant in its own process, for the cross-process test in
// leader-barrier-counter.test.ts. Usage: node leader-worker.js <connectString> <path> <id> <leads>.
// It leads `leads` times, briefly, printing one JSON line per `lead-start` and `lead-end` (with
// Date.now(), the clock every process on the host shares), then leaves and exits 0. It exits 1 if
// that takes longer than workerLifetimeMsMax.

import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperClient } from '../../src/client/index.js';
import { LeaderElection } from '../../src/recipes/leader.js';

/** How long one lead lasts. */
const leadMs = 30;
/** Bound on the whole run, so a stuck worker cannot hang the test. */
const workerLifetimeMsMax = 20_000;

const [connectString, path, id, leadsText] = process.argv.slice(2);
if (connectString === undefined || path === undefined || id === undefined || leadsText === undefined) {
  console.error('usage: leader-worker <connectString> <path> <id> <leads>');
  process.exit(2);
}
const leads = Number(leadsText);
setTimeout(() => {
  console.error(`worker ${id}: did not finish within ${workerLifetimeMsMax} ms`);
  process.exit(1);
}, workerLifetimeMsMax).unref();

const log = (event: 'lead-start' | 'lead-end'): void => {
  process.stdout.write(`${JSON.stringify({ event, id, at: Date.now() })}\n`);
};

const client = await ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 10_000 });
let led = 0;
let finished!: () => void;
const done = new Promise<void>((resolve) => {
  finished = resolve;
});
const election = new LeaderElection(client, path, {
  id,
  lead: async (signal) => {
    if (led >= leads) return;
    log('lead-start');
    await sleep(leadMs, undefined, { signal }).catch(() => undefined);
    log('lead-end');
    if (++led >= leads) finished();
  },
});
election.on('error', (error) => {
  console.error(`worker ${id}:`, error);
  process.exit(1);
});
await election.start();
await done;
await election.close();
await client.close();
