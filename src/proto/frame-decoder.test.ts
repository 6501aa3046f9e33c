import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { splitAt } from './chunk-split.js';

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): string[] {
  const frames: string[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f.toString('hex')));
  return frames;
}

describe('FrameDecoder', () => {
  const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from([1, 2, 3])];
  const stream = Buffer.concat(payloads.map(frame));
  const expected = payloads.map((p) => p.toString('hex'));

  it('emits every frame when fed one byte at a time', () => {
    const chunks = [...stream].map((byte) => Buffer.from([byte]));
    assert.deepEqual(decodeAll(new FrameDecoder(), chunks), expected);
  });

  it('emits every frame for any split of the stream into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
        assert.deepEqual(decodeAll(new FrameDecoder(), splitAt(stream, cuts)), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a frame longer than the bound', () => {
    const decoder = new FrameDecoder(10);
    assert.throws(() => decoder.push(frame(Buffer.alloc(11)), () => {}), FrameTooLargeError);
  });

  it('rejects a negative length', () => {
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(-5);
    assert.throws(() => new FrameDecoder().push(bad, () => {}), FrameTooLargeError);
  });

  it('keeps a partial frame until the rest arrives', () => {
    const decoder = new FrameDecoder();
    assert.deepEqual(decodeAll(decoder, [stream.subarray(0, 6)]), []);
    assert.equal(decoder.bufferedBytes, 6);
  });
});
