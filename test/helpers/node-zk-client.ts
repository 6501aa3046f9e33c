// node-zookeeper-client (a real third-party client) behind promises, for tests that prove a server
// works with clients we did not write. Every call is bounded by a timeout so a server that never
// answers fails the test instead of hanging it. Errors keep the library's numeric `code`.

import zookeeper from 'node-zookeeper-client';

export interface NodeZkClientOptions {
  /** Bound on connect and on each call. Default 10000 ms. */
  timeoutMs?: number;
  /** Requested session timeout. Default 30000 ms (the library's default). */
  sessionTimeoutMs?: number;
}

export class NodeZkClient {
  private constructor(
    readonly client: zookeeper.Client,
    private readonly timeoutMs: number,
  ) {}

  /** Connects to `connectString` (host:port[,host:port]) and resolves once the session is established. */
  static async connect(connectString: string, options: NodeZkClientOptions = {}): Promise<NodeZkClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const client = zookeeper.createClient(connectString, { sessionTimeout: options.sessionTimeoutMs ?? 30_000, retries: 0 });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(new Error(`node-zookeeper-client: no session with ${connectString} within ${timeoutMs} ms`));
      }, timeoutMs);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.connect();
    });
    return new NodeZkClient(client, timeoutMs);
  }

  create(path: string, data: Buffer | null, mode: number = zookeeper.CreateMode.PERSISTENT): Promise<string> {
    return this.call<[string]>('create', (done) => this.client.create(path, data, zookeeper.ACL.OPEN_ACL_UNSAFE, mode, done)).then(([created]) => created);
  }

  getData(path: string, watcher?: zookeeper.Watcher): Promise<{ data: Buffer; stat: zookeeper.Stat }> {
    return this.call<[Buffer, zookeeper.Stat]>('getData', (done) => this.client.getData(path, watcher, done)).then(([data, stat]) => ({ data, stat }));
  }

  setData(path: string, data: Buffer | null, version = -1): Promise<zookeeper.Stat> {
    return this.call<[zookeeper.Stat]>('setData', (done) => this.client.setData(path, data, version, done)).then(([stat]) => stat);
  }

  exists(path: string, watcher?: zookeeper.Watcher): Promise<zookeeper.Stat | null> {
    return this.call<[zookeeper.Stat | null]>('exists', (done) => this.client.exists(path, watcher, done)).then(([stat]) => stat);
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call<[]>('remove', (done) => this.client.remove(path, version, done)).then(() => undefined);
  }

  close(): void {
    this.client.close();
  }

  private call<T extends unknown[]>(name: string, start: (done: zookeeper.Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node-zookeeper-client ${name}: no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      start((error, ...results) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(results);
      });
    });
  }
}
