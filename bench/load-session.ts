// One benchmark session: a TCP connection speaking the ZooKeeper protocol directly (src/proto), that
// keeps up to `outstanding` requests in flight (closed loop) or sends at a fixed rate (open loop),
// recording each reply's latency in the histogram of its operation. Bounded: it stops at the
// deadline or after `ops` requests, and every wait has a timeout.

import { connect, type Socket } from 'node:net';
import {
  FrameDecoder, JuteReader, OpCode, encodeFrame, type Request, SpecialXid, readReplyHeader, readResponse, writeConnectRequest,
  writeRequest, writeRequestHeader,
} from '../src/proto/index.js';
import { type Histogram, newHistogram } from './histograms.js';
import { type OpLabel, WorkloadGenerator, type WorkloadOptions, intendedSendTimeMs, setupRequests } from './workload.js';

export interface SessionOptions extends WorkloadOptions {
  host: string;
  port: number;
  session: number;
  outstanding: number;
  /** Wall-clock (Date.now) deadline: worker threads each have their own performance.now() origin. */
  deadlineMs: number;
  /**
   * Wall-clock time until which the workload runs unmeasured (0: none): the first requests run
   * before the JIT has compiled the paths they take, and an open loop falls tens of milliseconds
   * behind its schedule there (measured: every request slower than 5 ms in a 20k/s run against a
   * canned-reply server came in its first 250 ms).
   */
  warmupUntilMs: number;
  /** Stop after this many measured requests (0: no limit). */
  ops: number;
  /** Open loop: requests per second for this session (0: closed loop). */
  ratePerSecond: number;
}

export interface SessionResult {
  histograms: Map<OpLabel, Histogram>;
  errors: number;
  ops: number;
}

interface InFlight {
  label: OpLabel;
  type: number;
  /** Intended (open loop) or actual (closed loop) send time, in ms from performance.now(). */
  startedMs: number;
  /** Sent in the measured phase (warm-up requests are not counted). */
  measured: boolean;
}


export function runSession(options: SessionOptions): Promise<SessionResult> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    const decoder = new FrameDecoder();
    const generator = new WorkloadGenerator(options.session, options);
    const histograms = new Map<OpLabel, Histogram>();
    const inFlight = new Map<number, InFlight>();
    const setup = setupRequests(options.session, options);
    let setupLeft = setup.length;
    let xid = 1;
    let sent = 0;
    let done = 0;
    let errors = 0;
    let phase: 'handshake' | 'setup' | 'warmup' | 'measure' | 'done' = 'handshake';
    let startMs = 0;
    let timer: NodeJS.Timeout | undefined;
    let warmupTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (phase === 'done') return;
      phase = 'done';
      if (timer !== undefined) clearTimeout(timer);
      if (warmupTimer !== undefined) clearTimeout(warmupTimer);
      socket.destroy();
      resolve({ histograms, errors, ops: done });
    };
    const send = (request: Request, entry: InFlight): void => {
      const id = xid++;
      inFlight.set(id, entry);
      socket.write(encodeFrame((writer) => {
        writeRequestHeader(writer, { xid: id, type: request.type });
        writeRequest(writer, request);
      }));
    };
    // The watch workload runs one request at a time, so each event follows the change that fired it.
    const outstanding = options.workload === 'watch' ? 1 : options.outstanding;
    let changeSentMs = 0;
    const measuring = (): boolean => phase === 'warmup' || (Date.now() < options.deadlineMs && (options.ops === 0 || sent < options.ops));
    const sendMeasured = (startedMs: number): void => {
      const { request, label } = generator.next();
      if (request.type === OpCode.setData) changeSentMs = performance.now();
      sent++;
      send(request, { label, type: request.type, startedMs, measured: phase === 'measure' });
    };
    const pump = (): void => {
      if (phase !== 'measure' && phase !== 'warmup') return;
      if (options.ratePerSecond === 0) {
        while (inFlight.size < outstanding && measuring()) sendMeasured(performance.now());
      } else {
        const now = performance.now();
        let due = intendedSendTimeMs(startMs, options.ratePerSecond, sent);
        while (due <= now && inFlight.size < outstanding && measuring()) {
          sendMeasured(due);
          due = intendedSendTimeMs(startMs, options.ratePerSecond, sent);
        }
        if (timer === undefined && measuring()) {
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, Math.max(0, due - now));
        }
      }
      if (inFlight.size === 0 && !measuring()) finish();
    };
    const startMeasuring = (): void => {
      phase = 'measure';
      startMs = performance.now();
      sent = 0;
      pump();
    };
    /** After setup: warm up first when there is time left for it, then measure. */
    const startLoad = (): void => {
      const warmupMs = options.warmupUntilMs - Date.now();
      if (warmupMs <= 0) return startMeasuring();
      phase = 'warmup';
      startMs = performance.now();
      warmupTimer = setTimeout(() => {
        warmupTimer = undefined;
        if (phase === 'warmup') startMeasuring();
      }, warmupMs);
      pump();
    };
    const record = (label: OpLabel, startedMs: number): void => {
      let histogram = histograms.get(label);
      if (histogram === undefined) histograms.set(label, (histogram = newHistogram()));
      histogram.recordValue(Math.max(1, Math.round((performance.now() - startedMs) * 1000)));
    };
    const onReply = (payload: Buffer): void => {
      const reader = new JuteReader(payload);
      const header = readReplyHeader(reader);
      if (header.xid === SpecialXid.notification) {
        if (phase === 'measure' && changeSentMs > 0) record('watch', changeSentMs);
        return;
      }
      const entry = inFlight.get(header.xid);
      if (entry === undefined) return;
      inFlight.delete(header.xid);
      if (phase === 'setup') {
        if (--setupLeft === 0) startLoad();
        return;
      }
      if (entry.measured) {
        record(entry.label, entry.startedMs);
        done++;
        if (header.err !== 0) errors++;
      }
      if (header.err === 0 && entry.type === OpCode.create) {
        const response = readResponse(reader, OpCode.create);
        if (response.type === OpCode.create) generator.remember(response.path);
      }
      pump();
    };

    socket.on('error', (error) => (phase === 'done' ? undefined : reject(error)));
    socket.on('close', () => finish());
    socket.on('data', (chunk: Buffer) => {
      // The requests sent in answer to one read go out in one write (as a ZooKeeper client's send
      // thread batches them): a syscall per request made the generator's own CPU the bottleneck.
      socket.cork();
      try {
        decoder.push(chunk, (payload) => {
          if (phase === 'handshake') {
            phase = 'setup';
            if (setup.length === 0) startLoad();
            for (const request of setup) send(request, { label: 'write', type: request.type, startedMs: 0, measured: false });
            return;
          }
          onReply(payload);
        });
      } catch (error) {
        reject(error as Error);
        socket.destroy();
      } finally {
        socket.uncork();
      }
    });
    socket.write(encodeFrame((writer) => writeConnectRequest(writer, {
      protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false,
    })));
  });
}
