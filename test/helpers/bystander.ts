// A well-behaved session that goes on working while a test abuses the server: every `intervalMs` it
// reads a small znode and creates a sequential znode, one request at a time, and records each round
// trip. It runs in a worker thread, so the abusing test's own work (encoding 10^5 requests, say)
// does not show up as the server's latency. A test marks the start of each abuse case
// (`startCase`) and reads that case's slowest round trip and any failure afterwards (`endCase`);
// the sequential znodes the server acknowledged creating are listed by `acknowledged`, to check
// after a restart that none was lost. Every request has a bounded reply time; a missed reply fails
// the case, not the test process.

import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { OpCode } from '../../src/proto/index.js';
import { RawClient } from './raw-client.js';
import { sleep } from './waits.js';

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** CreateMode PERSISTENT_SEQUENTIAL. */
const sequentialFlag = 2;

export interface CaseFigures {
  /** Round trips completed during the case. */
  roundTrips: number;
  /** The slowest round trip of the case, in ms. */
  slowestMs: number;
  /** The first failure (an error code or no reply in time), if any. */
  failure: string | null;
}

interface BystanderOptions {
  host: string;
  port: number;
  parent: string;
  intervalMs: number;
}

type Command = 'startCase' | 'figures' | 'stop';
type Reply = { ready: true } | { ready: false; error: string } | { figures: CaseFigures; acknowledged: string[] };

export class Bystander {
  /** Paths of the sequential znodes the server acknowledged creating (as of the last `endCase` or `stop`). */
  acknowledged: string[] = [];
  private stopped: Promise<void> | null = null;
  private constructor(private readonly worker: Worker) {}

  /** Starts the worker, which connects and creates its parent znode, then loops until `stop`. */
  static async start(target: { host: string; port: number }, options: { parent?: string; intervalMs?: number } = {}): Promise<Bystander> {
    const data: BystanderOptions = { ...target, parent: options.parent ?? '/bystander', intervalMs: options.intervalMs ?? 50 };
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    const first = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if ('error' in first) {
      await worker.terminate();
      throw new Error(`bystander could not start: ${first.error}`);
    }
    return new Bystander(worker);
  }

  startCase(): void {
    this.worker.postMessage('startCase' satisfies Command);
  }

  /** The figures since `startCase`; waits for at least `minRoundTrips` first (bounded by `waitMs`). */
  async endCase(minRoundTrips = 3, waitMs = 5000): Promise<CaseFigures> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { figures } = await this.ask('figures');
      if (figures.roundTrips >= minRoundTrips || figures.failure !== null || Date.now() > deadline) return figures;
      await sleep(20);
    }
  }

  /** Stops the loop, closes the session and the worker; idempotent, and bounded (the worker is terminated after 10 s). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const timer = setTimeout(() => void this.worker.terminate(), 10_000);
      try {
        await Promise.race([this.ask('stop'), new Promise((resolve) => this.worker.once('exit', resolve))]);
      } finally {
        clearTimeout(timer);
        await this.worker.terminate();
      }
    })();
    return this.stopped;
  }

  private ask(command: Command): Promise<{ figures: CaseFigures; acknowledged: string[] }> {
    return new Promise((resolve) => {
      this.worker.once('message', (reply: Reply) => {
        if ('figures' in reply) {
          this.acknowledged = reply.acknowledged;
          resolve(reply);
        }
      });
      this.worker.postMessage(command);
    });
  }
}

/** The worker's side: the session and its loop. */
async function runBystander(options: BystanderOptions): Promise<void> {
  const port = parentPort!;
  let client: RawClient;
  try {
    client = await RawClient.connect({ host: options.host, port: options.port, replyTimeoutMs: 5000 });
    const created = await client.request({ type: OpCode.create, path: options.parent, data: Buffer.from('bystander'), acl: openAcl, flags: 0 });
    if (created.header.err !== 0) throw new Error(`create ${options.parent}: error code ${created.header.err}`);
  } catch (error) {
    port.postMessage({ ready: false, error: (error as Error).message } satisfies Reply);
    return;
  }
  const acknowledged: string[] = [];
  let figures: CaseFigures = { roundTrips: 0, slowestMs: 0, failure: null };
  let running = true;
  let stopped: () => void = () => undefined;
  const loopDone = new Promise<void>((resolve) => (stopped = resolve));
  port.on('message', (command: Command) => {
    if (command === 'startCase') figures = { roundTrips: 0, slowestMs: 0, failure: null };
    else if (command === 'figures') port.postMessage({ figures: { ...figures }, acknowledged } satisfies Reply);
    else {
      running = false;
      void loopDone.then(() => client.close().catch(() => undefined)).then(() => port.postMessage({ figures, acknowledged } satisfies Reply));
    }
  });
  port.postMessage({ ready: true } satisfies Reply);
  let index = 0;
  while (running) {
    const started = performance.now();
    try {
      const reply = index % 2 === 0
        ? await client.request({ type: OpCode.getData, path: options.parent, watch: false })
        : await client.request({ type: OpCode.create, path: `${options.parent}/w-`, data: Buffer.from(String(index)), acl: openAcl, flags: sequentialFlag });
      if (reply.header.err !== 0) throw new Error(`error code ${reply.header.err}`);
      if (reply.response?.type === OpCode.create) acknowledged.push(reply.response.path);
      figures.roundTrips++;
      figures.slowestMs = Math.max(figures.slowestMs, performance.now() - started);
    } catch (error) {
      figures.failure ??= (error as Error).message;
      if (/closed|destroyed|socket/.test((error as Error).message)) break;
    }
    index++;
    await sleep(options.intervalMs);
  }
  stopped();
}

if (!isMainThread && (workerData as BystanderOptions | null)?.parent !== undefined) void runBystander(workerData as BystanderOptions);
