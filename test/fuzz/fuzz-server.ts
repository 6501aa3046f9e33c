// A real Meerkat server on 127.0.0.1 for the socket fuzz targets: its log lines are kept (a closed
// connection must have one), any uncaught exception while it runs is recorded (a crash fails the run
// instead of the process), and a bystander session must be served after every run.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { OpCode } from '../../src/proto/index.js';
import { startServer } from '../../src/runtime/index.js';
import { RawClient } from '../helpers/raw-client.js';

/** Bound on the server's answer, or its close, to one run's bytes. */
export const answerTimeoutMs = 3000;

export interface FuzzServer {
  port: number;
  bystanderSession: bigint;
  /** Log lines written so far. */
  readonly logLines: number;
  /** Fails if the server threw since the last call, or if the bystander is not served. */
  checkHealthy(): Promise<void>;
  close(): Promise<void>;
}

export async function openFuzzServer(): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-fuzz-'));
  const lines: string[] = [];
  const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => void lines.push(line) });
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);
  process.on('uncaughtException', onCrash);
  const server = await startServer({ port: 0, dataDir, logger, config: { forceSync: false, maxClientConnections: 0, preAllocBytes: 1 << 20 } });
  const bystander = await RawClient.connect({ host: server.host, port: server.port, pingIntervalMs: 2000 });
  return {
    port: server.port,
    bystanderSession: bystander.sessionId,
    get logLines() {
      return lines.length;
    },
    async checkHealthy() {
      const thrown = crashes.splice(0);
      if (thrown.length > 0) throw thrown[0];
      const reply = await bystander.request({ type: OpCode.exists, path: '/', watch: false }, { timeoutMs: answerTimeoutMs });
      assert.equal(reply.header.err, 0, 'the bystander was not served');
    },
    async close() {
      bystander.destroy();
      await server.close();
      process.off('uncaughtException', onCrash);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
