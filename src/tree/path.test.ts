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

  it('allows a trailing slash before a sequential suffix', () => {
    assert.equal(validatePath('/queue/', true), null);
  });
});

describe('parentOf and baseName', () => {
  it('split a path at its last slash', () => {
    assert.equal(parentOf('/a/b'), '/a');
    assert.equal(parentOf('/a'), '/');
    assert.equal(baseName('/a/b'), 'b');
  });
});
