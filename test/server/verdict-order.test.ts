// A write that fails in prep because of another session's pending txn (NODEEXISTS for a node being
// created, BADVERSION for a version being bumped) is answered only once that txn is applied, so the
// failing client's next read sees the state its error described. ZooKeeper orders these answers
// the same way (it logs an error txn); Meerkat logs nothing for a failed write but holds the answer.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadVersionError, NodeExistsError, ZooKeeperClient } from '../../src/client/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';

const rounds = 100;

describe('answers decided by prep wait for the txns they rest on', () => {
  let server: RunningServer;
  let dataDir: string;
  let a: ZooKeeperClient;
  let b: ZooKeeperClient;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-verdicts-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    a = await ZooKeeperClient.connect(server.connectString);
    b = await ZooKeeperClient.connect(server.connectString);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a client told NODEEXISTS can read the node at once', async () => {
    let raced = 0;
    for (let round = 0; round < rounds; round++) {
      const path = `/race-${round}`;
      const attempts = [a, b].map(async (client) => {
        try {
          await client.create(path, 'x');
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
          raced++;
          // The node exists by the server's own answer: this client must be able to read it now.
          assert.ok((await client.exists(path)) !== null, `round ${round}: NODEEXISTS, then the node is missing`);
        }
      });
      await Promise.all(attempts);
    }
    assert.equal(raced, rounds, 'every round had exactly one loser');
  });

  it('a client told BADVERSION reads a version past the one it expected', async () => {
    await a.create('/cas', '0');
    for (let round = 0; round < rounds; round++) {
      const expected = round;
      const attempts = [a, b].map(async (client) => {
        try {
          await client.setData('/cas', String(round), { version: expected });
        } catch (error) {
          if (!(error instanceof BadVersionError)) throw error;
          const { stat } = await client.getData('/cas');
          assert.ok(stat.version > expected, `round ${round}: BADVERSION, then version ${stat.version}`);
        }
      });
      await Promise.all(attempts);
    }
  });
});
