// A TCP proxy on 127.0.0.1 that a test can cut: it forwards every accepted connection to the
// target, and on demand drops every connection (as a network failure would), refuses new ones for
// a while (the server is unreachable), or freezes forwarding (requests go out but nothing comes
// back). It lets client tests kill the client's connection without touching the server.

import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

export class CutProxy {
  private readonly pairs = new Set<{ client: Socket; server: Socket }>();
  private refusing = false;
  private frozen = false;
  /** Connections accepted (and forwarded) so far. */
  accepted = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: Target): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    proxy = new CutProxy(server, address.port);
    return proxy;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  /** Drops every open connection at once (both directions). */
  cut(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.server.destroy();
    }
    this.pairs.clear();
  }

  /** While refusing, new connections are accepted and closed at once, before any byte. */
  refuse(refusing: boolean): void {
    this.refusing = refusing;
  }

  /** While frozen, bytes from either side are swallowed (the connection looks alive but silent). */
  freeze(frozen: boolean): void {
    this.frozen = frozen;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: Target): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    const server = connectTcp({ host: target.host, port: target.port, noDelay: true });
    client.setNoDelay(true);
    const pair = { client, server };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('data', (chunk) => {
      if (!this.frozen) server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (!this.frozen) client.write(chunk);
    });
    client.on('error', drop);
    server.on('error', drop);
    client.on('close', drop);
    server.on('close', drop);
  }
}
