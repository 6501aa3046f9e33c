// Ends what a test file started, in the safe order: clients (bounded close), then the proxies
// between them and the server, then the server, then its data directory.

import { rmSync } from 'node:fs';

interface Closable {
  close(): Promise<unknown>;
}

export async function tearDown(parts: {
  clients?: readonly { close(options: { timeoutMs: number }): Promise<unknown> }[];
  proxies?: readonly Closable[];
  server?: Closable | undefined;
  dataDir?: string | undefined;
}): Promise<void> {
  await Promise.all((parts.clients ?? []).map((client) => client.close({ timeoutMs: 1000 })));
  await Promise.all((parts.proxies ?? []).map((proxy) => proxy.close()));
  await parts.server?.close();
  if (parts.dataDir !== undefined) rmSync(parts.dataDir, { recursive: true, force: true });
}
