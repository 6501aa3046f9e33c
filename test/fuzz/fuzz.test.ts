// The fuzz targets in CI mode: each runs its `ciRuns` from a fresh random seed. A failure prints
// fast-check's counterexample and the command that replays it (`npm run fuzz -- --target … --seed …`).
// The long-running mode is `npm run fuzz -- --seconds N`; docs/testing.md ("Fuzzing") has both.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTargets, runTarget } from './targets.js';

describe('fuzzing (CI mode)', () => {
  for (const target of fuzzTargets) {
    it(`${target.name}: ${target.claim}`, async () => {
      const outcome = await runTarget(target, { numRuns: target.ciRuns });
      assert.ok(!outcome.failed, `${outcome.report}\nreplay: ${outcome.replay}`);
      assert.equal(outcome.runs, target.ciRuns);
    });
  }
});
