import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JuteReader, JuteWriter } from './jute.js';

// The writer stores numbers byte by byte and the reader reads them back without a DataView: check both
// against Node's own big-endian codecs over the whole range, signs included.
describe('Jute numbers', () => {
  it('writes ints and longs as Buffer does, and reads them back', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      (int, long, big) => {
        const writer = new JuteWriter(4);
        writer.int(int).long(long).bigLong(big);
        const expected = Buffer.alloc(20);
        expected.writeInt32BE(int, 0);
        expected.writeBigInt64BE(BigInt(long), 4);
        expected.writeBigInt64BE(big, 12);
        assert.deepEqual(writer.toBuffer(), expected);
        const reader = new JuteReader(writer.toBuffer());
        assert.equal(reader.int(), int);
        assert.equal(reader.long(), long);
        assert.equal(reader.bigLong(), big);
      }));
  });

  it('patches an int in place and appends ranges and single bytes', () => {
    const writer = new JuteWriter(2);
    writer.int(0).rawRange(Buffer.from('xhelloy'), 1, 6).byte(0x42);
    writer.patchInt(0, writer.position - 4);
    assert.deepEqual(writer.toBuffer(), Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.from('hello'), Buffer.from([0x42])]));
    const long = Buffer.alloc(1000, 9);
    assert.deepEqual(new JuteWriter(8).rawRange(long, 10, 900).toBuffer(), long.subarray(10, 900));
  });

  it('reads a range of a buffer after reset, and nothing beyond it', () => {
    const bytes = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
    const reader = new JuteReader(Buffer.alloc(0));
    reader.reset(bytes, 4, 8);
    assert.equal(reader.int(), 2);
    assert.equal(reader.remaining, 0);
    assert.throws(() => reader.int(), /truncated/);
    reader.reset(bytes, 8, 12);
    assert.equal(reader.int(), 3);
  });
});
