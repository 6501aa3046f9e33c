// What the simulated network carries between servers: bytes, in ZooKeeper 3.8's formats, through
// the product's codecs (proto/election-wire.ts, proto/quorum-stream.ts). Notifications go on the
// election connection as length-prefixed frames; QuorumPackets on the quorum connection back to
// back, a SNAP followed by its snapshot stream. Each connection direction has its own decoder for
// its lifetime, and the bytes of one message may arrive in several pieces (torn frames), so the
// decoders' reassembly is in the model.

import { createHash } from 'node:crypto';
import {
  ElectionStreamDecoder, QuorumStreamDecoder, decodeNotification, encodeElectionFrame, encodeNotification, encodeQuorumStream,
} from '../src/proto/index.js';
import type { ZabMessage } from '../src/zab/index.js';

export type ConnectionKind = 'election' | 'quorum';

export function connectionKindOf(message: ZabMessage): ConnectionKind {
  return message.kind === 'notification' ? 'election' : 'quorum';
}

export function encodeMessage(message: ZabMessage): Buffer {
  if (message.kind === 'notification') return encodeElectionFrame(encodeNotification(message.notification));
  return Buffer.concat(encodeQuorumStream([message.packet]));
}

/** The receiving end of one direction of one connection. */
export class WireDecoder {
  private readonly election = new ElectionStreamDecoder({ expectInitialMessage: false });
  // Only a leader sends SNAP, so a stream from a learner never has one: reading SNAP's stream is harmless.
  private readonly quorum = new QuorumStreamDecoder({ snapshotsFollowSnap: true });

  constructor(readonly kind: ConnectionKind) {}

  /** The messages completed by this piece of bytes, in order. */
  push(piece: Uint8Array): ZabMessage[] {
    if (this.kind === 'quorum') return this.quorum.push(piece).map((packet) => ({ kind: 'packet', packet }));
    const messages: ZabMessage[] = [];
    for (const event of this.election.push(piece)) {
      if (event.kind === 'frame') messages.push({ kind: 'notification', notification: decodeNotification(event.body) });
    }
    return messages;
  }
}

/** Cuts a message's bytes into 1 to 3 pieces at random points. */
export function pieces(bytes: Buffer, random: { int(min: number, max: number): number }): Buffer[] {
  const count = bytes.length < 2 ? 1 : random.int(1, 3);
  const cuts = new Set<number>();
  for (let i = 1; i < count; i++) cuts.add(random.int(1, bytes.length - 1));
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const result: Buffer[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) result.push(bytes.subarray(sorted[i], sorted[i + 1]));
  return result;
}

/**
 * A SNAP's identity for the checkers' side table (the bytes that arrive are a copy). The zxid is part
 * of it: a body holds no zxid, and txns that change nothing (a sync's no-op, an error txn) leave two
 * SNAPs of different zxids with the same bytes.
 */
export function snapshotKey(zxid: number, body: Uint8Array): string {
  return `${zxid}:${createHash('sha1').update(body).digest('hex')}`;
}
