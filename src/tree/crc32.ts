// CRC-32 (IEEE 802.3, as java.util.zip.CRC32 and zlib compute it) over the pieces of a node digest,
// fed without building a buffer: bytes from a range, ASCII strings by character, and big-endian ints.
// Loading a snapshot digests every node; a native crc32 call per piece costs more than the bytes.
//
// Use: `let crc = crcStart; crc = crcBytes(crc, ...); ...; crcEnd(crc)`. Between start and end the
// value is the running register (inverted), not a checksum.

const table = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

export const crcStart = -1;

export function crcEnd(crc: number): number {
  return ~crc >>> 0;
}

export function crcBytes(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = crc;
  for (let i = start; i < end; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** The string's bytes when it is ASCII (then they are its UTF-8); null when it is not. */
export function crcAscii(crc: number, text: string): number | null {
  let c = crc;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return null;
    c = table[(c ^ code) & 0xff]! ^ (c >>> 8);
  }
  return c;
}

/** Four bytes, big-endian. */
export function crcInt(crc: number, value: number): number {
  let c = crc;
  c = table[(c ^ (value >>> 24)) & 0xff]! ^ (c >>> 8);
  c = table[(c ^ (value >>> 16)) & 0xff]! ^ (c >>> 8);
  c = table[(c ^ (value >>> 8)) & 0xff]! ^ (c >>> 8);
  return table[(c ^ value) & 0xff]! ^ (c >>> 8);
}

const twoTo32 = 0x1_0000_0000;

/** Eight bytes, big-endian, of a long that fits a double (zxids, times). */
export function crcLong(crc: number, value: number): number {
  const high = Math.floor(value / twoTo32);
  return crcInt(crcInt(crc, high | 0), (value - high * twoTo32) | 0);
}
