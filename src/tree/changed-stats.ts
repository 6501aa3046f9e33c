// The stat fields that can differ from a just-created node's — mzxid, mtime, pzxid, version, cversion,
// aversion — and the ephemeral owner, in records kept only for the nodes that need one. A fresh node
// has mzxid = pzxid = czxid, mtime = ctime, versions 0 and no owner; most znodes of a large tree are
// leaves written once, so each costs one record number (-1: none) instead of 44 bytes of columns.
// node-store.ts gives a node a record on its first change (or when loaded with one) and reads the
// fields through it. A parent's first child and child count live here too (child-index.ts): only a
// node with a record has children.
//
// The columns are private and reached only through methods that take a record number. That is what
// keeps a write from landing in a column that allocate() has just replaced: in `column[allocate()] =
// value` JavaScript reads `column` before it calls allocate(), so the value would go into the old,
// discarded array whenever that allocation grew the columns (issue 14: versions and cversions lost
// at 256, 512, 1,024 … records). A method call evaluates its arguments (which may allocate) before
// its body reads the column.
//
// Invariants: a record is live from allocate() to release(), then reused; every access names a live
// record (checked: a record number past the columns is an assertion, not a silent no-op write).
// Deterministic: no clock, no I/O.

import { assertionFailed } from '../util/index.js';

const initialCapacityDefault = 256;

export class ChangedStats {
  private mzxid: Float64Array;
  private mtime: Float64Array;
  private pzxid: Float64Array;
  private version: Int32Array;
  private cversion: Int32Array;
  private aversion: Int32Array;
  private owner: BigInt64Array;
  /** The owners' bytes as 32-bit words, to read an owner without making a BigInt. */
  private ownerWords: Int32Array;
  /** The record's node's first child (-1: none) and number of children. */
  private firstChild: Int32Array;
  private childCount: Int32Array;
  private readonly free: number[] = [];
  private next = 0;

  /** `initialCapacity`: records before the first growth (tests start tiny to cross every doubling). */
  constructor(initialCapacity = initialCapacityDefault) {
    const capacity = Math.max(1, initialCapacity);
    this.mzxid = new Float64Array(capacity);
    this.mtime = new Float64Array(capacity);
    this.pzxid = new Float64Array(capacity);
    this.version = new Int32Array(capacity);
    this.cversion = new Int32Array(capacity);
    this.aversion = new Int32Array(capacity);
    this.owner = new BigInt64Array(capacity);
    this.ownerWords = new Int32Array(this.owner.buffer);
    this.firstChild = new Int32Array(capacity);
    this.childCount = new Int32Array(capacity);
  }

  /** Records the columns hold before they next grow. */
  get capacity(): number {
    return this.mzxid.length;
  }

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

  mzxidAt(record: number): number {
    return this.mzxid[record]!;
  }

  mtimeAt(record: number): number {
    return this.mtime[record]!;
  }

  pzxidAt(record: number): number {
    return this.pzxid[record]!;
  }

  versionAt(record: number): number {
    return this.version[record]!;
  }

  cversionAt(record: number): number {
    return this.cversion[record]!;
  }

  aversionAt(record: number): number {
    return this.aversion[record]!;
  }

  ownerAt(record: number): bigint {
    return this.owner[record]!;
  }

  /** One 32-bit half of the owner: `word` 0 or 1, its index in host byte order (node-store.ts). */
  ownerWordAt(record: number, word: number): number {
    return this.ownerWords[2 * record + word]!;
  }

  firstChildAt(record: number): number {
    return this.firstChild[record]!;
  }

  childCountAt(record: number): number {
    return this.childCount[record]!;
  }

  setMzxid(record: number, value: number): void {
    this.check(record);
    this.mzxid[record] = value;
  }

  setMtime(record: number, value: number): void {
    this.check(record);
    this.mtime[record] = value;
  }

  setPzxid(record: number, value: number): void {
    this.check(record);
    this.pzxid[record] = value;
  }

  setVersion(record: number, value: number): void {
    this.check(record);
    this.version[record] = value;
  }

  setCversion(record: number, value: number): void {
    this.check(record);
    this.cversion[record] = value;
  }

  setAversion(record: number, value: number): void {
    this.check(record);
    this.aversion[record] = value;
  }

  setOwner(record: number, value: bigint): void {
    this.check(record);
    this.owner[record] = value;
  }

  setFirstChild(record: number, child: number): void {
    this.check(record);
    this.firstChild[record] = child;
  }

  /** Adds `delta` (+1 or -1) to the record's child count. */
  addChildCount(record: number, delta: number): void {
    this.check(record);
    this.childCount[record]! += delta;
  }

  /** A typed array ignores a write past its end: a record number past the columns would lose it silently. */
  private check(record: number): void {
    if (!(record >= 0 && record < this.next)) assertionFailed(`stat record ${record} is not allocated (${this.next} made)`);
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
