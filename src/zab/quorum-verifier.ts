// Majority quorums over a fixed set of voters (ZooKeeper's QuorumMaj). Pure; the commit rule of the
// leader is built on quorumHighest: the largest zxid that a quorum of voters has acknowledged.

import { assert } from '../util/index.js';

export class MajorityQuorum {
  private readonly voters: ReadonlySet<number>;
  /** Smallest number of voters that is a quorum: more than half. */
  readonly size: number;

  constructor(voters: readonly number[]) {
    assert(voters.length > 0, 'a quorum needs at least one voter');
    this.voters = new Set(voters);
    assert(this.voters.size === voters.length, `duplicate voter ids: ${voters.join(',')}`);
    this.size = Math.floor(voters.length / 2) + 1;
  }

  isVoter(id: number): boolean {
    return this.voters.has(id);
  }

  /** True when the ids (non-voters and duplicates ignored) include a majority of the voters. */
  containsQuorum(ids: Iterable<number>): boolean {
    const seen = new Set<number>();
    for (const id of ids) if (this.voters.has(id)) seen.add(id);
    return seen.size >= this.size;
  }

  /**
   * The largest value v such that voters holding a value >= v form a quorum (-1 if none does).
   * With acknowledged zxids as values this is the highest zxid a quorum has logged.
   */
  quorumHighest(valueByVoter: ReadonlyMap<number, number>): number {
    const values: number[] = [];
    for (const [id, value] of valueByVoter) if (this.voters.has(id)) values.push(value);
    if (values.length < this.size) return -1;
    values.sort((a, b) => b - a);
    return values[this.size - 1]!;
  }
}
