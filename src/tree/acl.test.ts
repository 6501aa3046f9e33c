import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPermission, digestFor, fixupAcl, ipMatches } from './acl.js';

const ip = (id: string) => ({ scheme: 'ip', id });

describe('digestFor', () => {
  it('is user:base64(sha1(user:password)), as ZooKeeper stores it', () => {
    // The id ZooKeeper 3.8 stored for alice:secret in the differential test.
    assert.equal(digestFor('alice', 'secret'), 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=');
  });
});

describe('ipMatches', () => {
  it('matches an exact address and a network with /bits', () => {
    assert.ok(ipMatches('127.0.0.1', '127.0.0.1'));
    assert.ok(ipMatches('127.0.0.0/8', '127.1.2.3'));
    assert.ok(ipMatches('10.1.0.0/16', '10.1.255.1'));
    assert.ok(!ipMatches('10.0.0.0/8', '127.0.0.1'));
    assert.ok(!ipMatches('10.1.0.0/17', '10.1.128.1'));
  });

  it('handles IPv6 and never matches across families', () => {
    assert.ok(ipMatches('::1', '::1'));
    assert.ok(ipMatches('fe80::/16', 'fe80::1:2'));
    assert.ok(!ipMatches('::1', '127.0.0.1'));
  });
});

describe('checkPermission', () => {
  const acl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'digest', id: 'alice:h' } }];
  const check = (perm: number, authIds: Array<{ scheme: string; id: string }>, superDigest: string | null = null) =>
    checkPermission({ acl, perm, authIds, superDigest });

  it('grants a bit some entry gives to one of the session ids', () => {
    assert.ok(check(1, []));
    assert.ok(!check(2, [ip('127.0.0.1')]));
    assert.ok(check(2, [{ scheme: 'digest', id: 'alice:h' }]));
  });

  it('lets the super user do anything', () => {
    assert.ok(check(16, [{ scheme: 'super', id: '' }]));
    assert.ok(check(16, [{ scheme: 'digest', id: 'super:s' }], 'super:s'));
  });
});

describe('fixupAcl', () => {
  it('expands auth to the session’s authenticated ids and rejects it without any', () => {
    const auth = [{ perms: 31, id: { scheme: 'auth', id: '' } }];
    assert.deepEqual(fixupAcl(auth, [ip('127.0.0.1'), { scheme: 'digest', id: 'bob:x' }]), {
      acl: [{ perms: 31, id: { scheme: 'digest', id: 'bob:x' } }],
    });
    assert.deepEqual(fixupAcl(auth, [ip('127.0.0.1')]), { error: 'invalidAcl' });
  });

  it('rejects empty lists, unknown schemes and malformed ids', () => {
    assert.deepEqual(fixupAcl([], []), { error: 'invalidAcl' });
    for (const id of [{ scheme: 'bogus', id: 'x' }, { scheme: 'digest', id: 'nocolon' }, { scheme: 'ip', id: '1.2.3' },
      { scheme: 'ip', id: '10.0.0.0/33' }, { scheme: 'world', id: 'someone' }]) {
      assert.deepEqual(fixupAcl([{ perms: 31, id }], []), { error: 'invalidAcl' }, JSON.stringify(id));
    }
  });
});
