// One real interactive session in a pseudo-terminal (tmux): tab completion of commands and of
// paths from the server, zkCli's prompt and output, and a watch event printed while idle.
// Skipped, saying so, when tmux is not installed.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ZooKeeperClient } from '../../src/client/index.js';
import { startTestServer, type TestServer } from './shell-harness.js';

const tmuxMissing = spawnSync('tmux', ['-V']).status !== 0;
const cliBuilt = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));
const skip = tmuxMissing ? 'tmux is not installed (apt-get install -y tmux): the pseudo-terminal session test is skipped'
  : cliBuilt ? false : 'run `npm run build` first (npm test does): the session runs bin/meerkat.js';
/** The project root (npm test runs from it), where bin/meerkat.js lives. */
const repository = process.cwd();
// A private tmux server on a socket in a directory of our own, so the test never touches anyone
// else's sessions and leaves nothing behind.
const socketDirectory = mkdtempSync(join(tmpdir(), 'meerkat-shell-tmux-'));
const socket = join(socketDirectory, 'socket');
const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'shell');

async function waitForScreen(predicate: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const text = screen();
    if (predicate(text)) return text;
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}; screen:\n${screen()}`);
}

describe('meerkat shell in a terminal', { skip }, () => {
  let test: TestServer;
  let client: ZooKeeperClient;
  before(async () => {
    test = await startTestServer();
    client = await ZooKeeperClient.connect(test.server.connectString);
    for (const path of ['/services', '/services/alpha', '/services/beta', '/settings']) await client.create(path, 'on');
    const command = `node bin/meerkat.js shell --server ${test.server.connectString}`;
    tmux('new-session', '-d', '-s', 'shell', '-x', '160', '-y', '50', '-c', repository, command);
  });
  after(async () => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    rmSync(socketDirectory, { recursive: true, force: true });
    await client.close();
    await test.stop();
  });

  it('completes commands and paths, prints results and watch events', async () => {
    await waitForScreen((text) => text.includes('(CONNECTED) 0]'), 'the first prompt');
    tmux('send-keys', '-t', 'shell', 'getAllC', 'Tab');
    await waitForScreen((text) => text.includes('getAllChildrenNumber'), 'the command completed');
    tmux('send-keys', '-t', 'shell', ' /serv', 'Tab');
    await waitForScreen((text) => text.includes('getAllChildrenNumber /services'), 'the path completed from the server');
    tmux('send-keys', '-t', 'shell', 'Enter');
    await waitForScreen((text) => /\n2\n/.test(text) && text.includes('(CONNECTED) 1]'), 'the count and the next prompt');

    tmux('send-keys', '-t', 'shell', 'get -w /sett', 'Tab');
    await waitForScreen((text) => text.includes('get -w /settings'), 'the second path completed');
    tmux('send-keys', '-t', 'shell', 'Enter');
    await waitForScreen((text) => text.includes('\non\n') && text.includes('(CONNECTED) 2]'), 'get -w to print the data');
    await client.setData('/settings', 'off');
    await waitForScreen((text) => text.includes('type:NodeDataChanged path:/settings'), 'the watch event');

    // The candidates are listed on a second Tab, which must follow the first's (asynchronous) answer.
    tmux('send-keys', '-t', 'shell', 'ls /services/', 'Tab');
    const listed = (text: string): boolean => /\/services\/alpha\s+\/services\/beta/.test(text);
    for (let attempt = 0; attempt < 10 && !listed(screen()); attempt += 1) {
      await sleep(200);
      tmux('send-keys', '-t', 'shell', 'Tab');
    }
    await waitForScreen(listed, 'the list of candidates');
    tmux('send-keys', '-t', 'shell', 'C-u', 'quit', 'Enter');
    const deadline = Date.now() + 10_000;
    while (spawnSync('tmux', ['-S', socket, 'has-session', '-t', 'shell']).status === 0) {
      // The screen only on failure: the session may end between has-session and capture-pane.
      if (Date.now() >= deadline) assert.fail(`the shell did not exit on quit; screen:\n${screen()}`);
      await sleep(50);
    }
  });
});
