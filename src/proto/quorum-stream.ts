// The quorum port's byte stream (leader ↔ learner), as ZooKeeper 3.8 writes it, sans-I/O.
//
// Both sides wrap the socket in a BufferedOutputStream and write each QuorumPacket with
// BinaryOutputArchive.writeRecord: the jute record and nothing else. There is NO length prefix
// (unlike the client port and the election port), so a reader must decode the record itself to
// find where it ends:
//
//   QuorumPacket   int type, long zxid, buffer data (int length, -1 = null), vector<Id> authinfo
//                  (int count, -1 = null; Id = ustring scheme, ustring id)
//
// SNAP is the one exception to "packets back to back". LearnerHandler.syncFollower writes
// QuorumPacket(SNAP, zxid, null, null), then ZKDatabase.serializeSnapshot (SerializeUtils) straight
// onto the same archive, then the string "BenWasHere"; Learner.syncWithLeader reads the snapshot
// with DataTree.deserialize and refuses the connection if the signature differs. The snapshot is
// the body of a snapshot file without its file header, digest and checksums:
//
//   int sessionCount, then sessionCount × (long sessionId, int timeoutMs)
//   int aclMapSize, then aclMapSize × (long aclIndex, vector<ACL> acls)    ACL = int perms, Id
//                                                 (a null vector, -1, is refused as ZooKeeper does)
//   nodes, parents first: ustring path (the root is ""), DataNode = buffer data, long aclIndex,
//          StatPersisted (long czxid, mzxid, ctime, mtime; int version, cversion, aversion;
//          long ephemeralOwner, pzxid — 60 bytes)
//   ustring "/"                                    end of the tree
//   ustring "BenWasHere"                           the signature
//
// Then the packets go on as usual (NEWLEADER, ...). The ZAB core models SNAP as a packet whose
// data is the snapshot, so the decoder hands up SNAP with data = the snapshot bytes from
// sessionCount through the "/" marker (signature excluded), and encodeQuorumStream writes such a
// packet back in ZooKeeper's layout. A field longer than quorumFieldBytesMax, a snapshot longer
// than quorumSnapshotBytesMax, or any malformed length is a QuorumStreamError: close the connection.

import { quorumFieldBytesMax, quorumSnapshotBytesMax } from '../util/limits.js';
import { readId } from './data.js';
import { JuteReader, JuteWriter } from './jute.js';
import { QuorumPacketType, writeQuorumPacket, type QuorumPacket } from './quorum.js';

export class QuorumStreamError extends Error {
  override name = 'QuorumStreamError';
}

/** The string LearnerHandler writes after a snapshot (and Learner checks). */
export const snapshotSignature = 'BenWasHere';

const statPersistedBytes = 60;

/**
 * Encodes packets as they go on the wire, back to back. A SNAP packet's data (the snapshot, in the
 * layout above) follows the packet header, with the signature after it. Returns the pieces in order
 * (the snapshot is not copied, so a large one can be written in pieces).
 */
export function encodeQuorumStream(packets: readonly QuorumPacket[], writer = new JuteWriter(256)): Buffer[] {
  const pieces: Buffer[] = [];
  for (const packet of packets) {
    if (packet.type === QuorumPacketType.snap) {
      writer.reset();
      writeQuorumPacket(writer, { type: packet.type, zxid: packet.zxid, data: null, authinfo: null });
      pieces.push(writer.toBuffer());
      if (packet.data !== null) pieces.push(Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength));
      pieces.push(writer.reset().ustring(snapshotSignature).toBuffer());
    } else {
      writer.reset();
      writeQuorumPacket(writer, packet);
      pieces.push(writer.toBuffer());
    }
  }
  return pieces;
}

/**
 * Measures one record at `start` without decoding it: `complete` is its length, or `needed` the
 * bytes from `start` it needs at least before a retry can succeed. Malformed lengths throw.
 */
class Measure {
  position: number;
  needed = 0;

  constructor(private readonly bytes: Buffer, private readonly start: number) {
    this.position = start;
  }

  /** Skips `count` bytes; false (and `needed` set) when they have not all arrived. */
  skip(count: number): boolean {
    if (this.position + count > this.bytes.length) {
      this.needed = this.position + count - this.start;
      return false;
    }
    this.position += count;
    return true;
  }

  /** Reads an int; null when it has not arrived. */
  int(): number | null {
    if (!this.skip(4)) return null;
    return this.bytes.readInt32BE(this.position - 4);
  }

  /** Skips a length-prefixed field (buffer or ustring); false when incomplete. */
  field(what: string, nullable: boolean): boolean {
    const length = this.int();
    if (length === null) return false;
    if (length === -1 && nullable) return true;
    if (length < 0 || length > quorumFieldBytesMax) throw new QuorumStreamError(`${what}: bad length ${length}`);
    return this.skip(length);
  }

  /** A vector count: -1 (null) only if allowed, never more than the bytes it could possibly take. */
  count(what: string, options: { nullable: boolean; elementBytesMin: number }): number | null {
    const count = this.int();
    if (count === null) return null;
    if (count === -1 && options.nullable) return -1;
    if (count < 0 || count > quorumSnapshotBytesMax / options.elementBytesMin) throw new QuorumStreamError(`${what}: bad count ${count}`);
    return count;
  }

  /** An Id record: ustring scheme, ustring id. */
  id(what: string): boolean {
    return this.field(`${what} scheme`, true) && this.field(`${what} id`, true);
  }

  ids(what: string, nullable: boolean): boolean {
    const count = this.count(what, { nullable, elementBytesMin: 8 });
    if (count === null) return false;
    for (let i = 0; i < count; i++) if (!this.id(what)) return false;
    return true;
  }
}

/** Decodes a packet measured complete; a zxid beyond 2^53 is the only error left to find. */
function decodePacket(bytes: Buffer, start: number, end: number): QuorumPacket {
  const reader = new JuteReader(bytes, start, end);
  try {
    const type = reader.int();
    const zxid = reader.long();
    const data = reader.buffer();
    const authinfo = reader.vector(readId);
    return { type, zxid, data: data === null ? null : Buffer.from(data), authinfo };
  } catch (error) {
    throw new QuorumStreamError(`quorum packet: ${(error as Error).message}`, { cause: error });
  }
}

type SnapshotPhase = 'sessionCount' | 'sessions' | 'aclCount' | 'acls' | 'nodes' | 'signature';

interface SnapshotInProgress {
  header: QuorumPacket;
  phase: SnapshotPhase;
  /** Sessions or ACL map entries still to come in the current phase. */
  left: number;
  pieces: Buffer[];
  bytes: number;
}

/**
 * Decodes the quorum stream incrementally: `push` takes chunks of any size and returns the packets
 * they complete, in order, each with its own copy of its data. With `snapshotsFollowSnap` (a
 * learner reading its leader) a SNAP packet waits for the snapshot after it and comes out with the
 * snapshot as its data; without it (a leader reading a learner, which never sends SNAP) a SNAP is an
 * ordinary packet. Bytes are concatenated only once an item (a packet, a snapshot node) can be
 * complete, so a large packet arriving in many chunks is copied a bounded number of times.
 */
export class QuorumStreamDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next item can be complete. */
  private needed = 1;
  private snapshot: SnapshotInProgress | null = null;
  private readonly snapshotsFollowSnap: boolean;

  constructor(options: { snapshotsFollowSnap: boolean }) {
    this.snapshotsFollowSnap = options.snapshotsFollowSnap;
  }

  /** Bytes received and not yet handed up (an incomplete item, or a snapshot still arriving). */
  get bufferedBytes(): number {
    return this.buffered + (this.snapshot?.bytes ?? 0);
  }

  /** True between a SNAP packet's header and the snapshot's signature. */
  get receivingSnapshot(): boolean {
    return this.snapshot !== null;
  }

  push(chunk: Uint8Array): QuorumPacket[] {
    if (chunk.length === 0) return [];
    // Copied: the caller may reuse its read buffer, and nothing here may outlive it as a view.
    this.chunks.push(Buffer.from(chunk));
    this.buffered += chunk.length;
    const packets: QuorumPacket[] = [];
    if (this.buffered < this.needed) return packets;
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    for (;;) {
      const consumed = this.snapshot === null ? this.packet(bytes, offset, packets) : this.snapshotItem(bytes, offset, packets);
      if (consumed === 0) break;
      offset += consumed;
    }
    const rest = offset === 0 ? bytes : bytes.subarray(offset);
    this.chunks = rest.length === 0 ? [] : [offset === 0 ? rest : Buffer.from(rest)];
    this.buffered = rest.length;
    return packets;
  }

  /** Decodes the packet at `offset` if it is complete; returns its length, or 0 (and sets `needed`). */
  private packet(bytes: Buffer, offset: number, packets: QuorumPacket[]): number {
    const measure = new Measure(bytes, offset);
    const complete = measure.skip(12) && measure.field('quorum packet data', true) && measure.ids('quorum packet authinfo', true);
    if (!complete) {
      this.needed = measure.needed;
      return 0;
    }
    const packet = decodePacket(bytes, offset, measure.position);
    if (packet.type === QuorumPacketType.snap && this.snapshotsFollowSnap) {
      this.snapshot = { header: packet, phase: 'sessionCount', left: 0, pieces: [], bytes: 0 };
    } else {
      packets.push(packet);
    }
    this.needed = 1;
    return measure.position - offset;
  }

  /** Takes the next complete snapshot item at `offset`; returns its length, or 0 (and sets `needed`). */
  private snapshotItem(bytes: Buffer, offset: number, packets: QuorumPacket[]): number {
    const snapshot = this.snapshot!;
    const measure = new Measure(bytes, offset);
    const complete = this.measureItem(snapshot, measure, bytes);
    if (!complete) {
      this.needed = measure.needed;
      return 0;
    }
    this.needed = 1;
    const length = measure.position - offset;
    if (snapshot.phase === 'signature') {
      this.checkSignature(bytes, offset, length);
      const data = Buffer.concat(snapshot.pieces, snapshot.bytes);
      packets.push({ ...snapshot.header, data });
      this.snapshot = null;
      return length;
    }
    snapshot.bytes += length;
    if (snapshot.bytes > quorumSnapshotBytesMax) {
      throw new QuorumStreamError(`snapshot stream longer than ${quorumSnapshotBytesMax} bytes`);
    }
    snapshot.pieces.push(Buffer.from(bytes.subarray(offset, offset + length)));
    this.advance(snapshot, bytes, offset);
    return length;
  }

  /** Measures the item the current phase expects (a run of sessions is one item). */
  private measureItem(snapshot: SnapshotInProgress, measure: Measure, bytes: Buffer): boolean {
    switch (snapshot.phase) {
      case 'sessionCount':
        return measure.count('snapshot session count', { nullable: false, elementBytesMin: 12 }) !== null;
      case 'aclCount':
        return measure.count('snapshot ACL map size', { nullable: false, elementBytesMin: 12 }) !== null;
      case 'sessions': {
        const available = Math.floor((bytes.length - measure.position) / 12);
        return measure.skip(12 * Math.max(1, Math.min(snapshot.left, available)));
      }
      case 'acls': {
        if (!measure.skip(8)) return false;
        const count = measure.count('snapshot ACL list', { nullable: false, elementBytesMin: 12 });
        if (count === null) return false;
        for (let i = 0; i < count; i++) if (!measure.skip(4) || !measure.id('snapshot ACL id')) return false;
        return true;
      }
      case 'nodes': {
        const pathAt = measure.position;
        if (!measure.field('snapshot path', false)) return false;
        if (measure.position - pathAt === 5 && bytes[pathAt + 4] === 0x2f) return true;
        return measure.field('snapshot node data', true) && measure.skip(8 + statPersistedBytes);
      }
      case 'signature':
        return measure.field('snapshot signature', false);
    }
  }

  /** Moves to the next phase after the item at `offset` was taken. */
  private advance(snapshot: SnapshotInProgress, bytes: Buffer, offset: number): void {
    switch (snapshot.phase) {
      case 'sessionCount':
      case 'aclCount': {
        const count = bytes.readInt32BE(offset);
        const counted: SnapshotPhase = snapshot.phase === 'sessionCount' ? 'sessions' : 'acls';
        const after: SnapshotPhase = snapshot.phase === 'sessionCount' ? 'aclCount' : 'nodes';
        snapshot.phase = count > 0 ? counted : after;
        snapshot.left = count;
        return;
      }
      case 'sessions':
      case 'acls': {
        const taken = snapshot.phase === 'sessions' ? (snapshot.pieces.at(-1)!.length / 12) : 1;
        snapshot.left -= taken;
        if (snapshot.left === 0) snapshot.phase = snapshot.phase === 'sessions' ? 'aclCount' : 'nodes';
        return;
      }
      case 'nodes':
        if (bytes.readInt32BE(offset) === 1 && bytes[offset + 4] === 0x2f) snapshot.phase = 'signature';
        return;
      case 'signature':
        return;
    }
  }

  private checkSignature(bytes: Buffer, offset: number, length: number): void {
    const signature = bytes.toString('utf8', offset + 4, offset + length);
    if (signature !== snapshotSignature) throw new QuorumStreamError(`snapshot: missing signature, got ${JSON.stringify(signature)}`);
  }
}
