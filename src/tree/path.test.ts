import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, parentOf, validatePath } from './path.js';

describe('validatePath', () => {
  it('accepts absolute paths', () => {
    for (const path of ['/', '/a', '/a/b.c', '/a/..b', '/a/.b/c', '/ünïcode']) assert.equal(validatePath(path), null, path);
  });

  it('rejects relative, empty-component, dot, trailing-slash and control-character paths', () => {
    for (const path of ['', 'a', '/a/', '/a//b', '/a/./b', '/a/../b', '/.', '/..', '/a\u0000b', '/a\u0001b']) {
      assert.notEqual(validatePath(path), null, JSON.stringify(path));
    }
  });

  it('rejects the characters ZooKeeper refuses, bounds included, and accepts their neighbours', () => {
    const refused = [0x01, 0x1f, 0x7f, 0x80, 0x9f, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xf8ff, 0xfff0, 0xfffd, 0xffff];
    for (const code of refused) assert.notEqual(validatePath(`/a${String.fromCharCode(code)}b`), null, code.toString(16));
    for (const code of [0x20, 0x7e, 0xa0, 0xd7ff, 0xf900, 0xffef]) assert.equal(validatePath(`/a${String.fromCharCode(code)}b`), null, code.toString(16));
  });

  it('rejects characters beyond the BMP: their UTF-16 surrogates are refused, as in Java', () => {
    assert.notEqual(validatePath('/emoji\u{1f600}'), null);
  });

  it('checks a sequential path with a digit appended, as ZooKeeper does', () => {
    assert.equal(validatePath('/queue/', true), null);
    assert.equal(validatePath('/queue/.', true), null);
    assert.equal(validatePath('/queue/..', true), null);
    assert.notEqual(validatePath('/queue//', true), null);
    assert.notEqual(validatePath('/queue\u0085', true), null);
  });
});

describe('parentOf and baseName', () => {
  it('split a path at its last slash', () => {
    assert.equal(parentOf('/a/b'), '/a');
    assert.equal(parentOf('/a'), '/');
    assert.equal(baseName('/a/b'), 'b');
  });
});
