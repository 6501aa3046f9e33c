import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ElectionProtocolVersion,
  ElectionStreamDecoder,
  ElectionWireError,
  encodeElectionFrame,
  encodeInitialMessage,
  parseAddressText,
  type ElectionEvent,
} from './election-wire.js';
import { decodeNotification, encodeNotification, ServerState, type Notification } from './quorum.js';
import { splitAt } from './chunk-split.js';

const vote: Notification = {
  state: ServerState.looking,
  leader: 3,
  zxid: 0x2_0000_0007,
  electionEpoch: 5,
  peerEpoch: 2,
  version: 2,
  config: Buffer.from('server.1=127.0.0.1:2888:3888:participant\nversion=0'),
};

/** What a dialler sends: its initial message, then two notifications. */
const stream = Buffer.concat([
  encodeInitialMessage({ serverId: 7, addresses: [{ host: '127.0.0.1', port: 3888 }] }),
  encodeElectionFrame(encodeNotification(vote)),
  encodeElectionFrame(encodeNotification({ ...vote, state: ServerState.following, electionEpoch: 6 })),
]);

function describeEvents(events: ElectionEvent[]): unknown[] {
  return events.map((event) => (event.kind === 'initial' ? event : { kind: 'frame', notification: decodeNotification(event.body) }));
}

function decodeInChunks(chunks: Buffer[]): unknown[] {
  const decoder = new ElectionStreamDecoder({ expectInitialMessage: true });
  return describeEvents(chunks.flatMap((chunk) => decoder.push(chunk)));
}

describe('election initial message', () => {
  it('is laid out as QuorumCnxManager.startConnection writes it (V1)', () => {
    const bytes = encodeInitialMessage({ serverId: 2, addresses: [{ host: '10.0.0.2', port: 3888 }, { host: 'h', port: 1 }] });
    const text = Buffer.from('10.0.0.2:3888');
    const expected = Buffer.alloc(20 + text.length);
    expected.writeBigInt64BE(-65536n, 0);
    expected.writeBigInt64BE(2n, 8);
    expected.writeInt32BE(text.length, 16);
    text.copy(expected, 20);
    assert.deepEqual(bytes, expected);
  });

  it('joins every address with "|" in V2 and brackets IPv6 hosts', () => {
    const bytes = encodeInitialMessage({
      serverId: 2,
      addresses: [{ host: '10.0.0.2', port: 3888 }, { host: '::1', port: 3889 }],
      protocolVersion: ElectionProtocolVersion.v2,
    });
    assert.equal(bytes.toString('utf8', 20), '10.0.0.2:3888|[::1]:3889');
    const [event] = new ElectionStreamDecoder({ expectInitialMessage: true }).push(bytes);
    assert.deepEqual(event, {
      kind: 'initial',
      message: { protocolVersion: -65535, serverId: 2, addresses: [{ host: '10.0.0.2', port: 3888 }, { host: '::1', port: 3889 }] },
    });
  });

  it('accepts a pre-3.5 peer that sends only its id', () => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(4n);
    assert.deepEqual(new ElectionStreamDecoder({ expectInitialMessage: true }).push(bytes), [
      { kind: 'initial', message: { protocolVersion: null, serverId: 4, addresses: [] } },
    ]);
  });

  it('refuses an unknown protocol version, an address of bad length and a malformed address', () => {
    const bad = (mutate: (bytes: Buffer) => void): Buffer => {
      const bytes = encodeInitialMessage({ serverId: 2, addresses: [{ host: 'a', port: 1 }] });
      mutate(bytes);
      return bytes;
    };
    const decode = (bytes: Buffer) => () => new ElectionStreamDecoder({ expectInitialMessage: true }).push(bytes);
    assert.throws(decode(bad((b) => b.writeBigInt64BE(-3n, 0))), { code: 'bad-protocol-version' });
    assert.throws(decode(bad((b) => b.writeInt32BE(0, 16))), { code: 'bad-length' });
    assert.throws(decode(bad((b) => b.writeInt32BE(2049, 16))), { code: 'bad-length' });
    assert.throws(decode(bad((b) => b.write('a;1', 20))), ElectionWireError);
  });

  it('drops wildcard hosts from the address list, as ZooKeeper does', () => {
    assert.deepEqual(parseAddressText('0.0.0.0:3888|10.1.1.1:3888'), [{ host: '10.1.1.1', port: 3888 }]);
    assert.throws(() => parseAddressText('host:port'), { code: 'bad-address' });
  });
});

describe('ElectionStreamDecoder', () => {
  const expected = decodeInChunks([stream]);

  it('decodes the initial message and the notification frames after it', () => {
    assert.equal(expected.length, 3);
    assert.deepEqual(expected[0], { kind: 'initial', message: { protocolVersion: -65536, serverId: 7, addresses: [{ host: '127.0.0.1', port: 3888 }] } });
    assert.deepEqual(expected[1], { kind: 'frame', notification: vote });
  });

  it('decodes the same events when fed one byte at a time', () => {
    assert.deepEqual(decodeInChunks([...stream].map((byte) => Buffer.from([byte]))), expected);
  });

  it('decodes the same events for any split of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        assert.deepEqual(decodeInChunks(splitAt(stream, cuts)), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('holds only the incomplete tail between pushes', () => {
    const decoder = new ElectionStreamDecoder({ expectInitialMessage: false });
    const frame = encodeElectionFrame(Buffer.alloc(40, 1));
    assert.deepEqual(decoder.push(Buffer.concat([frame, frame.subarray(0, 10)])).length, 1);
    assert.equal(decoder.bufferedBytes, 10);
  });

  it('refuses a frame of length 0 or above 512 KiB (PACKETMAXSIZE)', () => {
    const header = Buffer.alloc(4);
    assert.throws(() => new ElectionStreamDecoder({ expectInitialMessage: false }).push(header), { code: 'bad-length' });
    header.writeInt32BE(512 * 1024 + 1);
    assert.throws(() => new ElectionStreamDecoder({ expectInitialMessage: false }).push(header), { code: 'bad-length' });
  });
});
