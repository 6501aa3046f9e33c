import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JavaDouble, writeJson } from './json-writer.js';

describe('writeJson', () => {
  it('writes `"key" : value` with two-space indentation, and `[ ]` and `{ }` when empty, as Jackson does', () => {
    assert.equal(writeJson({ a: 1, b: [], c: {}, d: [{ e: 'x' }] }),
      '{\n  "a" : 1,\n  "b" : [ ],\n  "c" : { },\n  "d" : [\n    {\n      "e" : "x"\n    }\n  ]\n}');
  });

  it('writes 64-bit ids exactly, where a JS number would round them', () => {
    assert.equal(writeJson({ session_id: 72058154134339584n }), '{\n  "session_id" : 72058154134339584\n}');
    assert.equal(writeJson([2n ** 63n - 1n]), '[\n  9223372036854775807\n]');
  });

  it('writes Java doubles with a decimal point, as Double.toString', () => {
    assert.equal(writeJson([new JavaDouble(0), new JavaDouble(7.1667), new JavaDouble(1e7), new JavaDouble(5e-4)]),
      '[\n  0.0,\n  7.1667,\n  1.0E7,\n  5.0E-4\n]');
  });

  it('escapes strings and keys, and writes null, booleans and non-finite numbers as JSON can', () => {
    assert.equal(writeJson({ 'a"b': 'line\nbreak', n: null, t: true, inf: Number.POSITIVE_INFINITY, nan: new JavaDouble(Number.NaN) }),
      '{\n  "a\\"b" : "line\\nbreak",\n  "n" : null,\n  "t" : true,\n  "inf" : null,\n  "nan" : null\n}');
  });
});
