// The standalone server's persistence (runtime/persistence.ts) on the real disk: the start-up snapshot
// is durable before the server serves, the log continues after the recovered zxid, regular snapshots
// go through a temp file, fsync, rename and directory sync, and a digest mismatch found at recovery
// is logged with its count.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ZooKeeperClient } from '../../src/client/index.js';
import { type Acl, OpCode, type Txn } from '../../src/proto/index.js';
import { startServer } from '../../src/runtime/index.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { TxnLog, recover, versionDirName } from '../../src/storage/index.js';
import { DataTree } from '../../src/tree/index.js';

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** The real file system, recording renames and directory syncs in order. */
class RecordingFileSystem extends NodeFileSystem {
  readonly events: string[] = [];

  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    this.events.push(`rename ${from.split('/').pop()} ${to.split('/').pop()}`);
  }

  override async syncDirectory(dir: string): Promise<void> {
    await super.syncDirectory(dir);
    this.events.push(`sync ${dir.split('/').pop()}`);
  }
}

async function createNodes(connectString: string, paths: readonly string[]): Promise<void> {
  const client = await ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 10_000 });
  try {
    for (const path of paths) await client.create(path, path);
  } finally {
    await client.close();
  }
}

describe('persistence of the standalone server', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-persistence-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('makes snapshot.0 durable before serving on an empty data directory', async () => {
    const dataDir = tempDir();
    const fileSystem = new RecordingFileSystem();
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent', fileSystem });
    const eventsBeforeServing = [...fileSystem.events];
    await server.close();
    const renamed = eventsBeforeServing.indexOf('rename .snapshot.0.tmp snapshot.0');
    assert.ok(renamed >= 0, `snapshot.0 in place before serving: ${eventsBeforeServing.join('; ')}`);
    assert.equal(eventsBeforeServing[renamed + 1], `sync ${versionDirName}`, 'and its directory entry synced');
  });

  it('continues the log after the recovered zxid in a new file, and writes snapshots through a synced temp file', async () => {
    const dataDir = tempDir();
    const versionDir = join(dataDir, versionDirName);
    const config = { snapCount: 10, preAllocBytes: 64 * 1024 };
    const fileSystem = new RecordingFileSystem();
    const first = await startServer({ port: 0, dataDir, logLevel: 'silent', config, fileSystem });
    const firstPaths = Array.from({ length: 25 }, (_, i) => `/first-${i}`);
    await createNodes(first.connectString, firstPaths);
    await first.close();
    const snapshots = fileSystem.events.filter((event) => /^rename \.snapshot\.[0-9a-f]+\.tmp snapshot\.[0-9a-f]+$/.test(event));
    assert.ok(snapshots.length >= 2, `the start-up snapshot and at least one regular one: ${fileSystem.events.join('; ')}`);
    for (const rename of snapshots) {
      const next = fileSystem.events[fileSystem.events.indexOf(rename) + 1];
      assert.equal(next, `sync ${versionDirName}`, `directory synced after ${rename}`);
    }
    const logsBefore = readdirSync(versionDir).filter((name) => name.startsWith('log.'));

    const second = await startServer({ port: 0, dataDir, logLevel: 'silent', config });
    await createNodes(second.connectString, ['/second']);
    await second.close();
    const newLogs = readdirSync(versionDir).filter((name) => name.startsWith('log.') && !logsBefore.includes(name));
    assert.equal(newLogs.length, 1, `the restarted server logs into a new file: ${readdirSync(versionDir).join(' ')}`);
    const newestBefore = Math.max(...logsBefore.map((name) => parseInt(name.slice('log.'.length), 16)));
    assert.ok(parseInt(newLogs[0]!.slice('log.'.length), 16) > newestBefore, 'named after a zxid past every earlier log');

    const recovered = await recover({
      fs: new NodeFileSystem(), dataDir, dataLogDir: dataDir, createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: assert.fail,
    });
    assert.deepEqual([...firstPaths, '/second'].filter((path) => recovered.tree.getNode(path) === undefined), []);
    assert.equal(recovered.digestMismatches, 0);
  });

  it('logs the number of tree digests at recovery that differ from those recorded', async () => {
    const dataDir = tempDir();
    const fs = new NodeFileSystem();
    await recover({ fs, dataDir, dataLogDir: dataDir, createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: assert.fail, writeInitialSnapshot: true });
    const log = new TxnLog({ fs, dir: join(dataDir, versionDirName), preAllocBytes: 0, forceSync: true, lastZxid: 0 });
    for (let zxid = 1; zxid <= 2; zxid++) {
      const txn: Txn = { type: OpCode.create, path: `/d${zxid}`, data: Buffer.from('x'), acl: open, ephemeral: false, parentCVersion: zxid };
      log.append({ sessionId: 1n, cxid: 0, zxid, time: 1, type: txn.type }, txn, { version: 2, treeDigest: 12345n });
    }
    await log.flush();
    await log.close();
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const server = await startServer({ port: 0, dataDir, logger });
    await server.close();
    const recovered = lines.find((line) => line.msg === 'recovered data directory');
    assert.equal(recovered?.digestMismatches, 2);
    const warning = lines.find((line) => line.digestMismatches === 2 && line.level === 40);
    assert.ok(warning !== undefined, `a warning with the count: ${JSON.stringify(lines)}`);
  });
});
