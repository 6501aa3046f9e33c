// The limit on connections in all (maxCnxns, limits.connectionsMax), beside the per-IP one
// (maxClientCnxns, in bad-input.test.ts): past it a new connection is refused, the connections
// already open keep working, and a slot freed by a close is taken by the next connection.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitUntil } from '../helpers/waits.js';

describe('maxCnxns', () => {
  const maxConnections = 5;
  let server: RunningServer;
  let dataDir = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-connection-limits-'));
    // No per-IP limit: every test connection comes from 127.0.0.1, so only the total can refuse.
    server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { maxConnections, maxClientConnections: 0 } });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const connect = (): Promise<RawClient> => RawClient.connect({ host: server.host, port: server.port, connectTimeoutMs: 2000 });

  it('refuses connections beyond the total, serves those open, and admits one again once another closes', async () => {
    const clients: RawClient[] = [];
    for (let index = 0; index < maxConnections; index++) clients.push(await connect());
    await assert.rejects(connect(), /connection closed|no connect response/);
    for (const client of clients) assert.equal((await client.request({ type: OpCode.exists, path: '/', watch: false })).header.err, 0);
    await clients.pop()!.close();
    await waitUntil(() => server.core.connections.size < maxConnections, 'the closed connection to be gone');
    clients.push(await connect());
    await Promise.all(clients.map((client) => client.close()));
  });
});
