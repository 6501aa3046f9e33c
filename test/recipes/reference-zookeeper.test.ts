// The recipe suite (recipe-suite.ts) against Apache ZooKeeper 3.8 (test/helpers/reference-zookeeper.ts),
// so a recipe that only works because of a Meerkat quirk fails here. Skipped when ZooKeeper is not
// installed, except on CI (CI=true), where a missing install fails. With tickTime 200 ms the server
// allows session timeouts from 400 ms to 4 s.

import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import { recipeSuite } from './recipe-suite.js';

recipeSuite({
  name: 'Apache ZooKeeper 3.8',
  skip: referenceSkipReason(),
  async start() {
    const server = await startReferenceZooKeeper({ tickTimeMs: 200 });
    return { connectString: server.connectString, host: server.host, port: server.port, stop: () => server.stop() };
  },
});
