// The `suite` workload (zk-smoketest's zk-latencies style): one session runs phases over `keys`
// znodes — create, set, get, delete, ephemeral create, then watches (set N watches, change the N
// nodes, time each event) — each pipelined with `outstanding` requests in flight.

import { connect } from 'node:net';
import {
  CreateMode, FrameDecoder, JuteReader, OpCode, encodeFrame, type Request, SpecialXid, readReplyHeader,
  readWatcherEvent, writeConnectRequest, writeRequest, writeRequestHeader,
} from '../src/proto/index.js';
import { type LatencySummary, newHistogram, summarize } from './histograms.js';

export interface SuiteOptions {
  host: string;
  port: number;
  keys: number;
  valueSize: number;
  outstanding: number;
}

export interface SuitePhaseResult {
  phase: string;
  opsPerSecond: number;
  errors: number;
  latencyUs: LatencySummary;
}

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const root = '/meerkat-bench-suite';


/** The requests of each phase, in order. */
export function suitePhases(keys: number, valueSize: number): Array<{ phase: string; requests: Request[] }> {
  const value = Buffer.alloc(valueSize, 0x73);
  const paths = Array.from({ length: keys }, (_v, i) => `${root}/n${i}`);
  return [
    { phase: 'create', requests: paths.map((path) => ({ type: OpCode.create, path, data: value, acl: open, flags: 0 })) },
    { phase: 'set', requests: paths.map((path) => ({ type: OpCode.setData, path, data: value, version: -1 })) },
    { phase: 'get', requests: paths.map((path) => ({ type: OpCode.getData, path, watch: false })) },
    { phase: 'delete', requests: paths.map((path) => ({ type: OpCode.delete, path, version: -1 })) },
    { phase: 'create ephemeral', requests: paths.map((path) => ({ type: OpCode.create, path, data: value, acl: open, flags: CreateMode.ephemeral })) },
    { phase: 'watch', requests: paths.map((path) => ({ type: OpCode.exists, path, watch: true })) },
  ];
}

/** Runs the suite on one connection and returns one result per phase (watch: change → event latency). */
export function runSuite(options: SuiteOptions): Promise<SuitePhaseResult[]> {
  const phases = suitePhases(options.keys, options.valueSize);
  const value = Buffer.alloc(options.valueSize, 0x74);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    const decoder = new FrameDecoder();
    const results: SuitePhaseResult[] = [];
    const sentAt = new Map<number, number>();
    const changedAt = new Map<string, number>();
    let xid = 1;
    let queue: Request[] = [];
    let histogram = newHistogram();
    let eventHistogram = newHistogram();
    let errors = 0;
    let phaseIndex = -1;
    let phaseStarted = 0;
    let waitingForEvents = 0;
    let changesQueued = false;
    const send = (request: Request): void => {
      const id = xid++;
      sentAt.set(id, performance.now());
      // In the watch phase, an event's latency runs from the moment its change is sent.
      if (changesQueued && request.type === OpCode.setData) changedAt.set(request.path, performance.now());
      socket.write(encodeFrame((writer) => { writeRequestHeader(writer, { xid: id, type: request.type }); writeRequest(writer, request); }));
    };
    const pump = (): void => {
      while (sentAt.size < options.outstanding && queue.length > 0) send(queue.shift()!);
      if (sentAt.size > 0 || queue.length > 0 || waitingForEvents > 0) return;
      if (phaseIndex >= 0) {
        const phase = phases[phaseIndex]!;
        const measured = phase.phase === 'watch' ? eventHistogram : histogram;
        results.push({ phase: phase.phase, errors, opsPerSecond: (options.keys * 1000) / (performance.now() - phaseStarted), latencyUs: summarize(measured) });
        if (phase.phase === 'watch' && !changesQueued) {
          // Watches are set: now change every node and wait for the events.
          phaseStarted = performance.now();
          waitingForEvents = options.keys;
          changesQueued = true;
          results.pop();
          for (const { path } of phase.requests as Array<{ path: string }>) {
            queue.push({ type: OpCode.setData, path, data: value, version: -1 });
          }
          pump();
          return;
        }
      }
      phaseIndex++;
      if (phaseIndex >= phases.length) {
        socket.destroy();
        resolve(results);
        return;
      }
      histogram = newHistogram();
      eventHistogram = newHistogram();
      errors = 0;
      queue = [...phases[phaseIndex]!.requests];
      phaseStarted = performance.now();
      pump();
    };
    socket.on('error', reject);
    let handshaken = false;
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, (payload) => {
      if (!handshaken) {
        handshaken = true;
        queue = [{ type: OpCode.create, path: root, data: Buffer.alloc(0), acl: open, flags: 0 }];
        pump();
        return;
      }
      const reader = new JuteReader(payload);
      const header = readReplyHeader(reader);
      if (header.xid === SpecialXid.notification) {
        const path = readWatcherEvent(reader).path;
        const started = changedAt.get(path);
        if (started !== undefined) {
          eventHistogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
          changedAt.delete(path);
          waitingForEvents--;
        }
        pump();
        return;
      }
      const started = sentAt.get(header.xid);
      sentAt.delete(header.xid);
      if (started !== undefined && phaseIndex >= 0) histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
      if (header.err !== 0 && phaseIndex >= 0 && !(phases[phaseIndex]!.phase === 'watch')) errors++;
      pump();
    }));
    socket.write(encodeFrame((writer) => writeConnectRequest(writer, {
      protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false,
    })));
  });
}
