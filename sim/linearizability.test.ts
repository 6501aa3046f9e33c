import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkLinearizability, neverReturned, type CheckResult, type Model, type Operation } from './linearizability.js';
import { Prng } from './prng.js';
import { applyZk, zkModel, type ZkInput, type ZkOperation, type ZkOutput, type ZkState, type Znode } from './zk-model.js';

type ZkResult = CheckResult<ZkState, ZkInput, ZkOutput>;

const paths = ['/a', '/b', '/c'];

/** What the generator drew for one operation; its linearization point is 10 * its position + 5. */
interface Draw {
  input: ZkInput;
  /** How far the interval reaches before and after the linearization point. */
  before: number;
  after: number;
  /** 'pending': took effect, the client never heard; 'lost': never took effect nor returned. */
  fate: 'returned' | 'pending' | 'lost';
}

const inputArbitrary: fc.Arbitrary<ZkInput> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), path: fc.constantFrom(...paths), data: fc.constant('') }),
  fc.record({ kind: fc.constant('setData' as const), path: fc.constantFrom(...paths), data: fc.constant(''), expectedVersion: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths), expectedVersion: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ kind: fc.constant('getData' as const), path: fc.constantFrom(...paths) }),
  fc.record({ kind: fc.constant('getData' as const), path: fc.constantFrom(...paths) }),
);

const drawArbitrary: fc.Arbitrary<Draw> = fc.record({
  input: inputArbitrary,
  before: fc.integer({ min: 0, max: 40 }),
  after: fc.integer({ min: 0, max: 40 }),
  fate: fc.constantFrom<Draw['fate']>('returned', 'returned', 'returned', 'returned', 'returned', 'returned', 'pending', 'lost'),
});

interface Generated {
  history: ZkOperation[];
  /** The node each operation left behind in the sequential run (undefined: no node, or no effect). */
  nodeAfter: (Znode | undefined)[];
}

/** Runs the draws sequentially through the model, then widens each point into its interval. */
function linearizableHistory(draws: readonly Draw[]): Generated {
  let state: ZkState = new Map();
  const history: ZkOperation[] = [];
  const nodeAfter: (Znode | undefined)[] = [];
  draws.forEach((draw, position) => {
    // Unique data per write: a value read names the one write that produced it.
    const input: ZkInput = 'data' in draw.input ? { ...draw.input, data: `d${position}` } : draw.input;
    const point = 10 * position + 5;
    const call = point - draw.before;
    if (draw.fate === 'lost') {
      history.push({ clientId: position % 7, input, call, return: neverReturned });
      nodeAfter.push(undefined);
      return;
    }
    const applied = applyZk(state, input);
    state = applied.state;
    nodeAfter.push(state.get(input.path));
    if (draw.fate === 'pending') history.push({ clientId: position % 7, input, call, return: neverReturned });
    else history.push({ clientId: position % 7, input, output: applied.output, call, return: point + draw.after });
  });
  return { history, nodeAfter };
}

const succeeded = (operation: ZkOperation): boolean =>
  operation.return !== neverReturned && operation.input.kind !== 'getData'
  && (typeof operation.output === 'object' || operation.output === 'ok');

/**
 * A completed read made stale: it returns what `older` wrote although `newer` overwrote it and
 * returned before the read was called, and `older` returned before `newer` was called.
 */
function staleRead(generated: Generated): ZkOperation[] | undefined {
  const { history, nodeAfter } = generated;
  const completed = (operation: ZkOperation): boolean => operation.return !== neverReturned;
  for (const [readIndex, read] of history.entries()) {
    if (read.input.kind !== 'getData' || !completed(read)) continue;
    const path = read.input.path;
    for (const newer of history) {
      if (newer.input.path !== path || !succeeded(newer) || newer.return >= read.call) continue;
      const olderIndex = history.findIndex((older, index) => older.input.path === path && succeeded(older)
        && older.return < newer.call && nodeAfter[index] !== undefined && older.input.kind !== 'delete');
      if (olderIndex < 0) continue;
      const mutated = history.slice();
      mutated[readIndex] = { ...read, output: nodeAfter[olderIndex]! };
      return mutated;
    }
  }
  return undefined;
}

const flatZkModel: Model<ZkState, ZkInput, ZkOutput> = { init: zkModel.init, step: zkModel.step, key: zkModel.key! };

function check(history: readonly ZkOperation[], maxSteps?: number): ZkResult {
  return checkLinearizability(zkModel, history, maxSteps === undefined ? {} : { maxSteps });
}

function violation(result: ZkResult): Extract<ZkResult, { result: 'violation' }>['violation'] {
  assert.equal(result.result, 'violation');
  return (result as Extract<ZkResult, { result: 'violation' }>).violation;
}

describe('linearizability checker: generated histories', () => {
  it('accepts every history widened from a sequential run, per path and whole', () => {
    fc.assert(fc.property(fc.array(drawArbitrary, { minLength: 1, maxLength: 40 }), (draws) => {
      const { history } = linearizableHistory(draws);
      assert.equal(check(history).result, 'ok');
      assert.equal(checkLinearizability(flatZkModel, history).result, 'ok');
    }), { numRuns: 300 });
  });

  it('rejects such a history once a read returns a value overwritten before it was called', () => {
    let mutatedRuns = 0;
    fc.assert(fc.property(fc.array(drawArbitrary, { minLength: 8, maxLength: 40 }), (draws) => {
      const mutated = staleRead(linearizableHistory(draws));
      fc.pre(mutated !== undefined);
      mutatedRuns++;
      assert.equal(check(mutated).result, 'violation');
      // Unpartitioned, a violation means trying every interleaving of the other paths: bounded, never 'ok'.
      assert.notEqual(checkLinearizability(flatZkModel, mutated, { maxSteps: 5000 }).result, 'ok');
    }), { numRuns: 200 });
    assert.ok(mutatedRuns >= 100, `only ${mutatedRuns} histories had a read to make stale`);
  });
});

type RegisterInput = { kind: 'put'; value: number } | { kind: 'get' };

const registerModel: Model<number, RegisterInput, number> = {
  init: () => 0,
  step: (state, input, output) => {
    if (input.kind === 'put') return input.value;
    return output === undefined || output === state ? state : undefined;
  },
  key: String,
};

describe('linearizability checker: registers (Porcupine\'s README examples)', () => {
  it('accepts two reads concurrent with a write, one before it and one after it', () => {
    const history: Operation<RegisterInput, number>[] = [
      { clientId: 0, input: { kind: 'put', value: 100 }, output: 0, call: 0, return: 100 },
      { clientId: 1, input: { kind: 'get' }, output: 100, call: 25, return: 75 },
      { clientId: 2, input: { kind: 'get' }, output: 0, call: 30, return: 60 },
    ];
    assert.equal(checkLinearizability(registerModel, history).result, 'ok');
  });

  it('rejects a read of the old value that starts after another read saw the new one', () => {
    const history: Operation<RegisterInput, number>[] = [
      { clientId: 0, input: { kind: 'put', value: 200 }, output: 0, call: 0, return: 100 },
      { clientId: 1, input: { kind: 'get' }, output: 200, call: 10, return: 30 },
      { clientId: 2, input: { kind: 'get' }, output: 0, call: 40, return: 90 },
    ];
    const result = checkLinearizability(registerModel, history);
    assert.equal(result.result, 'violation');
    const report = (result as Extract<typeof result, { result: 'violation' }>).violation;
    assert.deepEqual(report.blocking.index, 2);
    assert.match(report.text, /#2 client 2 \[40, 90\] \{"kind":"get"\} -> 0: the model rejects this output here/);
  });
});

const create = (data: string, times: { call: number; return: number }, output: ZkOutput = 'ok'): ZkOperation =>
  ({ clientId: 0, input: { kind: 'create', path: '/a', data }, output, ...times });
const setData = (data: string, times: { call: number; return: number }, output?: ZkOutput): ZkOperation =>
  ({ clientId: 1, input: { kind: 'setData', path: '/a', data, expectedVersion: -1 }, ...(output === undefined ? {} : { output }), ...times });
const getData = (output: ZkOutput, times: { call: number; return: number }): ZkOperation =>
  ({ clientId: 2, input: { kind: 'getData', path: '/a' }, output, ...times });

describe('linearizability checker: operations that never returned', () => {
  it('lets a read observe a create whose client never heard back', () => {
    const history = [
      { clientId: 0, input: { kind: 'create', path: '/a', data: 'x' } as ZkInput, call: 0, return: neverReturned },
      getData({ data: 'x', version: 0 }, { call: 10, return: 20 }),
    ];
    assert.equal(check(history).result, 'ok');
  });

  it('lets a write that never returned take no effect at all', () => {
    const history = [
      create('x', { call: 0, return: 1 }),
      setData('y', { call: 5, return: neverReturned }),
      getData({ data: 'x', version: 0 }, { call: 10, return: 20 }),
      getData({ data: 'x', version: 0 }, { call: 30, return: 40 }),
    ];
    assert.equal(check(history).result, 'ok');
  });

  it('rejects a write that never returned being seen and then unseen', () => {
    const history = [
      create('x', { call: 0, return: 1 }),
      setData('y', { call: 2, return: neverReturned }),
      getData({ data: 'y', version: 1 }, { call: 10, return: 20 }),
      getData({ data: 'x', version: 0 }, { call: 30, return: 40 }),
    ];
    assert.equal(violation(check(history)).blocking.index, 3);
  });

  it('rejects a read of a write that was only called after the read returned', () => {
    const history = [
      create('x', { call: 0, return: 1 }),
      getData({ data: 'y', version: 1 }, { call: 2, return: 3 }),
      setData('y', { call: 5, return: neverReturned }),
    ];
    const report = violation(check(history));
    assert.deepEqual(report.unplaced.map(({ index, reason }) => ({ index, reason })), [{ index: 1, reason: 'rejected' }]);
  });
});

describe('linearizability checker: violations and their report', () => {
  it('reports a lost acknowledged write: its prefix, the state after it and the read that cannot be placed', () => {
    const history = [
      create('x', { call: 0, return: 10 }),
      setData('y', { call: 20, return: 30 }, { version: 1 }),
      getData({ data: 'x', version: 0 }, { call: 40, return: 50 }),
    ];
    const report = violation(check(history));
    assert.deepEqual(report.prefix.map(({ index }) => index), [0, 1]);
    assert.equal(zkModel.key!(report.state), '/a=v1:"y"');
    assert.equal(report.blocking.index, 2);
    assert.deepEqual(report.unplaced.map(({ index, reason }) => ({ index, reason })), [{ index: 2, reason: 'rejected' }]);
    assert.match(report.text, /must be placed before it returns: #2 client 2 \[40, 50\] getData \/a -> "x" v0/);
  });

  it('rejects two conditional setData on the same version that both succeed', () => {
    const conditional = (data: string, call: number): ZkOperation =>
      ({ clientId: call, input: { kind: 'setData', path: '/a', data, expectedVersion: 0 }, output: { version: 1 }, call, return: call + 10 });
    const report = violation(check([create('x', { call: 0, return: 1 }), conditional('p', 10), conditional('q', 12)]));
    assert.equal(report.prefix.length, 2);
    assert.ok(report.unplaced.some(({ reason }) => reason === 'rejected'));
  });

  it('names operations by their index in the whole history when one path of several fails', () => {
    const onB = (operation: ZkOperation): ZkOperation => ({ ...operation, input: { ...operation.input, path: '/b' } });
    const history = [
      create('x', { call: 0, return: 10 }),
      onB(create('x', { call: 0, return: 10 })),
      setData('y', { call: 20, return: 30 }, { version: 1 }),
      onB(setData('y', { call: 20, return: 30 }, { version: 1 })),
      getData({ data: 'y', version: 1 }, { call: 40, return: 50 }),
      onB(getData({ data: 'x', version: 0 }, { call: 40, return: 50 })),
    ];
    const result = check(history);
    const report = violation(result);
    assert.equal(report.blocking.index, 5);
    assert.equal(report.partitionSize, 3);
    assert.equal(result.stats.partitions, 2);
  });
});

/** 10 clients, each with one operation outstanding at a time, over `pathCount` paths. */
function busyHistory(options: { seed: number; operations: number; pathCount: number }): ZkOperation[] {
  const random = new Prng(options.seed);
  const clients = 10;
  const clock = Array.from({ length: clients }, () => random.int(0, 20));
  const timed: { point: number; operation: ZkOperation }[] = [];
  for (let index = 0; index < options.operations; index++) {
    const clientId = index % clients;
    const call = clock[clientId]!;
    const returnTime = call + random.int(1, 60);
    clock[clientId] = returnTime + random.int(0, 10);
    const path = `/p${random.int(0, options.pathCount - 1)}`;
    const input: ZkInput = random.pick<ZkInput>([
      { kind: 'create', path, data: `d${index}` },
      { kind: 'setData', path, data: `d${index}`, expectedVersion: random.int(-1, 3) },
      { kind: 'delete', path, expectedVersion: -1 },
      { kind: 'getData', path },
      { kind: 'getData', path },
    ]);
    timed.push({ point: random.int(call, returnTime), operation: { clientId, input, call, return: returnTime } });
  }
  timed.sort((a, b) => a.point - b.point);
  let state: ZkState = new Map();
  for (const { operation } of timed) {
    const applied = applyZk(state, operation.input);
    state = applied.state;
    operation.output = applied.output;
  }
  return timed.map(({ operation }) => operation);
}

describe('linearizability checker: bounds', () => {
  it('checks 2,000 operations of 10 clients in well under a few seconds, on 5 paths and on one', () => {
    for (const pathCount of [5, 1]) {
      const history = busyHistory({ seed: pathCount, operations: 2000, pathCount });
      const started = performance.now();
      const result = check(history);
      const elapsedMs = performance.now() - started;
      assert.equal(result.result, 'ok');
      assert.ok(elapsedMs < 2000, `${pathCount} path(s): ${elapsedMs.toFixed(0)} ms, ${result.stats.steps} steps`);
    }
  });

  it('answers unknown, not ok, when the step budget or the deadline runs out', () => {
    const history = busyHistory({ seed: 3, operations: 2000, pathCount: 5 });
    const tiny = check(history, 10);
    assert.equal(tiny.result, 'unknown');
    assert.equal(tiny.result === 'unknown' && tiny.reason, 'maxSteps');
    assert.equal(tiny.stats.steps, 11);
    const late = checkLinearizability(zkModel, history, { deadlineMs: 0 });
    assert.equal(late.result === 'unknown' && late.reason, 'deadline');
  });

  it('gives the same answer and step count for the same history and budget', () => {
    const history = busyHistory({ seed: 9, operations: 500, pathCount: 2 });
    assert.deepEqual(check(history, 5000), check(history, 5000));
  });
});
