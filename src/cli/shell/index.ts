// Public entry of the shell: `meerkat shell`'s logic as functions over streams (see session.ts).
export { completeLine, runInteractive, runScript, runShell, completionTimeoutMs, shellHistoryMax, shellCloseTimeoutMs } from './session.js';
export type { InteractiveOptions, ScriptOptions, ShellOptions } from './session.js';
export { commandNames, runCommandLine, exitOk, exitZooKeeperError, exitUsageError, NotSupportedError, type CommandContext } from './commands.js';
export { formatStat, formatAcl, formatList, javaDate, parseAcl } from './format.js';
export { ShellUsageError, splitCommands, tokenize } from './parse.js';
