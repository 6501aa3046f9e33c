// Meerkat derives session passwords exactly as Apache ZooKeeper does, so a client can keep its
// session across a switch between the two on the same data: checked against a live ZooKeeper 3.8.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionPassword } from '../../src/server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';

describe('session passwords match Apache ZooKeeper', { skip: referenceSkipReason() }, () => {
  it('gives the password ZooKeeper gave for the same session id', async () => {
    const zk = await startReferenceZooKeeper();
    try {
      for (let i = 0; i < 3; i++) {
        const client = await RawClient.connect({ host: zk.host, port: zk.port });
        assert.deepEqual(Buffer.from(sessionPassword(client.sessionId)), Buffer.from(client.password));
        await client.close();
      }
    } finally {
      await zk.stop();
    }
  });
});
