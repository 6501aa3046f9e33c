// Incremental decoder for length-prefixed frames (4-byte big-endian length + payload), the framing of
// both the client port and ZooKeeper's quorum connections. Sans-I/O: feed it chunks as they arrive,
// take complete frames out. A length above the bound (jute.maxbuffer) or below zero is an error the
// caller answers by closing the connection.

import { frameBytesMax } from '../util/limits.js';
import { JuteWriter } from './jute.js';

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
  constructor(readonly length: number, readonly limit: number) {
    super(`frame length ${length} is outside [0, ${limit}]`);
  }
}

export class FrameDecoder {
  /**
   * The start of an incomplete frame, in `[0, pendingBytes)`. It grows by doubling, up to the frame's
   * size once its length is in: a frame arriving in n pieces is copied O(1) times per byte (joining
   * the pieces chunk by chunk was quadratic: a peer sending a 1 MiB frame a few bytes per packet cost
   * the event loop seconds), and memory follows what arrived, not what a length claims.
   */
  private pending = Buffer.alloc(0);
  private pendingBytes = 0;
  /** Length prefix + payload of the pending frame; -1 while its length is incomplete. */
  private frameBytes = -1;

  constructor(private readonly maxFrameBytes = frameBytesMax) {}

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Appends a chunk and calls `onFrame` for each complete frame, in order. The frame is a view into
   * the received bytes, valid until `push` is called again. Throws FrameTooLargeError on a bad length.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    this.pushRanges(chunk, (bytes, start, end) => onFrame(bytes.subarray(start, end)));
  }

  /**
   * As `push`, but each frame is given as `bytes[start, end)`, with no view allocated per frame (the
   * server's request path). `bytes` is valid until `pushRanges` is called again.
   */
  pushRanges(chunk: Buffer, onFrame: (bytes: Buffer, start: number, end: number) => void): void {
    let offset = 0;
    if (this.pendingBytes > 0) {
      offset = this.fill(chunk, 0);
      if (this.frameBytes < 0 || this.pendingBytes < this.frameBytes) return;
      const frame = this.pending;
      const end = this.frameBytes;
      // Released before the callback: the frame's buffer is the caller's until the next push.
      this.pending = Buffer.alloc(0);
      this.pendingBytes = 0;
      this.frameBytes = -1;
      onFrame(frame, 4, end);
    }
    while (chunk.length - offset >= 4) {
      const length = this.lengthAt(chunk, offset);
      if (chunk.length - offset - 4 < length) break;
      onFrame(chunk, offset + 4, offset + 4 + length);
      offset += 4 + length;
    }
    // Copied, so the caller's chunk can be reused and large buffers are not retained.
    if (offset < chunk.length) this.fill(chunk, offset);
  }

  /** The frame length at `offset`, checked against the bound. */
  private lengthAt(bytes: Buffer, offset: number): number {
    const length = (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 0 || length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
    return length;
  }

  /** Moves `chunk[from, ...)` into the pending frame, up to its end; returns where it stopped in `chunk`. */
  private fill(chunk: Buffer, from: number): number {
    let at = from;
    if (this.frameBytes < 0) {
      at = this.append(chunk, at, Math.min(chunk.length, at + 4 - this.pendingBytes));
      if (this.pendingBytes < 4) return at;
      this.frameBytes = 4 + this.lengthAt(this.pending, 0);
    }
    return this.append(chunk, at, Math.min(chunk.length, at + this.frameBytes - this.pendingBytes));
  }

  private append(chunk: Buffer, start: number, end: number): number {
    const needed = this.pendingBytes + end - start;
    if (needed > this.pending.length) {
      const limit = this.frameBytes < 0 ? 4 : this.frameBytes;
      const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(needed, 2 * this.pending.length)));
      this.pending.copy(grown, 0, 0, this.pendingBytes);
      this.pending = grown;
    }
    chunk.copy(this.pending, this.pendingBytes, start, end);
    this.pendingBytes = needed;
    return end;
  }
}

/** Encodes one length-prefixed frame whose body `write` fills into `writer`; a view, valid until the writer's next use. */
export function encodeFrameView(write: (writer: JuteWriter) => void, writer: JuteWriter): Buffer {
  writer.reset();
  writer.int(0);
  write(writer);
  writer.patchInt(0, writer.position - 4);
  return writer.view();
}

/** Encodes one length-prefixed frame whose body `write` fills. Returns a fresh buffer. */
export function encodeFrame(write: (writer: JuteWriter) => void, writer = new JuteWriter(256)): Buffer {
  return Buffer.from(encodeFrameView(write, writer));
}
