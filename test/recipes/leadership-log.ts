// Every leadership event of a set of LeaderLatches, in the order they happened, with the number of
// latches believing they lead right after it; that number must never exceed one.

import assert from 'node:assert/strict';
import type { LeaderLatch } from '../../src/recipes/leader.js';

export class LeadershipLog {
  readonly entries: Array<{ who: string; event: 'isLeader' | 'notLeader'; at: number; leaders: number }> = [];
  private readonly latches: LeaderLatch[] = [];

  track(latch: LeaderLatch, who: string): LeaderLatch {
    this.latches.push(latch);
    for (const event of ['isLeader', 'notLeader'] as const) {
      latch.on(event, () => this.entries.push({ who, event, at: Date.now(), leaders: this.leaders().length }));
    }
    return latch;
  }

  leaders(): LeaderLatch[] {
    return this.latches.filter((latch) => latch.hasLeadership);
  }

  index(who: string, event: 'isLeader' | 'notLeader'): number {
    return this.entries.findIndex((entry) => entry.who === who && entry.event === event);
  }

  /** When `who` first had `event`, or fails. */
  at(who: string, event: 'isLeader' | 'notLeader'): number {
    const entry = this.entries.find((candidate) => candidate.who === who && candidate.event === event);
    assert.ok(entry !== undefined, `${who} never had ${event}: ${JSON.stringify(this.entries)}`);
    return entry.at;
  }

  assertNeverTwoLeaders(): void {
    const worst = Math.max(0, ...this.entries.map((entry) => entry.leaders));
    assert.ok(worst <= 1, `two latches led at once: ${JSON.stringify(this.entries)}`);
  }
}
