// Fuzz target of the request path after a good handshake, over real sockets: each run opens a
// session and sends a few request frames — valid random requests (on paths that exist or might),
// mutated encodings of them, or random bodies under any OpCode. The server must answer every frame
// or close the connection with a log line; it must not crash, and a bystander session is served
// after every run.

import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import fc from 'fast-check';
import {
  FrameDecoder, JuteReader, JuteWriter, type Request, SpecialXid, readReplyHeader, writeConnectRequest, writeRequest, writeRequestHeader,
} from '../../src/proto/index.js';
import { bytes, opCode, request } from './arbitraries.js';
import { answerTimeoutMs, openFuzzServer } from './fuzz-server.js';
import { type Mutation, mutate, mutations } from './mutations.js';
import type { FuzzTarget } from './target.js';

const frameOf = (body: Uint8Array): Buffer => new JuteWriter(body.length + 4).int(body.length).raw(body).toBuffer();

const paths = ['/', '/a', '/a/b', '/a/b/c', '/zookeeper', '/zookeeper/quota', '/zookeeper/config', '/a/', 'a', '//', '/a\u0000'];

/** `value` with every `path` (and multi op path) replaced by `pick` in turn, for requests that reach the tree. */
function onKnownPaths(value: Request, pick: () => string): Request {
  const copy = { ...value } as Record<string, unknown>;
  if (typeof copy['path'] === 'string') copy['path'] = pick();
  if (Array.isArray(copy['ops'])) copy['ops'] = (copy['ops'] as Request[]).map((op) => onKnownPaths(op, pick));
  return copy as unknown as Request;
}

const knownPathRequest = fc.tuple(request, fc.array(fc.constantFrom(...paths), { minLength: 1, maxLength: 6 })).map(([value, choices]) => {
  let next = 0;
  return onKnownPaths(value, () => choices[next++ % choices.length]!);
});

type FrameBody = { kind: 'record'; value: Request; changes: Mutation[] | null } | { kind: 'raw'; type: number; body: Uint8Array };

const frameBody: fc.Arbitrary<FrameBody> = fc.oneof(
  { arbitrary: knownPathRequest.map((value) => ({ kind: 'record' as const, value, changes: null })), weight: 4 },
  fc.tuple(knownPathRequest, mutations).map(([value, changes]) => ({ kind: 'record' as const, value, changes })),
  fc.tuple(opCode, bytes).map(([type, body]) => ({ kind: 'raw' as const, type, body })),
);

/** The frame's payload: RequestHeader{xid, type} and the body. Only the body is mutated (a damaged xid is another test). */
function payload(frame: FrameBody, xid: number): Buffer {
  const writer = new JuteWriter(64);
  if (frame.kind === 'raw') return writer.int(xid).int(frame.type).raw(frame.body).toBuffer();
  writeRequestHeader(writer, { xid, type: frame.value.type });
  const headerBytes = writer.position;
  writeRequest(writer, frame.value);
  const whole = writer.toBuffer();
  return frame.changes === null ? whole : Buffer.concat([whole.subarray(0, headerBytes), mutate(whole.subarray(headerBytes), frame.changes)]);
}

type Outcome = { replies: number; closed: boolean };

/** Handshakes, sends `frames`, and waits for a reply to each (notifications aside) or the close. */
function exchange(port: number, frames: readonly Buffer[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder();
    let handshaken = false;
    let replies = 0;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(() => reject(new Error(`${replies} of ${frames.length} answered, and no close, within ${answerTimeoutMs} ms`)), answerTimeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => {
      if (!handshaken) {
        handshaken = true;
        socket.write(Buffer.concat(frames.map(frameOf)));
        return;
      }
      if (readReplyHeader(new JuteReader(frame)).xid === SpecialXid.notification) return;
      if (++replies === frames.length) finish(false);
    }));
    const connect = new JuteWriter(64);
    writeConnectRequest(connect, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 4000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    socket.write(frameOf(connect.toBuffer()));
  });
}

export const requestTarget: FuzzTarget = {
  name: 'requests',
  claim: 'fuzzed request frames after a handshake are each answered, or the connection is closed with a log line; a bystander keeps being served',
  ciRuns: 500,
  async open() {
    const server = await openFuzzServer();
    const property = fc.asyncProperty(fc.array(frameBody, { minLength: 1, maxLength: 4 }), async (frames) => {
      const linesBefore = server.logLines;
      const outcome = await exchange(server.port, frames.map((frame, index) => payload(frame, index + 1)));
      await server.checkHealthy();
      if (outcome.closed) assert.ok(server.logLines > linesBefore, 'the server closed the connection without a log line');
    });
    return { property, close: () => server.close() };
  },
};
