// The model-based test of the tree at scale (issue 14): the real DataTree, started with tiny
// capacities so every growable structure crosses its growth boundaries many times, against a naive
// model (tree-model.ts), through ~10^5 seeded txns in CI. Longer runs: `npm run soak:tree -- --seed S
// --count N --steps M` (scripts/tree-soak.mjs). A failure prints the seed and the command replaying it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode } from '../../src/proto/index.js';
import { DataTree, applyTxn, openAclUnsafe } from '../../src/tree/index.js';
import { runModel, tinyCapacity } from './tree-model-check.js';

describe('the tree against a naive model', () => {
  it('keeps every version of 2,000 creates with every third set once (the reproduction of issue 14)', () => {
    const tree = new DataTree();
    let zxid = 0x1_0000_0000;
    const header = (type: number) => ({ sessionId: 1n, cxid: 0, zxid: ++zxid, time: zxid, type });
    applyTxn(tree, header(OpCode.create), { type: OpCode.create, path: '/after', data: new Uint8Array(0), acl: [...openAclUnsafe], ephemeral: false, parentCVersion: 1 });
    for (let i = 0; i < 2000; i++) {
      const path = `/after/n${String(i).padStart(6, '0')}`;
      applyTxn(tree, header(OpCode.create), { type: OpCode.create, path, data: Buffer.from('v0'), acl: [...openAclUnsafe], ephemeral: false, parentCVersion: i + 1 });
    }
    for (let i = 0; i < 2000; i += 3) {
      applyTxn(tree, header(OpCode.setData), { type: OpCode.setData, path: `/after/n${String(i).padStart(6, '0')}`, data: Buffer.from('v1'), version: 1 });
    }
    const wrong: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const node = tree.getNode(`/after/n${String(i).padStart(6, '0')}`)!;
      const expected = i % 3 === 0 ? 1 : 0;
      if (node.version !== expected || Buffer.from(node.data!).toString() !== `v${expected}`) wrong.push(`n${i}: version ${node.version}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(tree.statOf(tree.getNode('/after')!).cversion, 2000);
  });

  it('keeps every field through 10^5 txns from tiny capacities (3 seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const report = await runModel({ seed, steps: 34_000, targetNodes: 3000, checkpointEvery: 8500 });
      assert.ok(report.maxNodes > 2500, `seed ${seed} grew the tree to ${report.maxNodes} nodes`);
      assert.ok(report.recoveries >= 4, `seed ${seed} recovered ${report.recoveries} times`);
    }
  });

  it('keeps every field through a tree of over 10,000 nodes with data near jute.maxbuffer', async () => {
    const report = await runModel({ seed: 42, steps: 40_000, targetNodes: 15_000, checkpointEvery: 20_000, hugeDataChance: 1 / 3000 });
    assert.ok(report.maxNodes > 10_000, `grew the tree to ${report.maxNodes} nodes`);
  });

  it('starts the stores tiny, so the runs above cross every growth boundary', () => {
    assert.deepEqual(tinyCapacity, { nodes: 2, statRecords: 1, childSlots: 2 });
  });
});
