import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MajorityQuorum } from './quorum-verifier.js';

const ensembles = fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 9 });

describe('MajorityQuorum', () => {
  it('agrees with a naive majority count', () => {
    fc.assert(
      fc.property(ensembles, fc.array(fc.integer({ min: 0, max: 25 }), { maxLength: 30 }), (voters, ids) => {
        const naive = new Set(ids.filter((id) => voters.includes(id))).size * 2 > voters.length;
        assert.equal(new MajorityQuorum(voters).containsQuorum(ids), naive);
      }),
      { numRuns: 500 },
    );
  });

  it('quorumHighest is the largest value a majority has reached', () => {
    fc.assert(
      fc.property(ensembles.chain((voters) => fc.tuple(fc.constant(voters), fc.array(fc.tuple(fc.constantFrom(...voters), fc.nat(50))))), ([voters, pairs]) => {
        const values = new Map(pairs);
        const quorum = new MajorityQuorum(voters);
        const naiveHighest = Math.max(-1, ...[...values.values()].filter((v) => quorum.containsQuorum([...values].filter(([, w]) => w >= v).map(([id]) => id))));
        assert.equal(quorum.quorumHighest(values), naiveHighest);
      }),
      { numRuns: 500 },
    );
  });

  it('any two quorums intersect', () => {
    fc.assert(
      fc.property(ensembles, fc.func(fc.boolean()), fc.func(fc.boolean()), (voters, inFirst, inSecond) => {
        const quorum = new MajorityQuorum(voters);
        const first = voters.filter((id) => inFirst(id));
        const second = voters.filter((id) => inSecond(id));
        if (quorum.containsQuorum(first) && quorum.containsQuorum(second)) {
          assert.ok(first.some((id) => second.includes(id)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an empty or duplicated voter list', () => {
    assert.throws(() => new MajorityQuorum([]));
    assert.throws(() => new MajorityQuorum([1, 1]));
  });
});
