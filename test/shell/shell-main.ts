// A `meerkat` with only the shell command, for tests that run the shell as a real process (the
// lead wires registerShellCommand into src/cli/index.ts; this keeps the tests independent of that).

import { Command } from 'commander';
import { registerShellCommand } from '../../src/cli/shell-command.js';

const program = new Command().name('meerkat');
registerShellCommand(program);
await program.parseAsync(process.argv);
