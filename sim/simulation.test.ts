import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from './prng.js';
import { runSimulation, type SimOptions, type SimResult } from './simulation.js';

function batch(options: Omit<SimOptions, 'seed'>, seeds: number, firstSeed = 1): SimResult[] {
  const results: SimResult[] = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) results.push(runSimulation({ ...options, seed }));
  return results;
}

function describeFailures(results: SimResult[]): string {
  return results.filter((result) => result.failure !== null)
    .map((result) => `seed=${result.seed} nodes=${result.nodes}: ${result.failure!.kind}: ${result.failure!.message}`).join('\n');
}

describe('simulator', () => {
  it('replays a seed exactly', () => {
    const first = runSimulation({ seed: 7, nodes: 5 });
    const second = runSimulation({ seed: 7, nodes: 5 });
    assert.deepEqual(second, first);
    assert.notDeepEqual(runSimulation({ seed: 8, nodes: 5 }).stats, first.stats);
  });

  it('draws the same numbers from the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const drawn = Array.from({ length: 5 }, () => a.int(0, 1000));
    assert.deepEqual(Array.from({ length: 5 }, () => b.int(0, 1000)), drawn);
  });

  it('keeps every checker green over 400 seeds of 3 voters and 150 seeds of 5', () => {
    const results = [...batch({ nodes: 3 }, 400), ...batch({ nodes: 5 }, 150)];
    assert.equal(describeFailures(results), '');
    const sum = (field: 'committed' | 'leaders' | 'checkedWrites' | 'clientOperations'): number =>
      results.reduce((total, result) => total + result.stats[field], 0);
    assert.ok(sum('committed') > 550 * 50, `the batch commits real traffic (${sum('committed')} txns)`);
    assert.ok(sum('leaders') > 550 * 3, `the faults force many elections (${sum('leaders')} established leaders)`);
    assert.ok(sum('checkedWrites') > 550 * 50, `clients write and sync-read the checked keys (${sum('checkedWrites')} operations)`);
    const checked = results.filter((result) => result.stats.linearizability === 'ok').length;
    assert.ok(checked > 0.95 * results.length, `the linearizability search finishes within its budget (${checked}/${results.length} runs)`);
  });

  it('keeps every checker green with observers (3 voters + 2, 5 voters + 1)', () => {
    const results = [...batch({ nodes: 3, observers: 2 }, 100), ...batch({ nodes: 5, observers: 1 }, 50)];
    assert.equal(describeFailures(results), '');
  });

  it('keeps replicas equal while their trees grow through every boundary from tiny capacities', () => {
    const tiny = { nodes: 2, statRecords: 1, childSlots: 2 };
    const results = [...batch({ nodes: 3, treeCapacity: tiny }, 100, 5000), ...batch({ nodes: 5, observers: 1, treeCapacity: tiny }, 30, 6000)];
    assert.equal(describeFailures(results), '');
    const grown = results.filter((result) => result.stats.treeNodesMax >= 16).length;
    assert.ok(grown > 0.8 * results.length, `most runs grow a tree past 16 nodes, doubling the columns 3+ times (${grown}/${results.length})`);
  });

  it('keeps every checker green when tiny log-window bounds, not only snapshots, cut the DIFF history', () => {
    const logWindow = { appliedTxnsMax: 3, appliedBytesMax: 400 };
    const results = [...batch({ nodes: 3, logWindow }, 100, 7000), ...batch({ nodes: 5, observers: 1, logWindow }, 30, 8000)];
    assert.equal(describeFailures(results), '');
  });

  it('survives zxid counters that run out (first counter near 2^32)', () => {
    const exhausting = batch({ nodes: 3, firstCounter: 0xffff_fff0 }, 30);
    assert.equal(describeFailures(exhausting), '');
    const leaders = (results: SimResult[]): number => results.reduce((sum, result) => sum + result.stats.leaders, 0);
    assert.ok(leaders(exhausting) > 1.4 * leaders(batch({ nodes: 3 }, 30)), 'running out of counters forces extra epochs');
  });
});

describe('the checkers bite', () => {
  it('finds a leader that commits on a minority (committed txn missing on a later leader)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { commitOnMinority: true } }, 50).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 50 exposed commit-on-minority');
    assert.match(failing[0]!.failure!.message, /lacks committed|below committed|not on the final leader|skipped committed/);
  });

  it('finds a leader that leaves divergent txns in place (DIFF instead of TRUNC)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { skipTrunc: true } }, 50).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 50 exposed the skipped TRUNC');
    assert.match(failing[0]!.failure!.message, /applied past it without it|skipped committed|two txns committed/);
  });

  it('finds a prep stage that ignores pending changes (linearizability checker)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { prepIgnoresPending: true } }, 20).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 20 exposed prep without pending changes');
    assert.match(failing[0]!.failure!.message, /not linearizable/);
  });

  it('finds a new leader that forgets older sessions (orphaned ephemerals, ZOOKEEPER-2355 checker)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { newLeaderForgetsSessions: true } }, 20).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 20 exposed the forgotten sessions');
    assert.match(failing[0]!.failure!.message, /outlives its session/);
  });

  it('finds a server that answers sync from its own state (linearizability of synced reads)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { localSync: true } }, 40).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 40 exposed the local sync');
    assert.match(failing[0]!.failure!.message, /not linearizable/);
  });

  it('finds a learner that reattaches a moved session without REVALIDATE (per-session order checker)', () => {
    const failing = batch({ nodes: 3, injectedBugs: { skipRevalidate: true } }, 400).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 400 exposed the missing REVALIDATE');
    assert.match(failing[0]!.failure!.message, /applied at 0x[0-9a-f]+ after its request|committed while/);
  });

  it('finds a follower that ACKs before persisting (rule 1 checker)', () => {
    const failing = batch({ nodes: 5, injectedBugs: { ackBeforePersist: true } }, 20).filter((result) => result.failure !== null);
    assert.ok(failing.length > 0, 'no seed in 20 exposed ACK-before-persist');
    assert.match(failing[0]!.failure!.message, /before it was durable \(rule 1\)/);
  });
});
