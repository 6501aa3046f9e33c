// Fuzz targets of src/proto: the incremental frame decoder and every record codec (jute.ts, data.ts,
// client.ts, client-requests.ts, client-responses.ts, txn.ts, and quorum.ts's packets and payloads).
//
// - frame-stream: frames cut into any chunks come out whole, in order, and nothing else does.
// - frame-garbage: any bytes in any chunks give the same frames and the same error as the bytes fed at
//   once; the only error is FrameTooLargeError, raised as soon as a bad length is complete, and the
//   decoder never holds more than one frame's worth of bytes.
// - record-round-trip: decode(encode(record)) equals the record and consumes every byte.
// - record-garbage: decoding random bytes, or a valid encoding mutated, returns a record or throws
//   JuteDecodeError (nothing else), and never builds more elements than there were bytes.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FrameDecoder, FrameTooLargeError, JuteDecodeError, JuteReader, JuteWriter, ServerState, decodeIntPayload, decodeLearnerInfo,
  decodeNotification, encodeLearnerInfo, encodeNotification, notificationVersion, readAcl, readConnectRequest,
  readConnectResponse, readQuorumPacket, readReplyHeader, readRequest, readRequestHeader, readResponse, readStat,
  readStatPersisted, readTxn, readTxnDigest, readTxnHeader, readWatcherEvent, writeAcl, writeConnectRequest,
  writeConnectResponse, writeQuorumPacket, writeReplyHeader, writeRequest, writeRequestHeader, writeResponse, writeStat,
  writeStatPersisted, writeTxn, writeTxnDigest, writeTxnHeader, writeWatcherEvent,
} from '../../src/proto/index.js';
import {
  acl, bytes, connectRequest, connectResponse, elementCount, int32, normalForm, opCode, request, response, safeLong, stat,
  statPersisted, text, txn, txnDigest, txnHeader,
} from './arbitraries.js';
import { cuts, mutate, mutations, split } from './mutations.js';
import { type FuzzTarget, pureTarget } from './target.js';

type FrameOutcome = { frames: string[]; error: string | null };

function decodeFrames(decoder: FrameDecoder, chunks: readonly Buffer[], maxFrameBytes: number): FrameOutcome {
  const frames: string[] = [];
  for (const chunk of chunks) {
    try {
      decoder.push(chunk, (frame) => void frames.push(frame.toString('hex')));
    } catch (error) {
      if (!(error instanceof FrameTooLargeError)) throw error;
      return { frames, error: error.message };
    }
    assert.ok(decoder.bufferedBytes <= maxFrameBytes + 4, `decoder holds ${decoder.bufferedBytes} bytes`);
  }
  return { frames, error: null };
}

const frameOf = (payload: Uint8Array): Buffer => new JuteWriter(payload.length + 4).int(payload.length).raw(payload).toBuffer();

const frameStream = pureTarget({
  name: 'frame-stream',
  claim: 'valid frames split into any chunks decode to exactly those frames',
  ciRuns: 2000,
  property: () => fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), cuts, (payloads, points) => {
    const stream = Buffer.concat(payloads.map(frameOf));
    const outcome = decodeFrames(new FrameDecoder(64), split(stream, points), 64);
    assert.deepEqual(outcome, { frames: payloads.map((payload) => Buffer.from(payload).toString('hex')), error: null });
  }),
});

/** A length prefix a hostile peer would send. */
const hostileLength = fc.oneof(
  fc.constantFrom(-1, -0x80000000, 0x7fffffff, 0, 65, 64, 63),
  int32,
).map((length) => new JuteWriter(4).int(length).toBuffer());

const frameGarbage = pureTarget({
  name: 'frame-garbage',
  claim: 'any bytes in any chunks decode as when fed at once; the only error is FrameTooLargeError',
  ciRuns: 2000,
  property: () => fc.property(
    fc.array(fc.oneof(fc.uint8Array({ maxLength: 70 }), hostileLength), { maxLength: 6 }), cuts,
    (parts, points) => {
      const stream = Buffer.concat(parts);
      const whole = decodeFrames(new FrameDecoder(64), [stream], 64);
      const chunked = decodeFrames(new FrameDecoder(64), split(stream, points), 64);
      assert.deepEqual(chunked, whole);
    },
  ),
});

/** A record family: its generator, encoder and decoder (the decoder may need the OpCode). */
interface Codec<T> {
  name: string;
  value: fc.Arbitrary<T>;
  write(writer: JuteWriter, value: T): void;
  read(reader: JuteReader, value: T): unknown;
}

function codec<T>(fields: Codec<T>): Codec<unknown> {
  return fields as Codec<unknown>;
}

const codecs: Array<Codec<unknown>> = [
  codec({ name: 'Acl', value: acl, write: writeAcl, read: readAcl }),
  codec({ name: 'Stat', value: stat, write: writeStat, read: readStat }),
  codec({ name: 'StatPersisted', value: statPersisted, write: writeStatPersisted, read: readStatPersisted }),
  codec({ name: 'ConnectRequest', value: connectRequest, write: writeConnectRequest, read: readConnectRequest }),
  codec({ name: 'ConnectResponse', value: connectResponse, write: writeConnectResponse, read: readConnectResponse }),
  codec({ name: 'RequestHeader', value: fc.record({ xid: int32, type: int32 }), write: writeRequestHeader, read: readRequestHeader }),
  codec({ name: 'ReplyHeader', value: fc.record({ xid: int32, zxid: safeLong, err: int32 }), write: writeReplyHeader, read: readReplyHeader }),
  codec({ name: 'WatcherEvent', value: fc.record({ type: int32, state: int32, path: text }), write: writeWatcherEvent, read: readWatcherEvent }),
  codec({ name: 'Request', value: request, write: writeRequest, read: (reader, value) => readRequest(reader, value.type) }),
  codec({ name: 'Response', value: response, write: writeResponse, read: (reader, value) => readResponse(reader, value.type) }),
  codec({ name: 'Txn', value: txn, write: writeTxn, read: (reader, value) => readTxn(reader, value.type) }),
  codec({ name: 'TxnHeader', value: opCode.chain(txnHeader), write: writeTxnHeader, read: readTxnHeader }),
  codec({ name: 'TxnDigest', value: txnDigest, write: writeTxnDigest, read: readTxnDigest }),
  codec({
    name: 'QuorumPacket',
    value: fc.record({ type: int32, zxid: safeLong, data: fc.option(bytes, { nil: null }), authinfo: fc.option(fc.array(acl.map((entry) => entry.id), { maxLength: 3 }), { nil: null }) }),
    write: writeQuorumPacket, read: readQuorumPacket,
  }),
];

/** Quorum records whose codecs take whole payloads (LearnerInfo and notifications have optional tails). */
const payloadCodecs: Array<{ name: string; value: fc.Arbitrary<never>; encode(value: never): Buffer; decode(bytes: Uint8Array): unknown }> = [
  {
    name: 'LearnerInfo', value: fc.record({ serverId: safeLong, protocolVersion: int32, configVersion: safeLong }) as fc.Arbitrary<never>,
    encode: encodeLearnerInfo, decode: decodeLearnerInfo,
  },
  {
    name: 'Notification',
    value: fc.record({
      state: fc.constantFrom(...Object.values(ServerState)), leader: safeLong, zxid: safeLong, electionEpoch: safeLong,
      peerEpoch: safeLong, version: fc.constant(notificationVersion), config: bytes,
    }) as fc.Arbitrary<never>,
    encode: encodeNotification, decode: decodeNotification,
  },
];

const namedRecord = fc.oneof(...codecs.map((family) => family.value.map((value) => ({ family: family.name, value }))));
const codecNamed = new Map(codecs.map((family) => [family.name, family]));

const payloadRoundTrip = pureTarget({
  name: 'quorum-payload-round-trip',
  claim: 'LearnerInfo and election notifications decode to what was encoded',
  ciRuns: 1000,
  property: () => fc.property(fc.oneof(...payloadCodecs.map((family) => family.value.map((value) => ({ family, value })))), ({ family, value }) => {
    assert.deepEqual(normalForm(family.decode(family.encode(value))), normalForm(value));
  }),
});

const recordRoundTrip = pureTarget({
  name: 'record-round-trip',
  claim: 'every client and txn record decodes to what was encoded, consuming every byte',
  ciRuns: 3000,
  property: () => fc.property(namedRecord, ({ family, value }) => {
    const chosen = codecNamed.get(family)!;
    const writer = new JuteWriter(16);
    chosen.write(writer, value);
    const encoded = writer.toBuffer();
    const reader = new JuteReader(encoded);
    assert.deepEqual(normalForm(chosen.read(reader, value)), normalForm(value));
    assert.equal(reader.remaining, 0, `${reader.remaining} bytes left after ${family}`);
  }),
});

/** Decoders as the server, the client and the quorum peers call them: by family, bodies by OpCode. */
const decoders: Array<{ name: string; read: (input: Uint8Array, type: number) => unknown }> = [
  ...codecs.filter((family) => !['Request', 'Response', 'Txn'].includes(family.name))
    .map((family) => ({ name: family.name, read: (input: Uint8Array) => family.read(new JuteReader(input), undefined) })),
  { name: 'Request', read: (input, type) => readRequest(new JuteReader(input), type) },
  { name: 'Response', read: (input, type) => readResponse(new JuteReader(input), type) },
  { name: 'Txn', read: (input, type) => readTxn(new JuteReader(input), type) },
  { name: 'IntPayload', read: decodeIntPayload },
  ...payloadCodecs.map((family) => ({ name: family.name, read: family.decode })),
];

/** Decodes `input` and checks the outcome: a record no larger than its bytes, or JuteDecodeError. */
function decodeChecked(read: (input: Uint8Array, type: number) => unknown, input: Uint8Array, type: number): void {
  let decoded: unknown;
  try {
    decoded = read(input, type);
  } catch (error) {
    if (error instanceof JuteDecodeError) return;
    throw error;
  }
  const elements = elementCount(decoded);
  assert.ok(elements <= input.length, `${elements} elements decoded from ${input.length} bytes`);
}

/** Bytes to decode: random, or a valid encoding of a record mutated. */
const hostileInput = fc.oneof(
  fc.record({ type: opCode, input: bytes }),
  fc.tuple(namedRecord, mutations).map(([{ family, value }, changes]) => {
    const writer = new JuteWriter(16);
    codecNamed.get(family)!.write(writer, value);
    const type = (value as { type?: unknown }).type;
    return { type: typeof type === 'number' ? type : 0, input: mutate(writer.toBuffer(), changes) };
  }),
);

const recordGarbage = pureTarget({
  name: 'record-garbage',
  claim: 'decoding random or mutated bytes yields a record or JuteDecodeError, never another exception',
  ciRuns: 5000,
  property: () => fc.property(fc.constantFrom(...decoders), hostileInput, (decoder, { type, input }) => {
    decodeChecked(decoder.read, input, type);
  }),
});

export const protoTargets: FuzzTarget[] = [frameStream, frameGarbage, recordRoundTrip, payloadRoundTrip, recordGarbage];
