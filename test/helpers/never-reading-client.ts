// The never-reading client of issue 15 as a probe that runs against any server process (Meerkat or
// Apache ZooKeeper): a raw socket completes the handshake, pipelines thousands of getData of a ~1 MB
// znode and never reads its socket again, while a well-behaved bystander connects and reads. It
// reports the server's RSS (from /proc/<pid>/status, so the figure is the server's, not ours), the
// bystander's connect time and round trips, the stuck connection as the server's `cons` shows it,
// and when the server dropped it. A socket that is not read does not notice being closed (nothing
// reads the EOF), so "dropped" is when `cons` stops listing it. Every wait is bounded.

import { connect as connectTcp, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { FrameDecoder, JuteWriter, OpCode, writeConnectRequest, writeRequest, writeRequestHeader } from '../../src/proto/index.js';
import { sendFourLetterWord } from './four-letter.js';
import { RawClient } from './raw-client.js';
import { sleep } from './waits.js';

/** Resident set size of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

export interface NeverReadingClient {
  /** The client's local port, to find its connection in `cons`. */
  readonly localPort: number;
  /** Writes `count` getData requests of `path` in one go; nothing is ever read. */
  pipelineGetData(path: string, count: number): void;
  destroy(): void;
}

/** Connects, reads the connect response, then stops reading the socket for good. */
export async function openNeverReadingClient(target: { host: string; port: number }, timeoutMs = 5000): Promise<NeverReadingClient> {
  const socket: Socket = connectTcp({ host: target.host, port: target.port, noDelay: true });
  socket.on('error', () => {});
  const writer = new JuteWriter(128);
  writer.int(0);
  writeConnectRequest(writer, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
  writer.patchInt(0, writer.position - 4);
  socket.write(writer.toBuffer());
  await new Promise<void>((resolve, reject) => {
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => reject(new Error(`no connect response within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => decoder.push(chunk, () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve();
    });
    socket.on('data', onData);
  });
  return {
    localPort: socket.localPort!,
    pipelineGetData(path, count) {
      const frames = new JuteWriter(count * (path.length + 32));
      for (let xid = 1; xid <= count; xid++) {
        const at = frames.position;
        frames.int(0);
        writeRequestHeader(frames, { xid, type: OpCode.getData });
        writeRequest(frames, { type: OpCode.getData, path, watch: false });
        frames.patchInt(at, frames.position - at - 4);
      }
      socket.write(frames.toBuffer());
    },
    destroy: () => socket.destroy(),
  };
}

export interface ProbeOptions {
  host: string;
  port: number;
  /** The server's process id, for its RSS. */
  pid: number;
  /** getData requests the never-reading client pipelines. Default 2000. */
  requests?: number;
  /** Bytes of the big znode. Default 1,000,000 (jute.maxbuffer is 1 MiB - 1). */
  nodeBytes?: number;
  /** Bystander getData round trips, one every `bystanderIntervalMs` (default 100). Default 10. */
  bystanderReads?: number;
  bystanderIntervalMs?: number;
  /** How long to wait for the server to drop the never-reading connection. Default 30000 ms. */
  closeWaitMs?: number;
}

export interface ProbeResult {
  baselineRssBytes: number;
  /** The largest RSS seen from the pipelining until the socket closed (or the wait ended). */
  peakRssBytes: number;
  bystanderConnectMs: number;
  bystanderRoundTripsMs: number[];
  /** The never-reading connection's line in `cons` after the bystander's reads ('' if not listed). */
  stuckConnection: string;
  /** Milliseconds from the pipelining until `cons` no longer lists the connection; null if it still did. */
  closedAfterMs: number | null;
  /** Replies the server sent in all (`srvr`'s "Sent"), once the probe is over. */
  packetsSent: number;
}

/** The line of `cons` for the connection from `localPort`, or '' if the server does not list it. */
async function consLine(target: { host: string; port: number }, localPort: number): Promise<string> {
  const cons = await sendFourLetterWord(target, 'cons');
  return cons.split('\n').find((line) => line.includes(`:${localPort}[`)) ?? '';
}

/** Runs the probe once; creates /probe-big and /probe-small on the server. */
export async function probeNeverReadingClient(options: ProbeOptions): Promise<ProbeResult> {
  const target = { host: options.host, port: options.port };
  const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  const owner = await RawClient.connect({ ...target, replyTimeoutMs: 30_000 });
  await owner.request({ type: OpCode.create, path: '/probe-big', data: Buffer.alloc(options.nodeBytes ?? 1_000_000, 7), acl: open, flags: 0 });
  await owner.request({ type: OpCode.create, path: '/probe-small', data: Buffer.from('small'), acl: open, flags: 0 });
  // Warm the read path (and the server's reply buffers) before the baseline.
  for (let index = 0; index < 5; index++) await owner.request({ type: OpCode.getData, path: '/probe-big', watch: false });
  await owner.close();
  await sleep(500);
  const baselineRssBytes = rssBytes(options.pid);

  const stuck = await openNeverReadingClient(target);
  let peakRssBytes = baselineRssBytes;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRssBytes = Math.max(peakRssBytes, rssBytes(options.pid));
      await sleep(50);
    }
  })();
  const pipelinedAt = performance.now();
  stuck.pipelineGetData('/probe-big', options.requests ?? 2000);
  await sleep(500);

  const connectStarted = performance.now();
  // It pings: the wait for the stuck connection to go may outlast its session timeout.
  const bystander = await RawClient.connect({ ...target, connectTimeoutMs: 10_000, replyTimeoutMs: 10_000, pingIntervalMs: 2000 });
  const bystanderConnectMs = performance.now() - connectStarted;
  const bystanderRoundTripsMs: number[] = [];
  for (let index = 0; index < (options.bystanderReads ?? 10); index++) {
    const started = performance.now();
    await bystander.request({ type: OpCode.getData, path: '/probe-small', watch: false });
    bystanderRoundTripsMs.push(performance.now() - started);
    await sleep(options.bystanderIntervalMs ?? 100);
  }
  const stuckConnection = await consLine(target, stuck.localPort);
  let closedAfterMs: number | null = null;
  const waitUntil = performance.now() + (options.closeWaitMs ?? 30_000);
  while (performance.now() < waitUntil) {
    if (await consLine(target, stuck.localPort) === '') {
      closedAfterMs = performance.now() - pipelinedAt;
      break;
    }
    await sleep(100);
  }
  sampling = false;
  await sampler;
  stuck.destroy();
  await bystander.close();
  await sleep(200);
  const packetsSent = Number(/Sent: (\d+)/.exec(await sendFourLetterWord(target, 'srvr'))?.[1] ?? Number.NaN);
  return { baselineRssBytes, peakRssBytes, bystanderConnectMs, bystanderRoundTripsMs, stuckConnection, closedAfterMs, packetsSent };
}
