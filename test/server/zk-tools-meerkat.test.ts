// Apache ZooKeeper's own CLIs, zkCli.sh (Java) and cli_mt (C), against Meerkat: the same suite that
// pins their behaviour against the reference server (test/zk-tools.test.ts) must pass unchanged.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/runtime/index.js';
import { describeZooKeeperTools } from '../helpers/zk-tools-suite.js';

describeZooKeeperTools('ZooKeeper CLIs against Meerkat', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meerkat-cli-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
  return {
    host: server.host,
    port: server.port,
    stop: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
