// Fuzz target of the connect handshake, server side, over real sockets: a Meerkat server on
// 127.0.0.1 gets one fuzzed handshake per run on a fresh connection, written in random chunks — a
// connect request with hostile fields (session ids, passwords, timeouts, zxids from the future),
// mutated or not, in a correct frame; or raw bytes, after which the client half-closes.
//
// Each must be answered (a decodable ConnectResponse) or closed by the server with a log line; raw
// bytes may also end with the client's own close. Never a crash (an uncaught exception fails the
// run), never silence on a complete frame, and a bystander session is served after every run.

import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { isFourLetterWord } from '../../src/admin/index.js';
import { type ConnectRequest, JuteReader, JuteWriter, readConnectResponse, writeConnectRequest } from '../../src/proto/index.js';
import { bytes, int32, int64, safeLong } from './arbitraries.js';
import { answerTimeoutMs, openFuzzServer } from './fuzz-server.js';
import { cuts, mutate, mutations, split } from './mutations.js';
import type { FuzzTarget } from './target.js';

type Exchange = { received: Buffer; outcome: 'answered' | 'closed' | 'silent' };

/** Connects, writes `chunks` one per turn, optionally half-closes, and waits for a frame or the close. */
function exchange(port: number, chunks: readonly Buffer[], halfClose: boolean): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const finish = (outcome: Exchange['outcome']): void => {
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve({ received, outcome });
    };
    const timer = setTimeout(() => finish('silent'), answerTimeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => finish('closed'));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) finish('answered');
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        await nextTurn();
      }
      if (halfClose && !socket.destroyed) socket.end();
    });
  });
}

const frameOf = (body: Uint8Array): Buffer => new JuteWriter(body.length + 4).int(body.length).raw(body).toBuffer();

function handshakeInput(bystanderSession: bigint): fc.Arbitrary<{ bytes: Buffer; raw: boolean; points: number[] }> {
  const request: fc.Arbitrary<ConnectRequest> = fc.record({
    protocolVersion: fc.oneof(fc.constant(0), int32),
    lastZxidSeen: fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 1000 }), safeLong),
    timeOut: fc.oneof(fc.constantFrom(30_000, 0, -1, 2 ** 31 - 1), int32),
    sessionId: fc.oneof(fc.constantFrom(0n, bystanderSession, -1n), int64),
    passwd: fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), bytes),
    readOnly: fc.option(fc.boolean(), { nil: undefined }),
  });
  const encoded = request.map((fields) => {
    const writer = new JuteWriter(64);
    writeConnectRequest(writer, fields);
    return writer.toBuffer();
  });
  return fc.oneof(
    fc.record({ bytes: encoded.map(frameOf), raw: fc.constant(false), points: cuts }),
    fc.record({ bytes: fc.tuple(encoded, mutations).map(([body, changes]) => frameOf(mutate(body, changes))), raw: fc.constant(false), points: cuts }),
    fc.record({ bytes: fc.tuple(encoded.map(frameOf), mutations).map(([frame, changes]) => mutate(frame, changes)), raw: fc.constant(true), points: cuts }),
    fc.record({ bytes: bytes.map((random) => Buffer.from(random)), raw: fc.constant(true), points: cuts }),
  );
}

function checkAnswer(received: Buffer, sent: Buffer): void {
  if (sent.length >= 4 && isFourLetterWord(sent.subarray(0, 4).toString('latin1'))) return;
  const reader = new JuteReader(received, 4, 4 + received.readInt32BE(0));
  const response = readConnectResponse(reader);
  assert.equal(reader.remaining, 0, 'bytes after the ConnectResponse');
  assert.ok(response.timeOut >= 0, `negotiated timeout ${response.timeOut}`);
}

export const handshakeTarget: FuzzTarget = {
  name: 'handshake',
  claim: 'a fuzzed connect handshake over a real socket is answered or closed with a log line; a bystander keeps being served',
  ciRuns: 1000,
  async open() {
    const server = await openFuzzServer();
    const property = fc.asyncProperty(handshakeInput(server.bystanderSession), async (input) => {
      const linesBefore = server.logLines;
      const { received, outcome } = await exchange(server.port, split(input.bytes, input.points), input.raw);
      await server.checkHealthy();
      if (outcome === 'answered') checkAnswer(received, input.bytes);
      else if (!input.raw) {
        assert.equal(outcome, 'closed', 'no answer and no close within 3 s to a complete connect frame');
        assert.ok(server.logLines > linesBefore, 'the server closed the connection without a log line');
      }
    });
    return { property, close: () => server.close() };
  },
};
