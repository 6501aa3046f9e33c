// Crash safety on a real process: a client pipelines creates, setData and two-node multis while the
// test kills the server with SIGKILL, at random moments and, every fifth cycle, while a snapshot is
// being written. After each restart every acknowledged write is present, no multi is half-applied,
// and at the end the served tree's digest equals an independent recovery of the data directory.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { recover } from '../../src/storage/index.js';
import { DataTree } from '../../src/tree/index.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { getFreePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';

const bin = join(process.cwd(), 'bin/meerkat.js');
const built = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const cycles = 30;
const testTimeMsMax = 150_000;

async function startProcess(config: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'start', '--config', config, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await sendFourLetterWord({ host: '127.0.0.1', port }, 'ruok')) === 'imok') return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not start (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('crash safety under SIGKILL', { skip: built ? false : 'run `npm run build` first (npm test does)', timeout: testTimeMsMax + 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'meerkat-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses no acknowledged write over ${cycles} kill -9 cycles`, async () => {
    const dataDir = join(dir, 'data');
    const config = join(dir, 'zoo.cfg');
    writeFileSync(config, `dataDir=${dataDir}\nsnapCount=400\npreAllocSize=256\n4lw.commands.whitelist=*\n`);
    const acknowledged = new Map<string, string>();
    const multis: string[] = [];
    const started = Date.now();
    let killsDuringSnapshot = 0;
    let port = await getFreePort();
    let server = await startProcess(config, port);
    // Enough data that snapshots take long enough to be caught in the act.
    const seed = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
    await Promise.all(Array.from({ length: 3000 }, (_v, i) =>
      seed.request({ type: OpCode.create, path: `/seed-${i}`, data: Buffer.alloc(100, i % 251), acl: open, flags: 0 })));
    seed.destroy();

    for (let cycle = 0; cycle < cycles && Date.now() - started < testTimeMsMax; cycle++) {
      const client = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          const key = `/c${cycle}-${i}`;
          const value = `v${cycle}-${i}`;
          const batch = [
            client.request({ type: OpCode.create, path: key, data: Buffer.from(value), acl: open, flags: 0 }).then((reply) => {
              if (reply.header.err === 0) acknowledged.set(key, value);
            }),
            client.request({
              type: OpCode.multi,
              ops: [
                { type: OpCode.create, path: `${key}-m1`, data: Buffer.from(value), acl: open, flags: 0 },
                { type: OpCode.create, path: `${key}-m2`, data: Buffer.from(value), acl: open, flags: 0 },
              ],
            }).then((reply) => {
              if (reply.header.err === 0) multis.push(key);
            }),
          ];
          await Promise.all(batch).catch(() => {
            stop = true;
          });
        }
      })();
      if (cycle % 5 === 4) {
        const versionDir = join(dataDir, 'version-2');
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && !readdirSync(versionDir).some((name) => name.endsWith('.tmp'))) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (readdirSync(versionDir).some((name) => name.endsWith('.tmp'))) killsDuringSnapshot++;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 250)));
      }
      server.kill('SIGKILL');
      await killed(server);
      stop = true;
      await writer;
      client.destroy();
      port = await getFreePort();
      server = await startProcess(config, port);

      const checker = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
      const missing: string[] = [];
      for (const [key, value] of acknowledged) {
        const reply = await checker.request({ type: OpCode.getData, path: key, watch: false });
        if (reply.header.err !== 0 || reply.response?.type !== OpCode.getData || Buffer.from(reply.response.data ?? []).toString() !== value) missing.push(key);
      }
      assert.deepEqual(missing, [], `cycle ${cycle}: acknowledged writes lost`);
      for (const key of multis) {
        for (const part of ['-m1', '-m2']) {
          const reply = await checker.request({ type: OpCode.exists, path: key + part, watch: false });
          assert.equal(reply.header.err, 0, `cycle ${cycle}: acknowledged multi ${key} lost ${part}`);
        }
      }
      // An unacknowledged multi is all or nothing too.
      const children = await checker.request({ type: OpCode.getChildren, path: '/', watch: false });
      const names = new Set(children.response?.type === OpCode.getChildren ? children.response.children : []);
      for (const name of names) {
        if (name.endsWith('-m1')) assert.ok(names.has(name.replace(/-m1$/, '-m2')), `half-applied multi ${name}`);
      }
      checker.destroy();
    }
    assert.ok(acknowledged.size > 100, `writes were acknowledged (${acknowledged.size})`);
    assert.ok(killsDuringSnapshot >= 1, 'at least one kill landed while a snapshot was being written');

    const mntr = await sendFourLetterWord({ host: '127.0.0.1', port }, 'mntr');
    server.kill('SIGTERM');
    await killed(server);
    const served = /zk_tree_digest\t([0-9a-f]+)/.exec(mntr)?.[1];
    const recovered = await recover({
      fs: new NodeFileSystem(), dataDir, dataLogDir: dataDir,
      createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => {},
    });
    assert.equal(recovered.tree.digest().toString(16), served, 'the served tree equals an independent replay');
  });
});
