// The stat fields that can differ from a just-created node's — mzxid, mtime, pzxid, version, cversion,
// aversion — and the ephemeral owner, in records kept only for the nodes that need one. A fresh node
// has mzxid = pzxid = czxid, mtime = ctime, versions 0 and no owner; most znodes of a large tree are
// leaves written once, so each costs one record number (-1: none) instead of 44 bytes of columns.
// node-store.ts gives a node a record on its first change (or when loaded with one) and reads the
// fields through it. A parent's first child and child count live here too (child-index.ts): only a
// node with a record has children.
//
// Invariants: a record is live from allocate() to release(), then reused. Deterministic: no clock,
// no I/O.

const initialCapacity = 256;

export class ChangedStats {
  mzxid = new Float64Array(initialCapacity);
  mtime = new Float64Array(initialCapacity);
  pzxid = new Float64Array(initialCapacity);
  version = new Int32Array(initialCapacity);
  cversion = new Int32Array(initialCapacity);
  aversion = new Int32Array(initialCapacity);
  owner = new BigInt64Array(initialCapacity);
  /** The owners' bytes as 32-bit words, to read an owner without making a BigInt. */
  ownerWords = new Int32Array(this.owner.buffer);
  /** The record's node's first child (-1: none) and number of children. */
  firstChild = new Int32Array(initialCapacity);
  childCount = new Int32Array(initialCapacity);
  private readonly free: number[] = [];
  private next = 0;

  /** A record with the fields of a fresh node created at `czxid` and `ctime`. */
  allocate(czxid: number, ctime: number): number {
    const record = this.free.length > 0 ? this.free.pop()! : this.next++;
    if (record >= this.mzxid.length) this.grow();
    this.mzxid[record] = czxid;
    this.mtime[record] = ctime;
    this.pzxid[record] = czxid;
    this.version[record] = 0;
    this.cversion[record] = 0;
    this.aversion[record] = 0;
    this.owner[record] = 0n;
    this.firstChild[record] = -1;
    this.childCount[record] = 0;
    return record;
  }

  release(record: number): void {
    this.free.push(record);
  }

  private grow(): void {
    const capacity = this.mzxid.length * 2;
    const grown = <T extends Float64Array | Int32Array | BigInt64Array>(column: T, make: new (length: number) => T): T => {
      const bigger = new make(capacity);
      bigger.set(column as never);
      return bigger;
    };
    this.mzxid = grown(this.mzxid, Float64Array);
    this.mtime = grown(this.mtime, Float64Array);
    this.pzxid = grown(this.pzxid, Float64Array);
    this.version = grown(this.version, Int32Array);
    this.cversion = grown(this.cversion, Int32Array);
    this.aversion = grown(this.aversion, Int32Array);
    this.owner = grown(this.owner, BigInt64Array);
    this.ownerWords = new Int32Array(this.owner.buffer);
    this.firstChild = grown(this.firstChild, Int32Array);
    this.childCount = grown(this.childCount, Int32Array);
  }
}
