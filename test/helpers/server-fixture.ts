// One fixture for integration tests against a running server (Meerkat or Apache ZooKeeper): it
// starts the server before a describe block, hands out clients (directly or through a CutProxy that
// can cut, freeze or refuse their connection), forces session expiry, and tears everything down in
// order afterwards: clients (bounded close), proxies, server.
//
// A session is expired the way ZooKeeper lets a test do it: a second client attaches to the session
// and closes it, so the server ends it and deletes its ephemerals.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ZooKeeperClient, type ClientOptions } from '../../src/client/index.js';
import { startServer } from '../../src/runtime/index.js';
import type { StartServerOptions } from '../../src/runtime/standalone-server.js';
import { CutProxy } from '../client/cut-proxy.js';
import { waitUntil } from './waits.js';

export interface TestServer {
  connectString: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts Meerkat on a free port with a fresh data directory, removed on stop. */
export async function startMeerkat(config: StartServerOptions['config'] = {}): Promise<TestServer & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-test-'));
  const server = await startServer({ port: 0, dataDir, logLevel: 'silent', config });
  return {
    connectString: server.connectString,
    host: server.host,
    port: server.port,
    dataDir,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** ZooKeeperClient.connect's options (a socketFactory included), and a proxy to connect through. */
export type ConnectOptions = NonNullable<Parameters<typeof ZooKeeperClient.connect>[1]> & { via?: CutProxy };

export interface ServerFixture<Server extends TestServer = TestServer> {
  /** The running server; valid from the enclosing describe's `before` hook on. */
  readonly server: Server;
  /** A client on the server, or on `via` (a proxy to it); closed after the describe block. */
  connect(options?: ConnectOptions): Promise<ZooKeeperClient>;
  /** A CutProxy to the server; closed after the describe block. */
  proxy(): Promise<CutProxy>;
  /** Ends `client`'s session on the server now, whatever its connection's state. */
  endSession(client: ZooKeeperClient): Promise<void>;
  /** Ends the session of `client` (talking through `through`) while it cannot hear of it, then lets it find out. */
  expire(client: ZooKeeperClient, through: CutProxy): Promise<void>;
}

/** Registers before/after hooks in the calling describe block; clients get `clientDefaults`. */
export function useServer<Server extends TestServer>(start: () => Promise<Server>, clientDefaults: ClientOptions): ServerFixture<Server> {
  let server: Server | undefined;
  const clients: ZooKeeperClient[] = [];
  const proxies: CutProxy[] = [];
  const running = (): Server => {
    if (server === undefined) throw new Error('the server is not running');
    return server;
  };

  before(async () => {
    server = await start();
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 1000 }).catch(() => undefined)));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await server?.stop();
  });

  const fixture: ServerFixture<Server> = {
    get server() {
      return running();
    },
    async connect(options = {}) {
      const { via, ...clientOptions } = options;
      const client = await ZooKeeperClient.connect(via?.connectString ?? running().connectString, { ...clientDefaults, ...clientOptions });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    async proxy() {
      const proxy = await CutProxy.start({ host: running().host, port: running().port });
      proxies.push(proxy);
      return proxy;
    },
    async endSession(client) {
      const thief = await ZooKeeperClient.connect(running().connectString, {
        session: { id: client.sessionId, password: client.sessionPassword },
        connectTimeoutMs: 5000,
      });
      await thief.close();
    },
    async expire(client, through) {
      through.freeze(true);
      await fixture.endSession(client);
      through.freeze(false);
      through.cut();
      await waitUntil(() => client.state === 'expired', 'the session to expire', 8000);
    },
  };
  return fixture;
}
