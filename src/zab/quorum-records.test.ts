import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  JuteReader, JuteWriter, QuorumPacketType, ServerState, decodeIntPayload, decodeLearnerInfo, decodeNotification,
  encodeIntPayload, encodeLearnerInfo, encodeNotification, notificationVersion, readQuorumPacket, writeQuorumPacket,
} from '../proto/index.js';

describe('QuorumPacket', () => {
  it('is int type, long zxid, buffer data, vector<Id> authinfo', () => {
    const packet = { type: QuorumPacketType.proposal, zxid: 0x5_0000_0007, data: new Uint8Array([9, 8]), authinfo: [{ scheme: 'ip', id: '127.0.0.1' }] };
    const writer = new JuteWriter();
    writeQuorumPacket(writer, packet);
    const bytes = writer.toBuffer();
    assert.deepEqual([...bytes.subarray(0, 18)], [0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 2, 9, 8]);
    const decoded = readQuorumPacket(new JuteReader(bytes));
    assert.deepEqual({ ...decoded, data: [...decoded.data!] }, { ...packet, data: [9, 8] });
  });

  it('keeps ZooKeeper type codes', () => {
    assert.deepEqual(
      [QuorumPacketType.newLeader, QuorumPacketType.followerInfo, QuorumPacketType.upToDate, QuorumPacketType.diff, QuorumPacketType.trunc,
        QuorumPacketType.snap, QuorumPacketType.leaderInfo, QuorumPacketType.ackEpoch, QuorumPacketType.ping],
      [10, 11, 12, 13, 14, 15, 17, 18, 5],
    );
  });
});

describe('LearnerInfo and int payloads', () => {
  it('round-trips serverid, protocolVersion and configVersion', () => {
    const info = { serverId: 3, protocolVersion: 0x10000, configVersion: 0x1_0000_0000 };
    assert.equal(encodeLearnerInfo(info).length, 20);
    assert.deepEqual(decodeLearnerInfo(encodeLearnerInfo(info)), info);
  });

  it('encodes the ACKEPOCH epoch as a 4-byte big-endian int', () => {
    assert.deepEqual([...encodeIntPayload(-1)], [255, 255, 255, 255]);
    assert.equal(decodeIntPayload(encodeIntPayload(7)), 7);
    assert.throws(() => decodeIntPayload(null));
  });
});

describe('election notification', () => {
  const notification = {
    state: ServerState.following, leader: 3, zxid: 0x2_0000_0010, electionEpoch: 4, peerEpoch: 2, version: notificationVersion,
    config: new TextEncoder().encode('server.1=a:1:2'),
  };

  it('is state, leader, zxid, electionEpoch, peerEpoch, version, config length and config', () => {
    const bytes = encodeNotification(notification);
    assert.equal(bytes.length, 44 + notification.config.length);
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 0, 1]);
    const decoded = decodeNotification(bytes);
    assert.deepEqual({ ...decoded, config: [...decoded.config] }, { ...notification, config: [...notification.config] });
  });

  it('reads the 28-byte pre-3.4 layout, taking peerEpoch from the zxid', () => {
    const old = encodeNotification(notification).subarray(0, 28);
    const decoded = decodeNotification(old);
    assert.equal(decoded.peerEpoch, 2);
    assert.equal(decoded.version, 0);
  });

  it('rejects a short or malformed notification', () => {
    assert.throws(() => decodeNotification(new Uint8Array(27)));
    const bad = encodeNotification(notification);
    bad.writeInt32BE(9, 0);
    assert.throws(() => decodeNotification(bad));
  });
});
