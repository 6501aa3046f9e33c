// Connection strings, host shuffling, path validation and chroot mapping.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadArgumentsError, parseConnectString } from '../../src/client/index.js';
import { prependChroot, shuffleHosts, stripChroot, validatePath } from '../../src/client/connect-string.js';

describe('parseConnectString', () => {
  it('reads several hosts and a chroot', () => {
    assert.deepEqual(parseConnectString('h1:2181,h2:2182/app/x'), {
      hosts: [{ host: 'h1', port: 2181 }, { host: 'h2', port: 2182 }],
      chroot: '/app/x',
    });
  });

  it('defaults the port to 2181, accepts bracketed IPv6, and treats "/" as no chroot', () => {
    assert.deepEqual(parseConnectString('zk, [::1]:2190/'), {
      hosts: [{ host: 'zk', port: 2181 }, { host: '::1', port: 2190 }],
      chroot: '',
    });
  });

  it('rejects no hosts, bad ports and an invalid chroot', () => {
    for (const bad of ['', '/app', 'h:0', 'h:99999', 'h:x', 'h:2181/app/', 'h:2181//x']) {
      assert.throws(() => parseConnectString(bad), BadArgumentsError, bad);
    }
  });
});

describe('shuffleHosts', () => {
  const hosts = [1, 2, 3, 4].map((port) => ({ host: 'h', port }));

  it('keeps every host exactly once', () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 20; round++) {
      assert.deepEqual(shuffleHosts(hosts, random).map((host) => host.port).sort(), [1, 2, 3, 4]);
    }
  });

  it('changes the order with the random source', () => {
    const orders = new Set([0, 0.3, 0.6, 0.99].map((value) => shuffleHosts(hosts, () => value).map((host) => host.port).join()));
    assert.ok(orders.size > 1);
  });
});

describe('paths', () => {
  it('accepts absolute paths, and a trailing slash only for sequential creates', () => {
    validatePath('/');
    validatePath('/a/b-c_d.e');
    validatePath('/queue/', { sequential: true });
    assert.throws(() => validatePath('/queue/'), BadArgumentsError);
  });

  it('rejects control characters and relative segments', () => {
    for (const bad of ['/a\u0000', '/a\u0001b', '/.', '/a/..', 'a']) assert.throws(() => validatePath(bad), BadArgumentsError, JSON.stringify(bad));
  });

  it('maps paths into and out of the chroot', () => {
    assert.equal(prependChroot('/app', '/'), '/app');
    assert.equal(prependChroot('/app', '/x'), '/app/x');
    assert.equal(stripChroot('/app', '/app'), '/');
    assert.equal(stripChroot('/app', '/app/x'), '/x');
    assert.equal(stripChroot('/app', '/apple'), '/apple', 'a sibling with the same prefix is not inside');
    assert.equal(prependChroot('', '/x'), '/x');
  });
});
