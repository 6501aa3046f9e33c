// `meerkat cluster`: a local ensemble of separate `meerkat start` processes on 127.0.0.1
// (runtime/cluster.ts), for trying failover by hand. Prints each member's address and every role
// change; restarts a member that died only with --restart; Ctrl-C stops every member.

import type { Command } from 'commander';
import { type ClusterEvent, startCluster } from '../runtime/index.js';

interface ClusterFlags {
  size: string;
  observers: string;
  basePort?: string;
  dataDir?: string;
  tickTime: string;
  restart?: boolean;
}

function count(name: string, value: string, range: { min: number; max: number }): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) throw new Error(`--${name} must be an integer in ${range.min}..${range.max}, got "${value}"`);
  return parsed;
}

export function registerClusterCommand(program: Command): void {
  program
    .command('cluster')
    .description('run a local ensemble of separate server processes on 127.0.0.1')
    .option('--size <n>', 'voting members (odd)', '3')
    .option('--observers <k>', 'non-voting members', '0')
    .option('--base-port <port>', 'first client port (members use base .. base+N-1; peers base+1000.., base+2000..); default: free ports')
    .option('--data-dir <dir>', 'keep each member\'s data in DIR/member-N (default: a temp directory, removed on exit)')
    .option('--tick-time <ms>', 'tickTime of every member', '2000')
    .option('--restart', 'restart a member that exits')
    .action(async (flags: ClusterFlags) => {
      const size = count('size', flags.size, { min: 1, max: 15 });
      if (size % 2 === 0) throw new Error(`--size ${size}: use an odd number of voting members`);
      let restarting = false;
      let stopping = false;
      const cluster = await startCluster({
        size,
        observers: count('observers', flags.observers, { min: 0, max: 15 }),
        ...(flags.basePort === undefined ? {} : { basePort: count('base-port', flags.basePort, { min: 1, max: 60_000 }) }),
        ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
        tickTimeMs: count('tick-time', flags.tickTime, { min: 10, max: 60_000 }),
        onEvent: (event: ClusterEvent) => {
          if (event.kind === 'role') console.log(`member ${event.member}: ${event.state}`);
          else {
            console.log(`member ${event.member} exited (${event.signal ?? `code ${event.code}`})`);
            if (flags.restart === true && restarting && !stopping) void cluster.members[event.member - 1]!.restart().catch((error: unknown) => console.error(String(error)));
          }
        },
      });
      restarting = true;
      for (const member of cluster.members) console.log(`member ${member.id} (${member.role}): ${member.connectString}  data ${member.dataDir}`);
      console.log(`connect string: ${cluster.connectString}`);
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void cluster.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
