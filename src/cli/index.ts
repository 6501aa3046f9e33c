// The `meerkat` command line. Each subcommand lives in its own file and registers itself here.

import { Command } from 'commander';
import { registerBenchCommand } from './bench-command.js';
import { registerClusterCommand } from './cluster-command.js';
import { registerDataToolsCommands } from './data-tools-command.js';
import { registerShellCommand } from './shell-command.js';
import { registerStartCommand } from './start-command.js';

export function buildProgram(): Command {
  const program = new Command();
  program.name('meerkat').description('A ZooKeeper-compatible coordination service for Node.js').version('0.1.0');
  registerStartCommand(program);
  registerClusterCommand(program);
  registerDataToolsCommands(program);
  registerBenchCommand(program);
  registerShellCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
