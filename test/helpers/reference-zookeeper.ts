// Apache ZooKeeper 3.8 (Debian's `zookeeper` package) as a reference server for integration tests:
// a real standalone java process on 127.0.0.1 with a generated zoo.cfg in a temp directory.
//
// Invariants: every start is bounded (startTimeoutMs), every process this module spawns is killed by
// stop() or, failing that, when the test process exits; the temp directory is removed by stop().
// The child's stdout and stderr go to a log file in the temp directory, so a failed start can show
// the log's tail and no pipe can fill up and stall the JVM.
//
// Missing install: with CI=true, tests must fail, so `referenceSkipReason()` returns false and
// start fails loudly; on a developer machine without ZooKeeper, tests skip with a message.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { sendFourLetterWord } from './four-letter.js';
import { getFreePort, loopbackHost } from './ports.js';

/** The Debian install: zookeeper.jar's manifest Class-Path names all its dependency jars. */
export const referenceJars = {
  server: '/usr/share/java/zookeeper.jar',
  /** Optional log binding, so the child's log says why a start failed (NOP logger otherwise). */
  logBinding: '/usr/share/java/slf4j-simple.jar',
} as const;

const mainClass = 'org.apache.zookeeper.server.ZooKeeperServerMain';

export interface ReferenceZooKeeperOptions {
  /** Client port; default a free port (a start that loses the port race is retried on another). */
  port?: number;
  /** Use this data directory and keep it on stop (e.g. to restart on the same data); default a fresh one. */
  dataDir?: string;
  /** tickTime; session timeouts are clamped to [2, 20] ticks. Default 2000. */
  tickTimeMs?: number;
  /** Extra or overriding zoo.cfg keys, e.g. { maxClientCnxns: '0' }. */
  config?: Record<string, string>;
  /** JVM flags before the main class. Default a 512 MiB heap cap (the machine is shared). */
  jvmOptions?: string[];
  /** Bound on the wait until it serves (`ruok` → `imok`, `srvr` shows a mode). Default 30000 ms (a cold JVM on a busy machine). */
  startTimeoutMs?: number;
}

export interface ReferenceZooKeeper {
  readonly host: string;
  readonly port: number;
  /** `host:port`. */
  readonly connectString: string;
  readonly dataDir: string;
  /** The java process, e.g. to read its RSS. */
  readonly pid: number;
  /** Milliseconds from spawn until it answered `imok` and was serving. */
  readonly startupMs: number;
  /** Last `lines` lines of the server's log (stdout and stderr). */
  logTail(lines?: number): string;
  /** Kills the server (SIGTERM, then SIGKILL) and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

export class ReferenceZooKeeperError extends Error {
  override name = 'ReferenceZooKeeperError';
}

function findJava(): string | undefined {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'java'));
  candidates.push('/usr/bin/java');
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function isReferenceZooKeeperInstalled(): boolean {
  return existsSync(referenceJars.server) && findJava() !== undefined;
}

export function isCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/**
 * For `describe(name, { skip: referenceSkipReason() }, ...)`: a message when the reference is
 * missing on a developer machine, false when it is installed or when CI=true (the tests then run
 * and fail, because CI must never pass by skipping its oracle).
 */
export function referenceSkipReason(): string | false {
  if (isReferenceZooKeeperInstalled() || isCi()) return false;
  return `Apache ZooKeeper is not installed (${referenceJars.server} or java missing); apt-get install zookeeper zookeeper-bin to run these tests`;
}

function zooCfg(options: { dataDir: string; port: number; tickTimeMs: number; extra: Record<string, string> }): string {
  const entries: Record<string, string> = {
    tickTime: String(options.tickTimeMs),
    dataDir: options.dataDir,
    clientPort: String(options.port),
    clientPortAddress: loopbackHost,
    // Durable like production, so latency comparisons and crash tests mean something.
    forceSync: 'yes',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
    // Unknown zoo.cfg keys become zookeeper.* system properties; this one enables TTL nodes.
    extendedTypesEnabled: 'true',
    ...options.extra,
  };
  return Object.entries(entries).map(([key, value]) => `${key}=${value}\n`).join('');
}

function readLogTail(logPath: string, lines: number): string {
  try {
    const text = readFileSync(logPath, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, 5000)) return;
  child.kill('SIGKILL');
  if (!(await waitForExit(child, 5000))) throw new ReferenceZooKeeperError(`java pid ${child.pid} survived SIGKILL`);
}

/**
 * Polls until the server is serving, the child exits, or the deadline passes. `ruok` says `imok` as
 * soon as the port is bound, before the database is loaded; only then does `srvr` stop answering
 * "This ZooKeeper instance is not currently serving requests", so both are checked.
 */
async function waitUntilServing(child: ChildProcess, port: number, deadline: number): Promise<'serving' | 'exited' | 'timeout'> {
  let spawnFailed = false;
  child.once('error', () => {
    spawnFailed = true;
  });
  for (;;) {
    if (spawnFailed || child.exitCode !== null || child.signalCode !== null) return 'exited';
    if (Date.now() > deadline) return 'timeout';
    if (await isServing(port)) return 'serving';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function isServing(port: number): Promise<boolean> {
  const ask = (word: string): Promise<string> => sendFourLetterWord({ host: loopbackHost, port }, word, { timeoutMs: 1000 }).catch(() => '');
  return (await ask('ruok')) === 'imok' && (await ask('srvr')).includes('\nMode: ');
}

interface Attempt {
  port: number;
  options: ReferenceZooKeeperOptions;
  workDir: string;
  dataDir: string;
  java: string;
}

async function startOnce(attempt: Attempt): Promise<{ child: ChildProcess; logPath: string; startupMs: number; portTaken: boolean }> {
  const cfgPath = join(attempt.workDir, `zoo-${attempt.port}.cfg`);
  const logPath = join(attempt.workDir, `zookeeper-${attempt.port}.log`);
  const cfg = zooCfg({
    dataDir: attempt.dataDir,
    port: attempt.port,
    tickTimeMs: attempt.options.tickTimeMs ?? 2000,
    extra: attempt.options.config ?? {},
  });
  await writeFile(cfgPath, cfg);
  const classPath = [referenceJars.server, ...(existsSync(referenceJars.logBinding) ? [referenceJars.logBinding] : [])];
  const args = [...(attempt.options.jvmOptions ?? ['-Xmx512m']), '-cp', classPath.join(':'), mainClass, cfgPath];
  const logFd = openSync(logPath, 'a');
  const began = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(attempt.java, args, { cwd: attempt.workDir, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let spawnError = undefined as Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const outcome = await waitUntilServing(child, attempt.port, began + (attempt.options.startTimeoutMs ?? 30_000));
  if (spawnError !== undefined) {
    throw new ReferenceZooKeeperError(`cannot run ${attempt.java}: ${spawnError.message}`, { cause: spawnError });
  }
  if (outcome === 'serving') return { child, logPath, startupMs: Date.now() - began, portTaken: false };
  await killChild(child);
  const tail = readLogTail(logPath, 30);
  if (/Address already in use|BindException/.test(tail)) return { child, logPath, startupMs: 0, portTaken: true };
  const why = outcome === 'exited' ? `exited with ${child.exitCode ?? child.signalCode}` : `was not serving (ruok + srvr) within ${attempt.options.startTimeoutMs ?? 30_000} ms`;
  throw new ReferenceZooKeeperError(`Apache ZooKeeper on ${loopbackHost}:${attempt.port} ${why}; log tail:\n${tail}`);
}

/** Starts a standalone Apache ZooKeeper and resolves once it answers `ruok` with `imok` and serves. */
export async function startReferenceZooKeeper(options: ReferenceZooKeeperOptions = {}): Promise<ReferenceZooKeeper> {
  const java = findJava();
  if (!existsSync(referenceJars.server) || java === undefined) {
    throw new ReferenceZooKeeperError(
      `Apache ZooKeeper is not installed (need ${referenceJars.server} and java); run apt-get install zookeeper zookeeper-bin`,
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), 'meerkat-reference-zk-'));
  const dataDir = options.dataDir ?? join(workDir, 'data');
  await mkdir(dataDir, { recursive: true });
  // Three tries: only a lost race for a port we picked ourselves is retried.
  const attemptsMax = options.port === undefined ? 3 : 1;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await getFreePort());
      const started = await startOnce({ port, options, workDir, dataDir, java });
      if (started.portTaken && attempt < attemptsMax) continue;
      if (started.portTaken) throw new ReferenceZooKeeperError(`port ${port} in use; log tail:\n${readLogTail(started.logPath, 30)}`);
      return running({ child: started.child, port, workDir, dataDir, logPath: started.logPath, startupMs: started.startupMs });
    }
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

function running(state: { child: ChildProcess; port: number; workDir: string; dataDir: string; logPath: string; startupMs: number }): ReferenceZooKeeper {
  const { child, workDir, logPath } = state;
  // If the test process dies without calling stop(), do not leave a JVM behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    host: loopbackHost,
    port: state.port,
    connectString: `${loopbackHost}:${state.port}`,
    dataDir: state.dataDir,
    pid: child.pid!,
    startupMs: state.startupMs,
    logTail: (lines = 30) => readLogTail(logPath, lines),
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        await killChild(child);
        await rm(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
