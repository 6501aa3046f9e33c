// Apache ZooKeeper's CLIs (zkCli.sh, cli_mt) against the reference server: pins what the tools print,
// so the same suite (helpers/zk-tools-suite.ts) can hold Meerkat to it.

import { describeZooKeeperTools } from './helpers/zk-tools-suite.js';
import { referenceSkipReason, startReferenceZooKeeper } from './helpers/reference-zookeeper.js';
import { zooKeeperToolsSkipReason } from './helpers/zk-cli.js';

describeZooKeeperTools(
  'ZooKeeper CLIs against Apache ZooKeeper',
  async () => {
    const server = await startReferenceZooKeeper();
    return { host: server.host, port: server.port, stop: () => server.stop() };
  },
  { skip: referenceSkipReason() || zooKeeperToolsSkipReason() },
);
