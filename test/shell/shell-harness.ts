// Shared by the shell tests: a Meerkat server in-process, and the shell run against it with its
// output captured, so each test reads as "this command prints this and exits with that".

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startServer, type RunningServer } from '../../src/runtime/index.js';
import { runShell } from '../../src/cli/shell/index.js';

export interface ShellRun {
  code: number;
  out: string;
  err: string;
}

export interface TestServer {
  server: RunningServer;
  stop(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-shell-'));
  const server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  return {
    server,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects everything written to a stream as text. */
export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** `meerkat shell --server <server> -c <script>`, in-process. */
export async function shell(server: string, script: string, options: { connectTimeoutMs?: number } = {}): Promise<ShellRun> {
  const out = capture();
  const err = capture();
  const code = await runShell({
    server, command: script, input: new PassThrough(), output: out.stream, errorOutput: err.stream,
    sessionTimeoutMs: 4000, connectTimeoutMs: options.connectTimeoutMs ?? 5000,
  });
  return { code, out: out.text(), err: err.text() };
}
