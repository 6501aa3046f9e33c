// Runs the client suite against Meerkat and against Apache ZooKeeper 3.8 (skipped when it is not
// installed, never on CI). Both servers allow session timeouts from 400 ms to 4 s so the session
// tests run quickly.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/runtime/index.js';
import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import { clientSuite } from './client-suite.js';

clientSuite({
  name: 'Meerkat',
  skip: false,
  knowsPersistentWatcherType: true,
  async start() {
    const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-client-'));
    const server = await startServer({
      port: 0, dataDir, logLevel: 'silent',
      config: { tickTimeMs: 200, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 4000 },
    });
    return {
      connectString: server.connectString,
      host: server.host,
      port: server.port,
      async stop() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
});

clientSuite({
  name: 'Apache ZooKeeper 3.8',
  skip: referenceSkipReason(),
  knowsPersistentWatcherType: false,
  async start() {
    const server = await startReferenceZooKeeper({ tickTimeMs: 200 });
    return { connectString: server.connectString, host: server.host, port: server.port, stop: () => server.stop() };
  },
});
