// The shell around the commands: the interactive loop (node:readline with zkCli's prompt, history,
// tab completion of command names and of paths asked from the server, watch events printed as they
// arrive), the non-interactive `-c` mode, and connecting. Streams are parameters so tests drive it
// in-process.

import { createInterface, type AsyncCompleter } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ZooKeeperClient, type SessionState, type Watcher } from '../../client/index.js';
import { commandNames, exitOk, exitUsageError, exitZooKeeperError, runCommandLine, type CommandContext } from './commands.js';
import { describeError, formatWatchEvent } from './format.js';
import { splitCommands } from './parse.js';

/** Path completion asks the server; a slow server must not freeze the prompt for long. */
export const completionTimeoutMs = 2000;
/** Lines kept for the up-arrow and for `history`. */
export const shellHistoryMax = 1000;
/** Bound on closing the session when the shell ends. */
export const shellCloseTimeoutMs = 3000;

/**
 * Completions for the line typed so far, in readline's shape: [candidates, the word they replace].
 * The first word completes to a command; a word starting with '/' to the children of its parent.
 */
export async function completeLine(client: ZooKeeperClient, line: string): Promise<[string[], string]> {
  const words = line.trimStart().split(/\s+/);
  const word = words[words.length - 1] ?? '';
  if (words.length === 1) return [commandNames.filter((name) => name.startsWith(word)), word];
  if (!word.startsWith('/')) return [[], word];
  const slash = word.lastIndexOf('/');
  const parent = slash === 0 ? '/' : word.slice(0, slash);
  const prefix = word.slice(slash + 1);
  try {
    const { children } = await client.getChildren(parent, { timeoutMs: completionTimeoutMs, retry: false });
    const base = parent === '/' ? '/' : `${parent}/`;
    return [children.filter((child) => child.startsWith(prefix)).sort().map((child) => base + child), word];
  } catch {
    return [[], word];
  }
}

export interface ScriptOptions {
  client: ZooKeeperClient;
  /** One command, or several separated by ';' (or newlines). */
  script: string;
  out: Writable;
  err: Writable;
}

/** Runs the commands in order, stopping at the first that fails; returns its status (0 if all ran). */
export async function runScript(options: ScriptOptions): Promise<number> {
  const commands = splitCommands(options.script);
  if (commands.length === 0) {
    options.err.write('No command given\n');
    return exitUsageError;
  }
  const history: string[] = [];
  let quitting = false;
  const context: CommandContext = {
    client: options.client, out: options.out, err: options.err, history,
    watcher: () => undefined, // nobody stays to see an event in -c mode
    quit: () => { quitting = true; },
  };
  for (const command of commands) {
    history.push(command);
    const status = await runCommandLine(context, command);
    if (status !== exitOk || quitting) return status;
  }
  return exitOk;
}

// zkCli's names: the prompt shows ZooKeeper.States, session events show Watcher.Event.KeeperState.
const promptStates: Record<SessionState, string> = {
  connecting: 'CONNECTING', connected: 'CONNECTED', connectedReadOnly: 'CONNECTEDREADONLY',
  disconnected: 'CONNECTING', expired: 'CLOSED', authFailed: 'AUTH_FAILED', closed: 'CLOSED',
};
const keeperStates: Partial<Record<SessionState, string>> = {
  connected: 'SyncConnected', connectedReadOnly: 'ConnectedReadOnly', disconnected: 'Disconnected',
  expired: 'Expired', authFailed: 'AuthFailed', closed: 'Closed',
};

export interface InteractiveOptions {
  client: ZooKeeperClient;
  input: Readable;
  output: Writable;
  /** Shown in the prompt, like zkCli's `[zk: localhost:2181(CONNECTED) 0]`. */
  connectString: string;
  /** Whether output is a terminal (editing keys, completion). Default: output.isTTY. */
  terminal?: boolean;
}

/** The interactive loop; ends on quit or end of input. Returns 0. */
export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const { client, output } = options;
  const history: string[] = [];
  let state = 'CONNECTED';
  let quitting = false;
  const completer: AsyncCompleter = (line, callback) => {
    completeLine(client, line).then((result) => callback(null, result), (error: Error) => callback(error, [[], line]));
  };
  const terminal = options.terminal ?? (output as Writable & { isTTY?: boolean }).isTTY === true;
  const lines = createInterface({ input: options.input, output, terminal, completer, historySize: shellHistoryMax });
  const prompt = (): void => {
    lines.setPrompt(`[zk: ${options.connectString}(${state}) ${history.length}] `);
    lines.prompt(true);
  };
  const announce = (text: string): void => {
    output.write(text);
    prompt();
  };
  const watcher: Watcher = (event) => announce(formatWatchEvent(event));
  const onState = (next: SessionState, reason: string | undefined): void => {
    state = promptStates[next];
    const keeperState = keeperStates[next];
    if (keeperState === undefined) return;
    announce(`\nWATCHER::\n\nWatchedEvent state:${keeperState} type:None path:null${reason === undefined ? '' : ` (${reason})`}\n`);
  };
  client.on('state', onState);
  // Without a listener readline merely pauses on Ctrl-C, which would leave the shell frozen.
  lines.on('SIGINT', () => {
    output.write('^C\n');
    quitting = true;
    lines.close();
  });
  const context: CommandContext = {
    client, out: output, err: output, history, watcher,
    quit: () => { quitting = true; },
  };
  try {
    prompt();
    for await (const line of lines) {
      if (line.trim() !== '') {
        history.push(line.trim());
        if (history.length > shellHistoryMax) history.shift();
        await runCommandLine(context, line);
      }
      if (quitting) break;
      prompt();
    }
  } finally {
    client.off('state', onState);
    lines.close();
  }
  return exitOk;
}

export interface ShellOptions {
  /** `host:port[,host:port...][/chroot]`. */
  server: string;
  /** Run these commands and exit instead of reading input. */
  command?: string;
  input: Readable;
  output: Writable;
  errorOutput: Writable;
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  terminal?: boolean;
}

/** Connects, runs the shell (interactive or `command`), closes the session; returns the exit status. */
export async function runShell(options: ShellOptions): Promise<number> {
  let client: ZooKeeperClient;
  try {
    client = await ZooKeeperClient.connect(options.server, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    });
  } catch (error) {
    options.errorOutput.write(`Unable to connect to ${options.server}: ${describeError(error)}\n`);
    return exitZooKeeperError;
  }
  // A watcher's exception would otherwise be rethrown asynchronously and end the process.
  client.on('error', (error) => options.errorOutput.write(`${describeError(error)}\n`));
  try {
    if (options.command !== undefined) {
      return await runScript({ client, script: options.command, out: options.output, err: options.errorOutput });
    }
    return await runInteractive({
      client, input: options.input, output: options.output, connectString: options.server, terminal: options.terminal,
    });
  } finally {
    await client.close({ timeoutMs: shellCloseTimeoutMs }).catch(() => undefined);
  }
}
