// The election port's wire format, as ZooKeeper 3.8's QuorumCnxManager speaks it, sans-I/O.
//
// A connection starts with the dialling side's initial message, then carries length-prefixed
// notification frames both ways:
//
//   initial message (3.5+)  long protocolVersion   -65536 (V1: one address) or -65535 (V2, 3.6+
//                                                  multi-address: addresses joined by '|')
//                           long serverId          the dialler's myid
//                           int  addressLength     1..2048 (QuorumCnxManager.maxBuffer)
//                           byte[addressLength]    UTF-8 "host:port" of its election address,
//                                                  IPv6 as "[addr]:port"
//   initial message (<3.5)  long serverId          (≥ 0: ZooKeeper 3.8 still accepts it)
//   frame                   int  length            1..512 KiB (PACKETMAXSIZE); 0 is refused too
//                           byte[length]           a FastLeaderElection notification (quorum.ts)
//
// ZooKeeper 3.8 sends V1 unless multiAddress.enabled is set, so Meerkat writes V1. Wildcard
// addresses (0.0.0.0, ::) in the list are ignored, as ZooKeeper ignores them. Which connection
// survives between two servers is the socket layer's business (runtime/election-connections.ts).

import { electionAddressBytesMax, electionMessageBytesMax } from '../util/limits.js';
import { JuteWriter } from './jute.js';

/** Initial-message protocol versions (QuorumCnxManager.PROTOCOL_VERSION_V1 / _V2). */
export const ElectionProtocolVersion = { v1: -65536, v2: -65535 } as const;

export interface PeerAddress {
  host: string;
  port: number;
}

export interface InitialMessage {
  /** -65536, -65535, or null for a pre-3.5 peer that sent only its id. */
  protocolVersion: number | null;
  serverId: number;
  /** The dialler's election addresses; empty from a pre-3.5 peer. */
  addresses: PeerAddress[];
}

export class ElectionWireError extends Error {
  override name = 'ElectionWireError';
  constructor(readonly code: 'bad-protocol-version' | 'bad-address' | 'bad-length' | 'bad-server-id', message: string) {
    super(message);
  }
}

export function formatPeerAddress(address: PeerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Encodes the dialler's initial message; V1 (one address) unless told otherwise, as ZooKeeper. */
export function encodeInitialMessage(message: { serverId: number; addresses: readonly PeerAddress[]; protocolVersion?: number }): Buffer {
  const version = message.protocolVersion ?? ElectionProtocolVersion.v1;
  const addresses = version === ElectionProtocolVersion.v1 ? message.addresses.slice(0, 1) : message.addresses;
  const text = Buffer.from(addresses.map(formatPeerAddress).join('|'), 'utf8');
  if (text.length === 0 || text.length > electionAddressBytesMax) {
    throw new ElectionWireError('bad-address', `initial message: address text of ${text.length} bytes is outside [1, ${electionAddressBytesMax}]`);
  }
  return new JuteWriter(20 + text.length).long(version).long(message.serverId).int(text.length).raw(text).toBuffer();
}

const wildcardHosts = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** Parses "host:port|host:port" as ConfigUtils.getHostAndPort does, dropping wildcard hosts. */
export function parseAddressText(text: string): PeerAddress[] {
  const addresses: PeerAddress[] = [];
  for (const part of text.split('|')) {
    let host: string;
    let portText: string;
    if (part.startsWith('[')) {
      const close = part.indexOf(']');
      if (close < 0 || part[close + 1] !== ':') throw new ElectionWireError('bad-address', `badly formed address: ${part}`);
      host = part.slice(1, close);
      portText = part.slice(close + 2);
    } else {
      const pieces = part.split(':');
      if (pieces.length !== 2) throw new ElectionWireError('bad-address', `badly formed address: ${part}`);
      [host, portText] = pieces as [string, string];
    }
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new ElectionWireError('bad-address', `bad port number: ${portText}`);
    if (!wildcardHosts.has(host)) addresses.push({ host, port });
  }
  return addresses;
}

/** Encodes one notification frame: the length prefix and the body. */
export function encodeElectionFrame(body: Uint8Array): Buffer {
  if (body.length === 0 || body.length > electionMessageBytesMax) {
    throw new ElectionWireError('bad-length', `election frame of ${body.length} bytes is outside [1, ${electionMessageBytesMax}]`);
  }
  return new JuteWriter(4 + body.length).int(body.length).raw(body).toBuffer();
}

export type ElectionEvent = { kind: 'initial'; message: InitialMessage } | { kind: 'frame'; body: Buffer };

const twoTo32 = 0x1_0000_0000;

function readSafeLong(bytes: Buffer, at: number): number | null {
  const high = bytes.readInt32BE(at);
  const low = bytes.readUInt32BE(at + 4);
  if (high > 0x1fffff || high < -0x200000) return null;
  return high * twoTo32 + low;
}

/**
 * Decodes what arrives on one election connection: on the accepting side the initial message first
 * (`expectInitialMessage`), then notification frames. Feed chunks of any size; each push returns
 * the events completed by it, in order. A malformed stream throws ElectionWireError, after which the
 * connection must be closed (the decoder is then unusable).
 */
export class ElectionStreamDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private awaitingInitial: boolean;

  constructor(options: { expectInitialMessage: boolean }) {
    this.awaitingInitial = options.expectInitialMessage;
  }

  /** Bytes received but not yet part of a complete event. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array): ElectionEvent[] {
    let bytes = this.pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.pending, chunk]);
    const events: ElectionEvent[] = [];
    let offset = 0;
    for (;;) {
      const consumed = this.awaitingInitial ? this.initial(bytes, offset, events) : this.frame(bytes, offset, events);
      if (consumed === 0) break;
      offset += consumed;
    }
    bytes = bytes.subarray(offset);
    // Copy the remainder: the caller's chunk may be reused, and a large read must not be retained.
    this.pending = Buffer.from(bytes);
    return events;
  }

  /** Bytes of the initial message at `offset`, 0 when incomplete. */
  private initial(bytes: Buffer, offset: number, events: ElectionEvent[]): number {
    if (bytes.length - offset < 8) return 0;
    const first = readSafeLong(bytes, offset);
    if (first !== null && first >= 0) {
      this.awaitingInitial = false;
      events.push({ kind: 'initial', message: { protocolVersion: null, serverId: first, addresses: [] } });
      return 8;
    }
    if (first !== ElectionProtocolVersion.v1 && first !== ElectionProtocolVersion.v2) {
      throw new ElectionWireError('bad-protocol-version', `initial message: unrecognized protocol version ${bytes.readBigInt64BE(offset)}`);
    }
    if (bytes.length - offset < 20) return 0;
    const serverId = readSafeLong(bytes, offset + 8);
    if (serverId === null || serverId < 0) {
      throw new ElectionWireError('bad-server-id', `initial message: server id ${bytes.readBigInt64BE(offset + 8)} is not a usable id`);
    }
    const length = bytes.readInt32BE(offset + 16);
    if (length <= 0 || length > electionAddressBytesMax) {
      throw new ElectionWireError('bad-length', `initial message: unreasonable address length ${length}`);
    }
    if (bytes.length - offset - 20 < length) return 0;
    const addresses = parseAddressText(bytes.toString('utf8', offset + 20, offset + 20 + length));
    this.awaitingInitial = false;
    events.push({ kind: 'initial', message: { protocolVersion: first, serverId, addresses } });
    return 20 + length;
  }

  /** Bytes of the frame at `offset`, 0 when incomplete. */
  private frame(bytes: Buffer, offset: number, events: ElectionEvent[]): number {
    if (bytes.length - offset < 4) return 0;
    const length = bytes.readInt32BE(offset);
    if (length <= 0 || length > electionMessageBytesMax) {
      throw new ElectionWireError('bad-length', `election frame: invalid length ${length}`);
    }
    if (bytes.length - offset - 4 < length) return 0;
    events.push({ kind: 'frame', body: Buffer.from(bytes.subarray(offset + 4, offset + 4 + length)) });
    return 4 + length;
  }
}
