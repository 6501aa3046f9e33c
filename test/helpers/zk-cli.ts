// Apache ZooKeeper's own command-line clients, driven against any host:port: the Java shell
// (`zkCli.sh`, one command per run or an interactive session on stdin) and the C shell `cli_mt`
// (one command per run with `-c`, or an interactive session on stdin). Tests use them to prove that
// real clients we did not write work, and to compare Meerkat's answers with ZooKeeper's.
//
// Facts about the tools that shape this module (ZooKeeper 3.8, Debian):
// - zkCli.sh prints data and stats on stdout, "Created /x" and errors on stderr, exits 1 when the
//   command fails; with stdin not a terminal it reads commands line by line (no prompt).
// - cli_mt prints everything on stderr. With `-c` it runs one command and exits when its async
//   completion arrives; commands without a completion (exists, wexists) never exit, so use get/ls.
//   On stdin, `get` and `ls` leave a watch, reported as "Watcher CHANGED_EVENT ... for path /x".
// Every run is bounded (timeoutMs, then SIGKILL) and every child is killed by close() or at exit.
// zkCli.sh is a shell script that starts java without exec, so children get their own process
// group and are killed as a group: killing the script alone would orphan the JVM.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isCi } from './reference-zookeeper.js';

export const zkCliPath = '/usr/share/zookeeper/bin/zkCli.sh';
export const cliMtPath = '/usr/lib/zookeeper/bin/cli_mt';

export interface HostPort {
  host: string;
  port: number;
}

export interface CliResult {
  stdout: string;
  /** stderr without SLF4J's "no logger binding" notices, which every zkCli.sh run prints. */
  stderr: string;
  /** Exit code, or null when killed by a signal (e.g. at the timeout). */
  exitCode: number | null;
}

export interface CliRunOptions {
  /** Bound on the whole run; the process is killed after it. Default 30000 ms. */
  timeoutMs?: number;
}

/** Output beyond this from one CLI run means something is looping. */
const outputBytesMax = 4 * 1024 * 1024;

export function areZooKeeperToolsInstalled(): boolean {
  return existsSync(zkCliPath) && existsSync(cliMtPath);
}

/** For `describe(..., { skip })`: a message on a developer machine without the tools; false when present or CI=true. */
export function zooKeeperToolsSkipReason(): string | false {
  if (areZooKeeperToolsInstalled() || isCi()) return false;
  return `Apache ZooKeeper's CLIs are not installed (${zkCliPath}, ${cliMtPath}); apt-get install zookeeper zookeeper-bin to run these tests`;
}

function withoutSlf4jNotices(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('SLF4J: '))
    .join('\n');
}

function spawnOptions(stdin: 'pipe' | 'ignore'): SpawnOptions {
  return { stdio: [stdin, 'pipe', 'pipe'], detached: true };
}

function requireTool(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing; apt-get install zookeeper zookeeper-bin`);
}

/** A running CLI whose stdin is ours: send lines, wait for output, close. */
export class CliSession {
  private stdout = '';
  private stderr = '';
  /** stdout and stderr interleaved in arrival order, for waitFor. */
  private transcript = '';
  private cursor = 0;
  private readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly quitCommand: string,
  ) {
    const killOnExit = (): void => this.kill();
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) => {
      child.once('close', (code) => {
        process.removeListener('exit', killOnExit);
        resolve(code);
        this.wake();
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.append('stdout', chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.append('stderr', chunk.toString('utf8')));
    child.stdin?.on('error', () => undefined);
  }

  /** `zkCli.sh -server host:port` reading commands from stdin. */
  static zkCli(target: HostPort): CliSession {
    requireTool(zkCliPath);
    const child = spawn(zkCliPath, ['-server', `${target.host}:${target.port}`], spawnOptions('pipe'));
    return new CliSession(child, 'quit');
  }

  /** `cli_mt -h host:port` reading commands from stdin. */
  static cliMt(target: HostPort): CliSession {
    requireTool(cliMtPath);
    const child = spawn(cliMtPath, ['-h', `${target.host}:${target.port}`], spawnOptions('pipe'));
    return new CliSession(child, 'quit');
  }

  /** Spawns `command args` with stdin closed and collects its output until it exits or the deadline. */
  static async run(command: string, args: string[], options: CliRunOptions = {}): Promise<CliResult> {
    const child = spawn(command, args, spawnOptions('ignore'));
    const session = new CliSession(child, '');
    return session.finish(options.timeoutMs ?? 30_000);
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Resolves with the first match of `pattern` in output (stdout and stderr) that arrived after the
   * previous match; rejects with the output so far if none appears within `timeoutMs` (default 10000).
   */
  waitFor(pattern: RegExp, options: { timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.transcript.slice(this.cursor));
        if (match !== null) {
          this.cursor += match.index + match[0].length;
          done();
          resolve(match);
          return true;
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`CLI exited before printing ${pattern}; output:\n${this.transcript}`));
          return true;
        }
        return false;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${this.transcript}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Output so far, stdout and stderr interleaved. */
  output(): string {
    return this.transcript;
  }

  /** Sends the quit command, closes stdin and waits for exit (SIGKILL after `timeoutMs`, default 10000). */
  close(options: CliRunOptions = {}): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.quitCommand !== '') {
      this.send(this.quitCommand);
      this.child.stdin?.end();
    }
    return this.finish(options.timeoutMs ?? 10_000);
  }

  private async finish(timeoutMs: number): Promise<CliResult> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const exitCode = await this.exited;
    clearTimeout(timer);
    return { stdout: this.stdout, stderr: withoutSlf4jNotices(this.stderr), exitCode };
  }

  private append(stream: 'stdout' | 'stderr', text: string): void {
    if (this.transcript.length + text.length > outputBytesMax) {
      this.kill();
      return;
    }
    if (stream === 'stdout') this.stdout += text;
    else this.stderr += text;
    this.transcript += text;
    this.wake();
  }

  /** SIGKILL to the child's whole process group (see the header). */
  private kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Runs one zkCli.sh command non-interactively: `zkCli.sh -server host:port <args...>`. */
export function runZkCli(target: HostPort, args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  requireTool(zkCliPath);
  return CliSession.run(zkCliPath, ['-server', `${target.host}:${target.port}`, ...args], options);
}

/** Runs one cli_mt command in batch mode: `cli_mt -h host:port -c "<command>"` (output on stderr). */
export function runCliMt(target: HostPort, command: string, options: CliRunOptions = {}): Promise<CliResult> {
  requireTool(cliMtPath);
  return CliSession.run(cliMtPath, ['-h', `${target.host}:${target.port}`, '-c', command], options);
}
