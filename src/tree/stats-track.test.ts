import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addToStatsValue, formatStatsTrack, parseStatsTrack, statsValue } from './stats-track.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');
const parse = (value: string): Map<string, bigint> | null => parseStatsTrack(Buffer.from(value));

describe('StatsTrack text', () => {
  it('reads the stats and the pre-3.7 limits form', () => {
    assert.deepEqual(parse('count=4,bytes=5'), new Map([['count', 4n], ['bytes', 5n]]));
  });

  it('reads the 3.7+ limits form zkCli setquota writes, spurious "=" and ";" separators included', () => {
    const limits = parse('count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3')!;
    assert.deepEqual([...limits].sort(), [['byteHardLimit', -1n], ['bytes', -1n], ['count', -1n], ['countHardLimit', 3n]]);
  });

  it('reads a missing key as -1, and empty data as no keys', () => {
    assert.equal(statsValue(parse('count=2')!, 'bytes'), -1n);
    assert.deepEqual(parse(''), new Map());
  });

  it('reads an empty value as -1 and takes the last of repeated keys, as ZooKeeper does', () => {
    assert.deepEqual(parse('count==7,bytes=1,bytes=2'), new Map([['count', -1n], ['bytes', 2n]]));
  });

  it('refuses what ZooKeeper\'s parser throws on: no value, a leading separator, not a Java long', () => {
    for (const bad of ['count', 'count=', ',count=1', 'count=1x', 'count= 1', 'count=9223372036854775808', '=']) {
      assert.equal(parse(bad), null, bad);
    }
    assert.equal(statsValue(parse('count=-9223372036854775808')!, 'count'), -(1n << 63n));
  });

  it('writes count and bytes first, then "=" and the other keys sorted, each after ";"', () => {
    assert.equal(text(formatStatsTrack(new Map([['bytes', 5n], ['count', 4n]]))), 'count=4,bytes=5');
    const limits = new Map([['countHardLimit', 3n], ['byteHardLimit', -1n], ['count', -1n], ['bytes', -1n]]);
    assert.equal(text(formatStatsTrack(limits)), 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3');
    assert.equal(text(formatStatsTrack(new Map())), 'count=-1,bytes=-1');
  });

  it('adds like a Java long: from -1 when absent, wrapping at 64 bits', () => {
    const stats = new Map([['count', (1n << 63n) - 1n]]);
    addToStatsValue(stats, 'count', 1n);
    addToStatsValue(stats, 'bytes', 3n);
    assert.deepEqual(stats, new Map([['count', -(1n << 63n)], ['bytes', 2n]]));
  });
});
