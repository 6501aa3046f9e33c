// The known-difference parts of the at-scale differential sequence (scale-sequence.ts): each one
// exercises a difference between Meerkat and ZooKeeper that another engineer is fixing, in its own
// subtree, from its own seeded stream, all on the main session. The test file turns each on or off.

import { type Acl, CreateMode, OpCode, type Request } from '../../src/proto/index.js';
import type { Prng } from '../../sim/prng.js';
import type { KnownPart, Step } from './scale-sequence.js';

const openAcl: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const noData = null;

class PartWriter {
  readonly steps: Step[] = [];
  constructor(private readonly part: KnownPart, readonly rng: Prng) {}

  push(request: Request, label: string): void {
    this.steps.push({ kind: 'request', session: 'main', part: this.part, request, label: `${this.part}: ${label}`, expectOk: undefined });
  }

  /** `data` null goes on the wire as a -1 length, which ZooKeeper keeps as "no data". */
  create(path: string, data: Uint8Array | null, flags: number = CreateMode.persistent): void {
    this.push({ type: OpCode.create, path, data: data ?? noData, acl: openAcl, flags }, `create ${JSON.stringify(path)} data=${data === null ? 'null' : data.length}`);
  }

  /** `size` bytes of one seeded value. */
  data(size: number): Uint8Array {
    return Buffer.alloc(size, this.rng.int(0, 255));
  }
}

/** Creates, create2, setData and multi with null data, each read back. */
function nullDataPart(part: PartWriter): void {
  part.create('/known-null', null);
  for (let i = 0; i < 20; i++) {
    const path = `/known-null/n${i}`;
    const roll = part.rng.float();
    if (roll < 0.5) part.create(path, null, part.rng.pick([CreateMode.persistent, CreateMode.ephemeral]));
    else part.push({ type: OpCode.create2, path, data: noData, acl: openAcl, flags: 0 }, `create2 ${path} data=null`);
    if (part.rng.chance(0.5)) part.push({ type: OpCode.setData, path, data: part.rng.chance(0.5) ? noData : Buffer.from('x'), version: -1 }, `setData ${path}`);
    part.push({ type: OpCode.getData, path, watch: false }, `getData ${path}`);
  }
  part.push({
    type: OpCode.multi,
    ops: [
      { type: OpCode.create, path: '/known-null/m', data: noData, acl: openAcl, flags: 0 },
      { type: OpCode.setData, path: '/known-null/n0', data: noData, version: -1 },
    ],
  }, 'multi with null data');
  part.push({ type: OpCode.getData, path: '/known-null', watch: false }, 'getData /known-null');
}

/** Creates (some sequential) of names with each character just inside and just outside the rejected ranges. */
function badPathsPart(part: PartWriter): void {
  part.create('/known-badpath', Buffer.from('b'));
  // ZooKeeper rejects U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF (so also every surrogate pair)
  // and U+FFF0–U+FFFF; the neighbours just outside those ranges are valid.
  const rejected = ['\u0001', '\u001f', '\u007f', '\u0080', '\u009f', '\ud83d\ude00', '\ue000', '\uf8ff', '\ufff0', '\ufffd', '\uffff'];
  const accepted = ['\u0020', '\u00a0', '\u00e9', '\ud7ff', '\uf900', '\uffef'];
  for (const character of [...rejected, ...accepted]) {
    const path = `/known-badpath/x${character}y`;
    part.create(path, Buffer.from('p'), part.rng.pick([CreateMode.persistent, CreateMode.persistentSequential]));
    part.push({ type: OpCode.exists, path, watch: false }, `exists ${JSON.stringify(path)}`);
  }
}

/** createTTL around the largest TTL ZooKeeper accepts, directly and inside a multi. */
function ttlAboveMaxPart(part: PartWriter): void {
  part.create('/known-ttl', Buffer.from('t'));
  // ZooKeeper's largest TTL is 2^40 - 1 ms (EphemeralType.TTL's 40 value bits).
  const ttls = [2 ** 40 - 1, 2 ** 40, 2 ** 44, 2 ** 48 - 1, 2 ** 48, 0, -1];
  for (const [i, ttl] of ttls.entries()) {
    const flags = part.rng.pick([CreateMode.persistentWithTtl, CreateMode.persistentSequentialWithTtl]);
    part.push({ type: OpCode.createTTL, path: `/known-ttl/t${i}`, data: Buffer.from('t'), acl: openAcl, flags, ttl }, `createTTL ttl=${ttl}`);
  }
  part.push({
    type: OpCode.multi,
    ops: [{ type: OpCode.createTTL, path: '/known-ttl/in-multi', data: Buffer.from('m'), acl: openAcl, flags: CreateMode.persistentWithTtl, ttl: 2 ** 40 }],
  }, 'multi createTTL ttl=2^40');
}

/** A quota on /known-quota, then writes under it, then the stats node read back. */
function quotaStatsPart(part: PartWriter): void {
  // What `setquota -n 100000 -b 100000000 /known-quota` writes (soft limits, enforceQuota off).
  part.create('/known-quota', Buffer.from('q'));
  part.create('/zookeeper/quota/known-quota', Buffer.alloc(0));
  part.create('/zookeeper/quota/known-quota/zookeeper_limits', Buffer.from('count=100000,bytes=100000000'));
  part.create('/zookeeper/quota/known-quota/zookeeper_stats', Buffer.from('count=0,bytes=0'));
  for (let i = 0; i < 40; i++) {
    const path = `/known-quota/c${part.rng.int(0, 15)}`;
    const roll = part.rng.float();
    if (roll < 0.5) part.create(path, part.data(part.rng.int(0, 300)));
    else if (roll < 0.8) part.push({ type: OpCode.setData, path, data: part.data(part.rng.int(0, 300)), version: -1 }, `setData ${path}`);
    else part.push({ type: OpCode.delete, path, version: -1 }, `delete ${path}`);
  }
  part.push({ type: OpCode.getData, path: '/zookeeper/quota/known-quota/zookeeper_stats', watch: false }, 'getData zookeeper_stats');
}

const parts: Record<KnownPart, (writer: PartWriter) => void> = {
  nullData: nullDataPart, badPaths: badPathsPart, ttlAboveMax: ttlAboveMaxPart, quotaStats: quotaStatsPart,
};

/** A known part's steps, in order. */
export function knownPartSteps(part: KnownPart, rng: Prng): Step[] {
  const writer = new PartWriter(part, rng);
  parts[part](writer);
  return writer.steps;
}
