// CRC-32 (IEEE 802.3, as java.util.zip.CRC32 and zlib compute it) over the pieces of a node digest,
// fed without building a buffer: bytes from a range, ASCII strings by character, and big-endian ints.
// Loading a snapshot digests every node; a native crc32 call per piece costs more than the bytes.
//
// Use: `let crc = crcStart; crc = crcBytes(crc, ...); ...; crcEnd(crc)`. Between start and end the
// value is the running register (inverted), not a checksum.

/** Four 256-entry tables for slicing-by-4: tables[k * 256 + n] is n's CRC pushed through k more zero bytes. */
const tables = new Int32Array(4 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  tables[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 4; k++) tables[k * 256 + n] = tables[tables[(k - 1) * 256 + n]! & 0xff]! ^ (tables[(k - 1) * 256 + n]! >>> 8);
}

/** Four bytes at once, the first in the low byte of `word` (slicing-by-4). */
function crcWord(crc: number, word: number): number {
  const c = crc ^ word;
  return tables[768 + (c & 0xff)]! ^ tables[512 + ((c >>> 8) & 0xff)]! ^ tables[256 + ((c >>> 16) & 0xff)]! ^ tables[c >>> 24]!;
}

export const crcStart = -1;

export function crcEnd(crc: number): number {
  return ~crc >>> 0;
}

export function crcBytes(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = crc;
  let i = start;
  for (; i + 4 <= end; i += 4) c = crcWord(c, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  for (; i < end; i++) c = tables[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** The string's bytes when it is ASCII (then they are its UTF-8); null when it is not. */
export function crcAscii(crc: number, text: string): number | null {
  let c = crc;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return null;
    c = tables[(c ^ code) & 0xff]! ^ (c >>> 8);
  }
  return c;
}

/** Four bytes, big-endian. */
export function crcInt(crc: number, value: number): number {
  return crcWord(crc, (value >>> 24) | ((value >>> 8) & 0xff00) | ((value & 0xff00) << 8) | (value << 24));
}

const twoTo32 = 0x1_0000_0000;

/** Eight bytes, big-endian, of a long that fits a double (zxids, times). */
export function crcLong(crc: number, value: number): number {
  const high = Math.floor(value / twoTo32);
  return crcInt(crcInt(crc, high | 0), (value - high * twoTo32) | 0);
}
