import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OpCode, type Txn } from '../proto/index.js';
import { type ApplyResult, applyTxn } from './apply-txn.js';
import { DataTree } from './data-tree.js';
import { checkQuota } from './quota.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const limitsPath = (path: string): string => `/zookeeper/quota${path}/zookeeper_limits`;
const statsPath = (path: string): string => `/zookeeper/quota${path}/zookeeper_stats`;

/** A tree and the txns a client's writes become, applied in zxid order. */
class Writer {
  readonly tree = new DataTree<string>();

  apply(txn: Txn): ApplyResult<string> {
    const zxid = this.tree.lastProcessedZxid + 1;
    return applyTxn(this.tree, { sessionId: 1n, cxid: zxid, zxid, time: 1000 + zxid, type: txn.type }, txn);
  }

  create(path: string, data = ''): ApplyResult<string> {
    const parent = this.tree.getNode(path.slice(0, Math.max(1, path.lastIndexOf('/'))))!;
    return this.apply({ type: OpCode.create, path, data: Buffer.from(data), acl: open, ephemeral: false, parentCVersion: parent.cversion + 1 });
  }

  setData(path: string, data: string): ApplyResult<string> {
    return this.apply({ type: OpCode.setData, path, data: Buffer.from(data), version: this.tree.getNode(path)!.version + 1 });
  }

  delete(path: string): ApplyResult<string> {
    return this.apply({ type: OpCode.delete, path });
  }

  /**
   * What zkCli's setquota creates for a new quota: the path's nodes under /zookeeper/quota, limits,
   * then stats at zero. `decoy` names them otherwise: the same txns, and no quota.
   */
  setQuota(path: string, limits: string, decoy = false): void {
    let quotaPath = '/zookeeper/quota';
    for (const name of path.split('/').slice(1)) {
      quotaPath += `/${name}`;
      if (this.tree.getNode(quotaPath) === undefined) this.create(quotaPath);
    }
    this.create(`${limitsPath(path)}${decoy ? '_decoy' : ''}`, limits);
    this.create(`${statsPath(path)}${decoy ? '_decoy' : ''}`, 'count=0,bytes=0');
  }

  data(path: string): string | undefined {
    const node = this.tree.getNode(path);
    return node === undefined ? undefined : Buffer.from(node.data!).toString('utf8');
  }
}

const hardCount = (count: number): string => `count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=${count}`;

describe('quota stats (zookeeper_stats)', () => {
  it('start at the subtree\'s count and bytes when the stats node is created, whatever data it was created with', () => {
    const writer = new Writer();
    writer.create('/q', 'ab');
    writer.create('/q/x', '123');
    writer.setQuota('/q', hardCount(5));
    assert.equal(writer.data(statsPath('/q')), 'count=2,bytes=5');
    assert.equal(writer.data(limitsPath('/q')), hardCount(5), 'the limits are the client\'s');
    assert.deepEqual(writer.tree.quotas.list(), ['/q']);
  });

  it('follow creates, setData and deletes under the quota\'s path, and nothing outside it', () => {
    const writer = new Writer();
    writer.create('/q', 'ab');
    writer.create('/qq', 'outside: a sibling whose name starts the same');
    writer.setQuota('/q', hardCount(5));
    writer.create('/q/x', '123');
    writer.create('/q/x/y', 'abcd');
    assert.equal(writer.data(statsPath('/q')), 'count=3,bytes=9');
    writer.setData('/q/x', '1');
    assert.equal(writer.data(statsPath('/q')), 'count=3,bytes=7');
    writer.delete('/q/x/y');
    assert.equal(writer.data(statsPath('/q')), 'count=2,bytes=3');
    writer.create('/qq/child', 'zzz');
    writer.setData('/qq', '');
    writer.create('/other', 'zzz');
    assert.equal(writer.data(statsPath('/q')), 'count=2,bytes=3');
  });

  it('change only the stats node\'s data: no version or mzxid change, no watch, the same digest as a tree without quotas', () => {
    const withQuota = new Writer();
    const without = new Writer();
    for (const writer of [withQuota, without]) {
      writer.create('/q', 'ab');
      writer.setQuota('/q', hardCount(5), writer === without);
    }
    assert.deepEqual(without.tree.quotas.list(), []);
    const before = withQuota.tree.statOf(withQuota.tree.getNode(statsPath('/q'))!);
    withQuota.tree.watches.addDataWatch(statsPath('/q'), 'watcher');
    for (const writer of [withQuota, without]) {
      const deliveries = [writer.create('/q/x', '123'), writer.setData('/q', 'abcdef'), writer.delete('/q/x')].flatMap((result) => result.deliveries);
      assert.deepEqual(deliveries.filter((delivery) => delivery.path.startsWith('/zookeeper')), []);
    }
    const after = withQuota.tree.statOf(withQuota.tree.getNode(statsPath('/q'))!);
    assert.equal(withQuota.data(statsPath('/q')), 'count=1,bytes=6');
    assert.deepEqual({ ...after, dataLength: before.dataLength }, before);
    assert.equal(withQuota.tree.digest(), without.tree.digest());
  });

  it('go to the deepest quota over the changed node', () => {
    const writer = new Writer();
    writer.create('/q');
    writer.create('/q/deep', 'd');
    writer.setQuota('/q', hardCount(10));
    writer.setQuota('/q/deep', hardCount(10));
    assert.deepEqual([writer.data(statsPath('/q')), writer.data(statsPath('/q/deep'))], ['count=2,bytes=1', 'count=1,bytes=1']);
    writer.create('/q/deep/z', 'zz');
    writer.create('/q/shallow', 's');
    assert.deepEqual([writer.data(statsPath('/q')), writer.data(statsPath('/q/deep'))], ['count=3,bytes=2', 'count=2,bytes=3']);
  });

  it('stop once the limits node is deleted (delquota), and the stats node is left as it was', () => {
    const writer = new Writer();
    writer.create('/q');
    writer.setQuota('/q', hardCount(10));
    writer.create('/q/a');
    writer.delete(limitsPath('/q'));
    writer.create('/q/b', 'bbb');
    assert.equal(writer.data(statsPath('/q')), 'count=2,bytes=0');
    assert.deepEqual(writer.tree.quotas.list(), []);
  });

  it('are added to what a client wrote into the stats node, other keys kept and the text rewritten as StatsTrack', () => {
    const writer = new Writer();
    writer.create('/q');
    writer.setQuota('/q', hardCount(10));
    writer.setData(statsPath('/q'), 'bytes=10;zeta=1,count=100;alpha=2');
    writer.create('/q/a', 'abc');
    assert.equal(writer.data(statsPath('/q')), 'count=101,bytes=13=;alpha=2;zeta=1');
    writer.setData(statsPath('/q'), 'count=5');
    writer.setData('/q/a', 'xyz');
    assert.equal(writer.data(statsPath('/q')), 'count=5,bytes=-1', 'a change of 0 bytes still rewrites it; a missing key was -1');
  });

  it('are left alone when the stats node holds what ZooKeeper\'s parser throws on, or is missing', () => {
    const writer = new Writer();
    writer.create('/q');
    writer.setQuota('/q', hardCount(10));
    writer.setData(statsPath('/q'), 'count=lots');
    writer.create('/q/a', 'abc');
    assert.equal(writer.data(statsPath('/q')), 'count=lots');
    writer.delete(statsPath('/q'));
    assert.equal(writer.create('/q/b').err, 0);
  });

  it('ignore a quota on the root; a stats node right under /zookeeper/quota counts the whole tree, as ZooKeeper\'s does', () => {
    const writer = new Writer();
    writer.create('/a', 'aaaa');
    writer.create('/zookeeper/quota/zookeeper_limits', hardCount(1));
    writer.create('/zookeeper/quota/zookeeper_stats', '0123456789');
    assert.deepEqual(writer.tree.quotas.list(), []);
    // "/", /a, /zookeeper, /zookeeper/quota, /zookeeper/config, the limits and the stats nodes.
    const bytes = 4 + hardCount(1).length + 10;
    assert.equal(writer.data('/zookeeper/quota/zookeeper_stats'), `count=7,bytes=${bytes}`);
    writer.create('/b', 'b');
    assert.equal(writer.data('/zookeeper/quota/zookeeper_stats'), `count=7,bytes=${bytes}`);
  });

  it('drop blank path components as ZooKeeper\'s PathTrie does', () => {
    const writer = new Writer();
    writer.create('/q');
    writer.create('/q/ ');
    writer.setQuota('/q/ ', hardCount(10));
    assert.deepEqual(writer.tree.quotas.list(), ['/q'], 'the quota is keyed /q, whose stats node does not exist');
    writer.create('/q/ /x');
    assert.equal(writer.data(statsPath('/q/ ')), 'count=1,bytes=0');
  });

  it('are recomputed from the tree, and the quotas found again, when a snapshot has been loaded', () => {
    const writer = new Writer();
    writer.create('/q', 'ab');
    writer.create('/r');
    writer.setQuota('/q', hardCount(10));
    writer.setQuota('/r', hardCount(10));
    writer.create('/q/x', '123');
    writer.setData(statsPath('/q'), 'count=100,bytes=100;other=1');
    writer.tree.replaceData(statsPath('/r'), Buffer.from('count=7,bytes=7'));
    writer.tree.loaded();
    assert.deepEqual([writer.data(statsPath('/q')), writer.data(statsPath('/r'))], ['count=2,bytes=5', 'count=1,bytes=0']);
    assert.deepEqual(writer.tree.quotas.list(), ['/q', '/r']);
  });
});

describe('checkQuota (enforceQuota)', () => {
  const quotaWriter = (limits: string): Writer => {
    const writer = new Writer();
    writer.create('/q', 'ab');
    writer.create('/q/x', '123');
    writer.setQuota('/q', limits);
    return writer;
  };

  it('fails a create past the hard count limit, naming the limit in its warning', () => {
    const writer = quotaWriter(hardCount(3));
    assert.deepEqual(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 0, countDiff: 1 }), { err: 0, warnings: [] });
    writer.create('/q/y');
    assert.deepEqual(checkQuota(writer.tree, { path: '/q/y/z', bytesDiff: 0, countDiff: 1 }), {
      err: ErrorCode.quotaExceeded, warnings: ['Quota exceeded: /q [current count=4, hardCountLimit=3]'],
    });
    assert.deepEqual(checkQuota(writer.tree, { path: '/elsewhere', bytesDiff: 0, countDiff: 1 }), { err: 0, warnings: [] });
  });

  it('only warns past a soft limit', () => {
    const writer = quotaWriter('count=2,bytes=4');
    assert.deepEqual(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 3, countDiff: 1 }), {
      err: 0, warnings: ['Quota exceeded: /q [current count=3, softCountLimit=2]', 'Quota exceeded: /q [current bytes=8, softByteLimit=4]'],
    });
  });

  it('checks the hard limit, not the soft one, when both are set', () => {
    const writer = quotaWriter('count=1,bytes=-1=;byteHardLimit=-1;countHardLimit=3');
    assert.equal(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 0, countDiff: 1 }).err, 0);
  });

  it('fails a setData that leaves the bytes over a hard limit, even one that shrinks them (as ZooKeeper does)', () => {
    const writer = quotaWriter('count=-1,bytes=-1=;byteHardLimit=6;countHardLimit=-1');
    assert.equal(checkQuota(writer.tree, { path: '/q/x', bytesDiff: 1, countDiff: 0 }).err, 0);
    assert.equal(checkQuota(writer.tree, { path: '/q/x', bytesDiff: 2, countDiff: 0 }).err, ErrorCode.quotaExceeded);
    writer.setData(statsPath('/q'), 'count=2,bytes=50');
    assert.equal(checkQuota(writer.tree, { path: '/q/x', bytesDiff: -1, countDiff: 0 }).err, ErrorCode.quotaExceeded);
    assert.equal(checkQuota(writer.tree, { path: '/q/x', bytesDiff: 0, countDiff: 0 }).err, 0, 'no change in bytes: not checked');
  });

  it('answers MARSHALLINGERROR for limits or stats ZooKeeper\'s parser throws on, and passes when either node is missing', () => {
    const writer = quotaWriter(hardCount(1));
    writer.setData(statsPath('/q'), 'count=');
    assert.equal(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 0, countDiff: 1 }).err, ErrorCode.marshallingError);
    writer.delete(statsPath('/q'));
    assert.equal(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 0, countDiff: 1 }).err, 0);
    writer.setData(limitsPath('/q'), 'countHardLimit');
    assert.equal(checkQuota(writer.tree, { path: '/q/y', bytesDiff: 0, countDiff: 1 }).err, ErrorCode.marshallingError);
  });
});
