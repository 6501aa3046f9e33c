import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeAclList, writeId } from './data.js';
import { JuteWriter } from './jute.js';
import { encodeLearnerInfo, QuorumPacketType, type QuorumPacket } from './quorum.js';
import { encodeQuorumStream, QuorumStreamDecoder, QuorumStreamError } from './quorum-stream.js';
import { splitAt } from './chunk-split.js';

/** A snapshot body in SerializeUtils.serializeSnapshot's layout: sessions, ACL map, nodes, "/". */
function snapshotBody(options: { sessions: number; nodes: string[] }): Buffer {
  const writer = new JuteWriter(1024);
  writer.int(options.sessions);
  for (let i = 0; i < options.sessions; i++) writer.bigLong(0x1000_0000_0000_0000n + BigInt(i)).int(30_000);
  writer.int(2);
  writer.long(1);
  writeAclList(writer, [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }, { perms: 1, id: { scheme: 'digest', id: 'u:p' } }]);
  writer.long(2);
  writeAclList(writer, []);
  for (const [index, path] of options.nodes.entries()) {
    writer.ustring(path).buffer(index % 2 === 0 ? Buffer.from(`data of ${path}`) : null).long(index % 3 === 0 ? -1 : 1);
    writer.long(index).long(index).long(1_700_000_000_000).long(1_700_000_000_000);
    writer.int(0).int(index).int(0).bigLong(index === 2 ? 0x1000_0000_0000_0001n : 0n).long(index);
  }
  writer.ustring('/');
  return writer.toBuffer();
}

const snapshot = snapshotBody({ sessions: 3, nodes: ['', '/zookeeper', '/zookeeper/quota', '/a', '/a/b'] });

/** A learner's view of a SNAP sync: LEADERINFO, SNAP + snapshot, NEWLEADER, a proposal, UPTODATE. */
const packets: QuorumPacket[] = [
  { type: QuorumPacketType.leaderInfo, zxid: 0x3_0000_0000, data: Buffer.from([0, 1, 0, 0]), authinfo: null },
  { type: QuorumPacketType.snap, zxid: 0x2_0000_0005, data: snapshot, authinfo: null },
  { type: QuorumPacketType.newLeader, zxid: 0x3_0000_0000, data: null, authinfo: null },
  { type: QuorumPacketType.proposal, zxid: 0x3_0000_0001, data: Buffer.alloc(3000, 9), authinfo: null },
  { type: QuorumPacketType.upToDate, zxid: -1, data: null, authinfo: [{ scheme: 'digest', id: 'u:p' }] },
  { type: QuorumPacketType.ping, zxid: 0x3_0000_0001, data: Buffer.alloc(0), authinfo: [] },
];
const stream = Buffer.concat(encodeQuorumStream(packets));

function normalize(decoded: QuorumPacket[]): unknown[] {
  return decoded.map((packet) => ({ ...packet, data: packet.data === null ? null : Buffer.from(packet.data).toString('hex') }));
}
const expected = normalize(packets);

function decodeInChunks(chunks: Uint8Array[]): unknown[] {
  const decoder = new QuorumStreamDecoder({ snapshotsFollowSnap: true });
  const decoded = chunks.flatMap((chunk) => decoder.push(chunk));
  assert.equal(decoder.bufferedBytes, 0);
  return normalize(decoded);
}

describe('quorum stream', () => {
  it('writes packets back to back with no length prefix, as BinaryOutputArchive.writeRecord', () => {
    const ping: QuorumPacket = { type: QuorumPacketType.ping, zxid: 0x1_0000_0002, data: Buffer.from([7]), authinfo: [{ scheme: 'ip', id: '1' }] };
    const [bytes] = encodeQuorumStream([ping]);
    const expectedBytes = new JuteWriter(64).int(5).long(0x1_0000_0002).buffer(Buffer.from([7])).int(1);
    writeId(expectedBytes, { scheme: 'ip', id: '1' });
    assert.deepEqual(bytes, expectedBytes.toBuffer());
  });

  it('writes SNAP as an empty packet, then the snapshot, then the "BenWasHere" signature (LearnerHandler)', () => {
    const bytes = Buffer.concat(encodeQuorumStream([packets[1]!]));
    const header = new JuteWriter(32).int(15).long(0x2_0000_0005).int(-1).int(-1).toBuffer();
    const signature = new JuteWriter(32).ustring('BenWasHere').toBuffer();
    assert.deepEqual(bytes, Buffer.concat([header, snapshot, signature]));
  });

  it('decodes a whole stream, SNAP carrying the snapshot as its data', () => {
    assert.deepEqual(decodeInChunks([stream]), expected);
  });

  it('decodes the same packets when fed one byte at a time', () => {
    assert.deepEqual(decodeInChunks([...stream].map((byte) => Uint8Array.of(byte))), expected);
  });

  it('decodes the same packets for any split of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
        assert.deepEqual(decodeInChunks(splitAt(stream, cuts)), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a snapshot with many sessions and no nodes but the root in random splits', () => {
    const big = snapshotBody({ sessions: 500, nodes: [''] });
    const bytes = Buffer.concat(encodeQuorumStream([{ type: QuorumPacketType.snap, zxid: 9, data: big, authinfo: null }]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const [packet] = decodeInChunks(splitAt(bytes, cuts)) as Array<{ data: string }>;
        assert.equal(packet!.data, big.toString('hex'));
      }),
      { numRuns: 50 },
    );
  });

  it('reports a SNAP from a learner as an ordinary packet on the leader side', () => {
    const bytes = Buffer.concat(encodeQuorumStream([
      { type: QuorumPacketType.followerInfo, zxid: 0, data: encodeLearnerInfo({ serverId: 2, protocolVersion: 0x10000, configVersion: 0 }), authinfo: null },
      { type: QuorumPacketType.snap, zxid: 1, data: null, authinfo: null },
    ]));
    const decoded = new QuorumStreamDecoder({ snapshotsFollowSnap: false }).push(bytes);
    assert.deepEqual(decoded.map((packet) => packet.type), [QuorumPacketType.followerInfo, QuorumPacketType.snap]);
  });

  it('hands each packet its own copy of its data', () => {
    const chunk = Buffer.concat(encodeQuorumStream([packets[3]!]));
    const [packet] = new QuorumStreamDecoder({ snapshotsFollowSnap: true }).push(chunk);
    chunk.fill(0);
    assert.deepEqual(packet!.data, Buffer.alloc(3000, 9));
  });

  it('refuses a wrong signature, a negative data length, an oversized field and a null ACL list', () => {
    const decode = (bytes: Buffer) => () => new QuorumStreamDecoder({ snapshotsFollowSnap: true }).push(bytes);
    const snap = Buffer.concat(encodeQuorumStream([packets[1]!]));
    const wrongSignature = Buffer.from(snap);
    wrongSignature.write('BenWasHerf', snap.length - 10);
    assert.throws(decode(wrongSignature), /missing signature/);
    assert.throws(decode(new JuteWriter(32).int(2).long(1).int(-2).toBuffer()), QuorumStreamError);
    assert.throws(decode(new JuteWriter(32).int(2).long(1).int(3 * 1024 * 1024).toBuffer()), QuorumStreamError);
    const nullAcls = new JuteWriter(64).int(15).long(1).int(-1).int(-1).int(0).int(1).long(1).int(-1).toBuffer();
    assert.throws(decode(nullAcls), /ACL list: bad count -1/);
  });

  it('refuses a zxid beyond 2^53 as a stream error', () => {
    const bytes = new JuteWriter(32).int(5).int(0x7fffffff).int(0).int(-1).int(-1).toBuffer();
    assert.throws(() => new QuorumStreamDecoder({ snapshotsFollowSnap: false }).push(bytes), QuorumStreamError);
  });
});
