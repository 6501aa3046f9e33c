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
  private pending: Buffer | null = null;

  constructor(private readonly maxFrameBytes = frameBytesMax) {}

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
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
    let bytes = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let offset = 0;
    while (bytes.length - offset >= 4) {
      const length = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
      if (length < 0 || length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
      if (bytes.length - offset - 4 < length) break;
      onFrame(bytes, offset + 4, offset + 4 + length);
      offset += 4 + length;
    }
    if (offset < bytes.length) {
      // Copy the remainder so the caller's chunk can be reused and large buffers are not retained.
      bytes = bytes.subarray(offset);
      this.pending = Buffer.from(bytes);
    }
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
