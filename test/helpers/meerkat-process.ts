// `meerkat start` as a child process, for tests whose bounds are the server process's own (RSS,
// survival, restart on the same data): a zoo.cfg in a temp directory, the log kept in memory for
// assertions, a bounded start, kill -9 and restart on the same data directory.
//
// Invariants: every start is bounded; the child is killed by stop() (and on the test process's
// exit); stop() removes the temp directory. The log is kept up to `logCharsMax` characters (the
// newest), so a chatty abuse case cannot grow the test's memory without bound.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { rssBytes } from './never-reading-client.js';

const bin = join(process.cwd(), 'bin/meerkat.js');
/** The built CLI the child runs; tests skip without it. */
export const meerkatBuilt = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));
/** The newest log characters kept: enough for every line a test looks for. */
const logCharsMax = 4 * 1024 * 1024;

export interface MeerkatProcess {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running child's pid (changes on restart). */
  readonly pid: number;
  /** The log since the (last) start, newest `logCharsMax` characters. */
  log(): string;
  /** The child's resident set size now. */
  rssBytes(): number;
  /** True while the child has not exited. */
  alive(): boolean;
  /** kill -9, then `meerkat start` again on the same data directory and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `meerkat start` with `config` (zoo.cfg keys) added to its port and a fresh data directory. */
export async function startMeerkatProcess(config: Record<string, string> = {}, startTimeoutMs = 20_000): Promise<MeerkatProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'meerkat-process-'));
  const port = await getFreePort();
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'zoo.cfg');
  const entries = { clientPort: String(port), dataDir, '4lw.commands.whitelist': '*', ...config };
  writeFileSync(configPath, Object.entries(entries).map(([key, value]) => `${key}=${value}\n`).join(''));
  let child: ChildProcess;
  let output = '';
  const killOnExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    output = '';
    child = spawn(process.execPath, [bin, 'start', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > logCharsMax) output = output.slice(output.length - logCharsMax / 2);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const deadline = Date.now() + startTimeoutMs;
    while (!output.includes('meerkat serving')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`meerkat start did not come up:\n${output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    host: '127.0.0.1',
    port,
    dataDir,
    get pid() {
      return child.pid!;
    },
    log: () => output,
    rssBytes: () => rssBytes(child.pid!),
    alive: () => child.exitCode === null && child.signalCode === null,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
