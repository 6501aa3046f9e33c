// Server-to-server records of ZooKeeper's quorum protocol: QuorumPacket and its type codes (as in
// Leader.java), LearnerInfo (zookeeper.jute), the small int payloads of LEADERINFO and ACKEPOCH
// (Learner.java), and the FastLeaderElection notification layout (FastLeaderElection.buildMsg).
//
// Layouts:
//   QuorumPacket  = int type, long zxid, buffer data, vector<Id> authinfo
//   LearnerInfo   = long serverid, int protocolVersion, long configVersion
//   Notification  = int state, long leader, long zxid, long electionEpoch, long peerEpoch,
//                   int version, int configLength, byte[configLength] config
//   Older peers send 28 bytes (no peerEpoch: it is the epoch of zxid) or 40 bytes (no config).

import { JuteReader, JuteWriter, JuteDecodeError } from './jute.js';
import { readId, writeId, type Id } from './data.js';

/** QuorumPacket.type codes (Leader.java). */
export const QuorumPacketType = {
  request: 1,
  proposal: 2,
  ack: 3,
  commit: 4,
  ping: 5,
  revalidate: 6,
  sync: 7,
  inform: 8,
  commitAndActivate: 9,
  newLeader: 10,
  followerInfo: 11,
  upToDate: 12,
  diff: 13,
  trunc: 14,
  snap: 15,
  observerInfo: 16,
  leaderInfo: 17,
  ackEpoch: 18,
  informAndActivate: 19,
} as const;
export type QuorumPacketType = (typeof QuorumPacketType)[keyof typeof QuorumPacketType];

export interface QuorumPacket {
  type: number;
  zxid: number;
  data: Uint8Array | null;
  authinfo: Id[] | null;
}

/** The learner protocol version ZooKeeper 3.4+ sends in FOLLOWERINFO and LEADERINFO (0x10000). */
export const quorumProtocolVersion = 0x10000;

/** QuorumPeer.ServerState ordinals, as carried in election notifications. */
export const ServerState = { looking: 0, following: 1, leading: 2, observing: 3 } as const;
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

export function writeQuorumPacket(writer: JuteWriter, packet: QuorumPacket): void {
  writer.int(packet.type).long(packet.zxid).buffer(packet.data);
  writer.vector(packet.authinfo, writeId);
}

export function readQuorumPacket(reader: JuteReader): QuorumPacket {
  return { type: reader.int(), zxid: reader.long(), data: reader.buffer(), authinfo: reader.vector(readId) };
}

export interface LearnerInfo {
  serverId: number;
  protocolVersion: number;
  configVersion: number;
}

export function encodeLearnerInfo(info: LearnerInfo): Buffer {
  return new JuteWriter(20).long(info.serverId).int(info.protocolVersion).long(info.configVersion).toBuffer();
}

export function decodeLearnerInfo(bytes: Uint8Array): LearnerInfo {
  const reader = new JuteReader(bytes);
  const serverId = reader.long();
  const protocolVersion = reader.remaining >= 4 ? reader.int() : 0;
  const configVersion = reader.remaining >= 8 ? reader.long() : 0;
  return { serverId, protocolVersion, configVersion };
}

/** LEADERINFO carries the protocol version, ACKEPOCH the follower's currentEpoch (-1: epoch already accepted). */
export function encodeIntPayload(value: number): Buffer {
  return new JuteWriter(4).int(value).toBuffer();
}

export function decodeIntPayload(bytes: Uint8Array | null): number {
  if (bytes === null || bytes.length < 4) throw new JuteDecodeError('quorum packet payload: expected a 4-byte int');
  return new JuteReader(bytes).int();
}

/** The notification format version Meerkat writes (FastLeaderElection.Notification.CURRENTVERSION). */
/**
 * The data of a Meerkat leader's PING: its tree digest at the zxid it has applied, in the layout of
 * ZooKeeper's ZxidDigest record (snapshots): long zxid, int digest version, long digest. ZooKeeper
 * learners ignore a leader PING's data (Learner.ping answers with its own), so this stays inside
 * ZooKeeper's wire format; Meerkat learners compare it with their own digest at that zxid (docs/zab.md).
 */
export interface ZxidDigest {
  zxid: number;
  version: number;
  /** The tree digest, unsigned 64 bits. */
  digest: bigint;
}

export const zxidDigestBytes = 20;

export function encodeZxidDigest(value: ZxidDigest): Buffer {
  return new JuteWriter(zxidDigestBytes).long(value.zxid).int(value.version).bigLong(BigInt.asIntN(64, value.digest)).toBuffer();
}

/** A PING's ZxidDigest, or null when its data is anything else (no data, or a session report). */
export function decodeZxidDigest(bytes: Uint8Array | null): ZxidDigest | null {
  if (bytes === null || bytes.length !== zxidDigestBytes) return null;
  const reader = new JuteReader(bytes);
  const zxid = reader.long();
  const version = reader.int();
  return { zxid, version, digest: BigInt.asUintN(64, reader.bigLong()) };
}

export const notificationVersion = 2;

export interface Notification {
  state: ServerState;
  /** Proposed (or, when not looking, followed) leader's server id. */
  leader: number;
  /** Proposed leader's last zxid. */
  zxid: number;
  /** Round of the election (ZooKeeper's logicalclock). */
  electionEpoch: number;
  /** Proposed leader's currentEpoch. */
  peerEpoch: number;
  version: number;
  /** The sender's quorum configuration text (dynamic reconfiguration); empty when not used. */
  config: Uint8Array;
}

export function encodeNotification(notification: Notification): Buffer {
  const writer = new JuteWriter(44 + notification.config.length);
  writer.int(notification.state).long(notification.leader).long(notification.zxid);
  writer.long(notification.electionEpoch).long(notification.peerEpoch).int(notification.version);
  writer.int(notification.config.length).raw(notification.config);
  return writer.toBuffer();
}

const notificationBytesMin = 28;
const notificationBytesWithPeerEpoch = 36;

export function decodeNotification(bytes: Uint8Array): Notification {
  if (bytes.length < notificationBytesMin) {
    throw new JuteDecodeError(`election notification too short: ${bytes.length} bytes`);
  }
  const reader = new JuteReader(bytes);
  const state = reader.int();
  if (state < ServerState.looking || state > ServerState.observing) {
    throw new JuteDecodeError(`election notification: unknown server state ${state}`);
  }
  const leader = reader.long();
  const zxid = reader.long();
  const electionEpoch = reader.long();
  // Pre-3.4 peers omit peerEpoch; ZooKeeper then takes it from the zxid's epoch.
  const peerEpoch = bytes.length >= notificationBytesWithPeerEpoch ? reader.long() : Math.floor(zxid / 2 ** 32);
  const version = reader.remaining >= 4 ? reader.int() : 0;
  let config: Uint8Array = new Uint8Array(0);
  if (version > 1 && reader.remaining >= 4) {
    const length = reader.int();
    if (length < 0 || length > reader.remaining) throw new JuteDecodeError(`election notification: bad config length ${length}`);
    config = bytes.subarray(reader.position, reader.position + length);
  }
  return { state: state as ServerState, leader, zxid, electionEpoch, peerEpoch, version, config };
}
