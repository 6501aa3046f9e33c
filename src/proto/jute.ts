// Jute, ZooKeeper's record serialization: big-endian int (4 bytes) and long (8 bytes), boolean as one
// byte, ustring and buffer as an int length (-1 for null) followed by the bytes, vector as an int
// count (-1 for null) followed by the elements. Records are the concatenation of their fields.
//
// Longs are read as JavaScript numbers where the value is a zxid, a time or a version-like quantity
// (exact while |value| < 2^53, checked), and as bigint where all 64 bits matter (session ids, digests).

export class JuteDecodeError extends Error {
  override name = 'JuteDecodeError';
}

const twoTo32 = 0x1_0000_0000;

export class JuteReader {
  /** A Buffer: its native UTF-8 decoding is much faster than TextDecoder for short strings. */
  private bytes: Buffer;
  private offset: number;
  private end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
    this.end = end;
  }

  /** Reads `bytes[start, end)` from now on: one reader serves every frame of a connection. */
  reset(bytes: Buffer, start: number, end: number): this {
    this.bytes = bytes;
    this.offset = start;
    this.end = end;
    return this;
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number): number {
    const at = this.offset;
    if (count < 0 || at + count > this.end) {
      throw new JuteDecodeError(`record truncated: need ${count} bytes at offset ${at}, have ${this.end - at}`);
    }
    this.offset = at + count;
    return at;
  }

  /** Big-endian, by hand: no DataView to allocate per frame. */
  private intAt(at: number): number {
    const bytes = this.bytes;
    return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  }

  int(): number {
    return this.intAt(this.need(4));
  }

  /** A long that must fit a double exactly (zxids, times, ttl). */
  long(): number {
    const at = this.need(8);
    const high = this.intAt(at);
    const low = this.intAt(at + 4) >>> 0;
    if (high > 0x1fffff || high < -0x200000) {
      throw new JuteDecodeError(`long at offset ${at} exceeds 2^53`);
    }
    return high * twoTo32 + low;
  }

  /** A long kept with all 64 bits (session ids, digests, dbid). */
  bigLong(): bigint {
    const at = this.need(8);
    // Most 64-bit fields are 0 (ephemeralOwner of persistent nodes): skip the BigInt allocation.
    if (this.intAt(at) === 0 && this.intAt(at + 4) === 0) return 0n;
    return this.bytes.readBigInt64BE(at);
  }

  bool(): boolean {
    const at = this.need(1);
    return this.bytes[at] !== 0;
  }

  /** A byte buffer; null when the length is -1. The result is a view, not a copy. */
  buffer(): Uint8Array | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < -1) throw new JuteDecodeError(`negative buffer length ${length}`);
    const at = this.need(length);
    return this.bytes.subarray(at, at + length);
  }

  ustring(): string | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < -1) throw new JuteDecodeError(`negative string length ${length}`);
    const at = this.need(length);
    return this.bytes.toString('utf8', at, at + length);
  }

  /** A string where null is read as the empty string (paths, schemes). */
  string(): string {
    return this.ustring() ?? '';
  }

  vector<T>(readElement: (reader: JuteReader) => T): T[] | null {
    const count = this.int();
    if (count === -1) return null;
    if (count < -1 || count > this.remaining) {
      throw new JuteDecodeError(`bad vector length ${count} with ${this.remaining} bytes left`);
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readElement(this);
    return items;
  }

  stringVector(): string[] {
    return this.vector((reader) => reader.string()) ?? [];
  }
}

export class JuteWriter {
  private bytes: Buffer;
  /** The same bytes, for 64-bit stores (DataView's are optimized; Buffer's BigInt writes allocate). */
  private data: DataView;
  private offset = 0;

  constructor(initialBytes = 256) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
    this.data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  /** Makes room for `count` bytes and returns where they go. Callers must read `this.bytes` after it. */
  private reserve(count: number): number {
    const at = this.offset;
    if (at + count > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, at + count));
      this.bytes.copy(grown, 0, 0, at);
      this.bytes = grown;
      this.data = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    this.offset = at + count;
    return at;
  }

  // Numbers are stored byte by byte: Buffer's writeInt32BE validates its arguments on every call,
  // which cost ~8 % of the server's write path.
  int(value: number): this {
    const at = this.reserve(4);
    this.putInt(at, value);
    return this;
  }

  private putInt(at: number, value: number): void {
    const bytes = this.bytes;
    bytes[at] = value >>> 24;
    bytes[at + 1] = value >>> 16;
    bytes[at + 2] = value >>> 8;
    bytes[at + 3] = value;
  }

  /** Overwrites an int written earlier (frame lengths). */
  patchInt(position: number, value: number): void {
    this.putInt(position, value);
  }

  long(value: number): this {
    const at = this.reserve(8);
    const high = Math.floor(value / twoTo32);
    this.putInt(at, high);
    this.putInt(at + 4, value - high * twoTo32);
    return this;
  }

  bigLong(value: bigint): this {
    const at = this.reserve(8);
    this.data.setBigInt64(at, value);
    return this;
  }

  bool(value: boolean): this {
    const at = this.reserve(1);
    this.bytes[at] = value ? 1 : 0;
    return this;
  }

  buffer(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    const at = this.reserve(value.length);
    this.bytes.set(value, at);
    return this;
  }

  ustring(value: string | null): this {
    if (value === null) return this.int(-1);
    const lengthAt = this.reserve(4);
    const maxBytes = value.length * 3;
    const at = this.reserve(maxBytes);
    const written = this.bytes.write(value, at, 'utf8');
    this.offset = at + written;
    this.putInt(lengthAt, written);
    return this;
  }

  vector<T>(items: readonly T[] | null, writeElement: (writer: JuteWriter, item: T) => void): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  stringVector(items: readonly string[] | null): this {
    return this.vector(items, (writer, item) => writer.ustring(item));
  }

  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.bytes.set(bytes, at);
    return this;
  }

  /** Bytes `[start, end)` of `bytes`, as they are (no length prefix). */
  rawRange(bytes: Uint8Array, start: number, end: number): this {
    const at = this.reserve(end - start);
    const target = this.bytes;
    // Tiny ranges by hand (no subarray object); from ~32 bytes `set` is faster despite it.
    if (end - start <= 16) for (let i = start, j = at; i < end; i++, j++) target[j] = bytes[i]!;
    else target.set(bytes.subarray(start, end), at);
    return this;
  }

  byte(value: number): this {
    const at = this.reserve(1);
    this.bytes[at] = value;
    return this;
  }

  /** The writer's own buffer: `[0, position)` is what was written. Valid until the next write or reset. */
  get written(): Uint8Array {
    return this.bytes;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.offset));
  }

  /** A view of what was written, valid until the next write or reset. */
  view(): Buffer {
    return this.bytes.subarray(0, this.offset);
  }

  reset(): this {
    this.offset = 0;
    return this;
  }
}
