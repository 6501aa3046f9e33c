// `meerkat start` as a real process: serves with flags or a zoo.cfg, logs to stdout, and exits 0 on
// SIGTERM and SIGINT. Runs the compiled CLI (bin/meerkat.js → dist/), as `npm test` builds it first.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../helpers/ports.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { waitUntil } from '../helpers/waits.js';

const bin = join(process.cwd(), 'bin/meerkat.js');
const built = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));

interface Started {
  child: ChildProcess;
  output: () => string;
}

async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [bin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!output.includes('meerkat serving')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`meerkat start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('meerkat start', { skip: built ? false : 'run `npm run build` first (npm test does)' }, () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-cli-start-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('serves on the given port and exits 0 on SIGTERM', async () => {
    const port = await getFreePort();
    const { child, output } = await startCli(['--port', String(port), '--data-dir', tempDir()]);
    assert.equal(await sendFourLetterWord({ host: '127.0.0.1', port }, 'ruok'), 'imok');
    assert.match(output(), /"msg":"meerkat serving"/);
    child.kill('SIGTERM');
    assert.equal(await exitCode(child), 0);
  });

  it('reads a zoo.cfg, lets flags override it, and exits 0 on SIGINT', async () => {
    const dir = tempDir();
    const filePort = await getFreePort();
    const flagPort = await getFreePort();
    const config = join(dir, 'zoo.cfg');
    writeFileSync(config, `tickTime=500\nclientPort=${filePort}\ndataDir=${join(dir, 'data')}\n4lw.commands.whitelist=*\n`);
    const { child } = await startCli(['--config', config, '--port', String(flagPort)]);
    const conf = await sendFourLetterWord({ host: '127.0.0.1', port: flagPort }, 'conf');
    assert.match(conf, /tickTime=500/);
    assert.match(conf, new RegExp(`clientPort=${flagPort}`));
    assert.match(conf, /maxSessionTimeout=10000/);
    child.kill('SIGINT');
    assert.equal(await exitCode(child), 0);
  });

  it('runs an ensemble member from a zoo.cfg with server.N lines, and serves no client while it has no quorum', async () => {
    const dir = tempDir();
    const config = join(dir, 'zoo.cfg');
    const [port, quorum, election] = [await getFreePort(), await getFreePort(), await getFreePort()];
    writeFileSync(join(dir, 'myid'), '1\n');
    writeFileSync(config, [
      'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${dir}`, `clientPort=${port}`, '4lw.commands.whitelist=*',
      `server.1=127.0.0.1:${quorum}:${election}`, 'server.2=127.0.0.2:2888:3888', 'server.3=127.0.0.3:2888:3888', '',
    ].join('\n'));
    const child = spawn(process.execPath, [bin, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await waitUntil(() => stdout.includes('meerkat member serving'), 'the member starts', 10_000);
      // As a ZooKeeper member without a quorum: alive, but serving nothing.
      const ask = (word: string): Promise<string> => sendFourLetterWord({ host: '127.0.0.1', port }, word);
      assert.equal(await ask('srvr'), 'This ZooKeeper instance is not currently serving requests\n');
      assert.equal(await ask('ruok'), 'imok');
      assert.equal(await ask('isro'), 'null');
    } finally {
      child.kill('SIGINT');
      await exitCode(child);
    }
  });

  it('refuses an ensemble zoo.cfg with an even number of voters, in one clear line', async () => {
    const dir = tempDir();
    const config = join(dir, 'zoo.cfg');
    writeFileSync(join(dir, 'myid'), '1\n');
    writeFileSync(config, [`dataDir=${dir}`, 'server.1=127.0.0.1:2888:3888', 'server.2=127.0.0.2:2888:3888', ''].join('\n'));
    const child = spawn(process.execPath, [bin, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exitCode(child), 1);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /bad ensemble configuration: 2 voting members/);
  });

  it('fails with a clear message on a bad zoo.cfg', async () => {
    const dir = tempDir();
    const config = join(dir, 'zoo.cfg');
    writeFileSync(config, 'tickTime=often\n');
    const child = spawn(process.execPath, [bin, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exitCode(child), 1);
    assert.match(stderr, /tickTime: expected an integer/);
  });
});
