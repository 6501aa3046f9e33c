// One specification of how Apache ZooKeeper's own CLIs (zkCli.sh and cli_mt) behave against a server,
// parameterised by the server under test. test/zk-tools.test.ts runs it against the reference; the
// same suite pointed at Meerkat proves those tools work with it unchanged:
//
//   describeZooKeeperTools('ZooKeeper CLIs against Meerkat', async () => {
//     const dataDir = await mkdtemp(join(tmpdir(), 'meerkat-'));
//     const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
//     return { host: server.host, port: server.port, stop: async () => { await server.close(); await rm(dataDir, { recursive: true, force: true }); } };
//   });

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliSession, runCliMt, runZkCli, zooKeeperToolsSkipReason } from './zk-cli.js';

export interface ToolTarget {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export interface ZooKeeperToolsSuiteOptions {
  /** Skip message; default: skip only when the CLIs are missing outside CI. */
  skip?: string | false;
  /** Bound on the whole suite. Default 120000 ms (each zkCli.sh run starts a JVM). */
  timeoutMs?: number;
}

export function describeZooKeeperTools(name: string, startTarget: () => Promise<ToolTarget>, options: ZooKeeperToolsSuiteOptions = {}): void {
  const skip = options.skip ?? zooKeeperToolsSkipReason();
  describe(name, { skip, timeout: options.timeoutMs ?? 120_000 }, () => {
    let target: ToolTarget;
    const sessions: CliSession[] = [];

    before(async () => {
      target = await startTarget();
    });

    after(async () => {
      await Promise.all(sessions.map((session) => session.close({ timeoutMs: 2000 })));
      await target?.stop();
    });

    describe('zkCli.sh', () => {
      it('creates a node with data', async () => {
        const result = await runZkCli(target, ['create', '/zkcli', 'hello']);
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(result.stderr, /^Created \/zkcli$/m);
      });

      it('reads the data and stat back', async () => {
        const result = await runZkCli(target, ['get', '-s', '/zkcli']);
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(result.stdout, /^hello$/m);
        assert.match(result.stdout, /^dataVersion = 0$/m);
        assert.match(result.stdout, /^dataLength = 5$/m);
        assert.match(result.stdout, /^numChildren = 0$/m);
        assert.match(result.stdout, /^ephemeralOwner = 0x0$/m);
      });

      it('is told of a change through a watch set with get -w', async () => {
        const session = CliSession.zkCli(target);
        sessions.push(session);
        await session.waitFor(/type:None path:null/, { timeoutMs: 20_000 });
        session.send('get -w /zkcli');
        await session.waitFor(/^hello$/m);
        const update = await runZkCli(target, ['set', '/zkcli', 'changed']);
        assert.equal(update.exitCode, 0, update.stderr);
        await session.waitFor(/WatchedEvent state:SyncConnected type:NodeDataChanged path:\/zkcli/);
        const closed = await session.close();
        assert.equal(closed.exitCode, 0);
      });

      it('deletes the node, after which reading it fails with "Node does not exist"', async () => {
        const deleted = await runZkCli(target, ['delete', '/zkcli']);
        assert.equal(deleted.exitCode, 0, deleted.stderr);
        const missing = await runZkCli(target, ['stat', '/zkcli']);
        assert.equal(missing.exitCode, 1);
        assert.match(missing.stdout + missing.stderr, /Node does not exist: \/zkcli/);
      });
    });

    describe('cli_mt (the C client)', () => {
      it('creates a node (cli_mt always writes "new")', async () => {
        const result = await runCliMt(target, 'create /climt');
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(result.stderr, /^\[\/climt\]: rc = 0$/m);
        assert.match(result.stderr, /^\tname = \/climt$/m);
      });

      it('reads the data and stat back', async () => {
        const result = await runCliMt(target, 'get /climt');
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(result.stderr, /^\/climt: rc = 0$/m);
        assert.match(result.stderr, /^ value_len = 3\nnew$/m);
        assert.match(result.stderr, /^\tversion=0\taversion=0$/m);
      });

      it('is told of a change through the watch get leaves', async () => {
        const session = CliSession.cliMt(target);
        sessions.push(session);
        await session.waitFor(/Watcher SESSION_EVENT state = CONNECTED_STATE/);
        session.send('get /climt');
        await session.waitFor(/^\/climt: rc = 0$/m);
        const update = await runCliMt(target, 'set /climt changed');
        assert.match(update.stderr, /^\/climt: rc = 0 Stat:$/m);
        await session.waitFor(/Watcher CHANGED_EVENT state = CONNECTED_STATE for path \/climt/);
        const closed = await session.close();
        assert.equal(closed.exitCode, 0);
      });

      it('reads a node the Java shell wrote', async () => {
        await runZkCli(target, ['create', '/from-java', 'java-data']);
        const result = await runCliMt(target, 'get /from-java');
        assert.match(result.stderr, /^ value_len = 9\njava-data$/m);
      });

      it('deletes the node, after which get answers rc = -101 (NoNode)', async () => {
        const deleted = await runCliMt(target, 'delete /climt');
        assert.match(deleted.stderr, /^\/climt: rc = 0$/m);
        const missing = await runCliMt(target, 'get /climt');
        assert.match(missing.stderr, /^\/climt: rc = -101$/m);
      });
    });
  });
}
