// The shell's pure parts: how lines split into commands and words, ACL text, and zkCli's formats.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAcl, formatStat, javaDate, parseAcl, splitCommands, tokenize } from '../../src/cli/shell/index.js';

describe('splitCommands and tokenize', () => {
  it('splits on ; and newlines outside quotes only', () => {
    assert.deepEqual(splitCommands('create /a "x;y"; get /a;\n ls / ;;'), ['create /a "x;y"', 'get /a', 'ls /']);
  });

  it('keeps blanks inside quotes and removes the quotes', () => {
    assert.deepEqual(tokenize(`set /a 'hello world'  ""`), ['set', '/a', 'hello world', '']);
  });

  it('refuses an unbalanced quote', () => {
    assert.throws(() => tokenize('set /a "open'), /unbalanced/);
  });
});

describe('ACL text', () => {
  it('parses scheme:id:perms lists, the id may contain colons', () => {
    assert.deepEqual(parseAcl('world:anyone:r,digest:bob:h4sh=:cdrwa'), [
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
      { perms: 31, id: { scheme: 'digest', id: 'bob:h4sh=' } },
    ]);
  });

  it('explains a malformed entry', () => {
    assert.match(parseAcl('world:anyone:rx') as string, /unknown permission "x"/);
    assert.match(parseAcl('world') as string, /not scheme:id:perms/);
  });

  it('prints entries like zkCli, permissions in cdrwa order', () => {
    assert.equal(formatAcl([{ perms: 3, id: { scheme: 'ip', id: '10.0.0.1' } }]), "'ip,'10.0.0.1\n: rw\n");
  });
});

describe('Stat format', () => {
  it('prints zkCli fields, zxids and owner as unsigned hex, times as Java dates in UTC', () => {
    const stat = {
      czxid: 0x10, mzxid: 0x11, ctime: 0, mtime: Date.UTC(2026, 10, 24, 1, 2, 3), version: 2, cversion: -1,
      aversion: 0, ephemeralOwner: -1n, dataLength: 5, numChildren: 0, pzxid: 0x10,
    };
    assert.equal(formatStat(stat), [
      'cZxid = 0x10', 'ctime = Thu Jan 01 00:00:00 UTC 1970', 'mZxid = 0x11', 'mtime = Tue Nov 24 01:02:03 UTC 2026',
      'pZxid = 0x10', 'cversion = -1', 'dataVersion = 2', 'aclVersion = 0', 'ephemeralOwner = 0xffffffffffffffff',
      'dataLength = 5', 'numChildren = 0', '',
    ].join('\n'));
    assert.equal(javaDate(Date.UTC(2000, 1, 29, 23, 59, 59)), 'Tue Feb 29 23:59:59 UTC 2000');
  });
});
