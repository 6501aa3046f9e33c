import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JuteWriter } from './jute.js';
import { decodeZxidDigest, encodeZxidDigest, zxidDigestBytes } from './quorum.js';

describe('ZxidDigest (a Meerkat leader\'s PING data)', () => {
  it('is ZooKeeper\'s ZxidDigest record: long zxid, int version, long digest, big-endian', () => {
    const bytes = encodeZxidDigest({ zxid: 0x1_0000_0002, version: 2, digest: 0xffff_0000_0000_0001n });
    assert.equal(bytes.length, zxidDigestBytes);
    assert.equal(bytes.toString('hex'), '0000000100000002' + '00000002' + 'ffff000000000001');
    assert.deepEqual(decodeZxidDigest(bytes), { zxid: 0x1_0000_0002, version: 2, digest: 0xffff_0000_0000_0001n });
  });

  it('is told apart from no data and from a learner\'s session report (12 bytes a session)', () => {
    assert.equal(decodeZxidDigest(null), null);
    assert.equal(decodeZxidDigest(new Uint8Array(0)), null);
    const report = new JuteWriter(24).bigLong(1n).int(4000).bigLong(2n).int(4000).toBuffer();
    assert.equal(decodeZxidDigest(report), null);
  });
});
