// kazoo, a third-party Python client (Debian's python3-kazoo), fails over between Meerkat members:
// its member is killed -9 and its next write lands through another member, in the same session.
// Skipped where kazoo is not installed, except on CI (`.ci/run` installs it), where that fails.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Cluster, startCluster } from '../../src/runtime/index.js';
import { within } from '../helpers/waits.js';

const python = '/usr/bin/python3';
const kazooInstalled = spawnSync(python, ['-c', 'import kazoo'], { stdio: 'ignore' }).status === 0;
const script = join(process.cwd(), 'test/ensemble/kazoo-failover.py');

describe('kazoo on a Meerkat ensemble', { timeout: 120_000, skip: !kazooInstalled && process.env['CI'] !== 'true' ? 'python3-kazoo is not installed' : false }, () => {
  let cluster: Cluster;

  before(async () => {
    assert.ok(kazooInstalled, 'python3-kazoo is installed (CI installs it)');
    cluster = await startCluster({ size: 3, tickTimeMs: 200 });
    await cluster.waitForQuorum();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('moves to another member when its member is killed, keeping its session', async () => {
    const victim = cluster.members.find((member) => member.state === 'follower')!;
    const hosts = [victim, ...cluster.members.filter((member) => member !== victim)].map((member) => member.connectString).join(',');
    const child = spawn(python, [script, hosts], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const line = (prefix: string): Promise<string> => new Promise((resolve, reject) => {
      const check = (): void => {
        const found = output.split('\n').find((text) => text.startsWith(prefix));
        if (found !== undefined) resolve(found);
        else if (child.exitCode !== null) reject(new Error(`kazoo exited ${child.exitCode}: ${errors.slice(-2000)}`));
        else setTimeout(check, 20);
      };
      check();
    });
    try {
      await within(line('ready'), 20_000, 'kazoo connected and created /kazoo');
      await victim.kill();
      child.stdin.write('go\n');
      const result = await within(line('ok '), 40_000, 'kazoo wrote after failover');
      assert.equal(result, 'ok 2 CONNECTED same-session');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
