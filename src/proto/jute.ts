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
  private readonly view: DataView;
  /** The same bytes as a Buffer: its native UTF-8 decoding is much faster than TextDecoder for short strings. */
  private readonly bytes: Buffer;
  private offset: number;

  constructor(
    bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
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

  int(): number {
    return this.view.getInt32(this.need(4));
  }

  /** A long that must fit a double exactly (zxids, times, ttl). */
  long(): number {
    const at = this.need(8);
    const high = this.view.getInt32(at);
    const low = this.view.getUint32(at + 4);
    if (high > 0x1fffff || high < -0x200000) {
      throw new JuteDecodeError(`long at offset ${at} exceeds 2^53`);
    }
    return high * twoTo32 + low;
  }

  /** A long kept with all 64 bits (session ids, digests, dbid). */
  bigLong(): bigint {
    const at = this.need(8);
    // Most 64-bit fields are 0 (ephemeralOwner of persistent nodes): skip the BigInt allocation.
    if (this.view.getInt32(at) === 0 && this.view.getInt32(at + 4) === 0) return 0n;
    return this.view.getBigInt64(at);
  }

  bool(): boolean {
    return this.bytes[this.need(1)] !== 0;
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
  private offset = 0;

  constructor(initialBytes = 256) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
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
    }
    this.offset = at + count;
    return at;
  }

  int(value: number): this {
    const at = this.reserve(4);
    this.bytes.writeInt32BE(value, at);
    return this;
  }

  /** Overwrites an int written earlier (frame lengths). */
  patchInt(position: number, value: number): void {
    this.bytes.writeInt32BE(value, position);
  }

  long(value: number): this {
    const at = this.reserve(8);
    const high = Math.floor(value / twoTo32);
    this.bytes.writeInt32BE(high, at);
    this.bytes.writeUInt32BE(value - high * twoTo32, at + 4);
    return this;
  }

  bigLong(value: bigint): this {
    const at = this.reserve(8);
    this.bytes.writeBigInt64BE(value, at);
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
    this.bytes.writeInt32BE(written, lengthAt);
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
