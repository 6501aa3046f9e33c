// Adler-32, the checksum ZooKeeper writes on every txn log record and snapshot (java.util.zip.Adler32).
// Incremental: feed chunks, read `value` at any point.

const modulus = 65521;
/** Largest run of bytes before the sums must be reduced, so they stay exact in 32-bit arithmetic. */
const runMax = 3800;

export class Adler32 {
  private a = 1;
  private b = 0;

  /** Continues from a checksum value (it holds the whole state: b × 2^16 + a). */
  static resume(value: number): Adler32 {
    const sum = new Adler32();
    sum.a = value & 0xffff;
    sum.b = value >>> 16;
    return sum;
  }

  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let a = this.a;
    let b = this.b;
    let i = start;
    while (i < end) {
      const stop = Math.min(end, i + runMax);
      for (; i < stop; i++) {
        a += bytes[i]!;
        b += a;
      }
      a %= modulus;
      b %= modulus;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  /** The checksum as an unsigned 32-bit number (Java writes it as a long). */
  get value(): number {
    return (this.b * 65536 + this.a) >>> 0;
  }
}

export function adler32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return new Adler32().update(bytes, start, end).value;
}
