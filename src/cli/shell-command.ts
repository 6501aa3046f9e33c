// `meerkat shell [--server host:port[,..][/chroot]] [-c "cmd; cmd"]`: zkCli's interactive shell,
// or one script of commands with an exit status (0 ok, 1 ZooKeeper error, 2 usage error).

import type { Command } from 'commander';

interface ShellFlags {
  server: string;
  command?: string;
  timeout: string;
}

export function registerShellCommand(program: Command): void {
  program
    .command('shell')
    .description('interactive ZooKeeper shell (zkCli commands); -c runs commands and exits')
    .option('-s, --server <connect-string>', 'host:port[,host:port...][/chroot]', '127.0.0.1:2181')
    .option('-c, --command <commands>', 'run these commands (separated by ;) and exit with their status')
    .option('--timeout <ms>', 'session timeout in milliseconds', '30000')
    .action(async (flags: ShellFlags) => {
      if (!/^\d+$/.test(flags.timeout)) {
        process.stderr.write(`--timeout expects milliseconds, got "${flags.timeout}"\n`);
        process.exitCode = 2;
        return;
      }
      // Loaded when the command runs: `meerkat start` should not pay for the client and the shell.
      const { runShell } = await import('./shell/index.js');
      process.exitCode = await runShell({
        server: flags.server,
        command: flags.command,
        input: process.stdin,
        output: process.stdout,
        errorOutput: process.stderr,
        sessionTimeoutMs: Number(flags.timeout),
      });
    });
}
