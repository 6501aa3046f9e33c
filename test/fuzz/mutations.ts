// Byte-level damage for fuzzing decoders and file readers: bit flips, byte and int overwrites (with
// the lengths a hostile peer picks: -1, -2, 0, 2^31-1, 2^31), insertions, deletions, zeroed ranges (a
// lost sector write), truncation, and random chunk splits of a byte stream. A mutation is plain data,
// positions taken modulo the input's length, so fast-check shrinks it independently of the input and
// prints it readably.

import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'int'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'zero'; at: number; count: number }
  | { kind: 'truncate'; at: number };

/** Ints worth writing over a length or count field. */
const hostileInts = [-1, -2, 0, 1, 0x7fffffff, -0x80000000, 0x7ffffff0, 0xfffff, 0x100000, 65536, 12, 28];

const position = fc.nat({ max: 1 << 20 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('int' as const), at: position, value: fc.oneof(fc.constantFrom(...hostileInts), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('zero' as const), at: position, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

/** Applies `list` in order to a copy of `input`. */
export function mutate(input: Uint8Array, list: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const change of list) {
    const at = bytes.length === 0 ? 0 : change.at % bytes.length;
    switch (change.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << change.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = change.value;
        break;
      case 'int':
        if (bytes.length >= 4) bytes.writeInt32BE(change.value | 0, Math.min(at, bytes.length - 4));
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(change.bytes), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.count)]);
        break;
      case 'zero':
        bytes.fill(0, at, Math.min(bytes.length, at + change.count));
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
    }
  }
  return bytes;
}

/** Cut points for splitting a stream into chunks (taken modulo its length, sorted, deduplicated). */
export const cuts = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 12 });

export function split(bytes: Uint8Array, points: readonly number[]): Buffer[] {
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sorted = [...new Set(points.map((point) => (whole.length === 0 ? 0 : point % (whole.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of sorted) {
    if (point > last) chunks.push(whole.subarray(last, point));
    last = Math.max(last, point);
  }
  if (last < whole.length || chunks.length === 0) chunks.push(whole.subarray(last));
  return chunks;
}
