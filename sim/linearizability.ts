// A linearizability checker for recorded client histories (Wing & Gong's search with Lowe's
// memoisation, as Porcupine implements it). A history is a list of operations, each with the
// interval [call, return] in which it was outstanding; it is linearizable when each operation can be
// given a point inside its interval so that applying them in that order to the sequential model
// produces every recorded output. An operation that never returned (return = neverReturned) may
// take effect at any point after its call, or not at all; its output is unknown.
//
// Invariants of the search, per sub-history: calls and returns sit in one doubly linked list sorted
// by time (a call before a return at the same instant: touching intervals overlap); linearizing an
// operation lifts its two entries out of the list and backtracking puts them back in reverse order
// (dancing links); a (linearized set, model state) pair is explored at most once (the cache).
// The work is bounded by a step budget (deterministic) and an optional wall-clock deadline.

import { assert } from '../src/util/index.js';

/** One client operation as recorded by a history. */
export interface Operation<Input, Output> {
  clientId: number;
  input: Input;
  /** Absent for an operation that never returned. */
  output?: Output;
  /** When the client sent it. */
  call: number;
  /** When the client heard its outcome; `neverReturned` when it never did (lost, timed out, crashed). */
  return: number;
}

/** The `return` of an operation whose outcome the client never heard. */
export const neverReturned = Number.POSITIVE_INFINITY;

/** The sequential specification the history is checked against. States are never mutated. */
export interface Model<State, Input, Output> {
  init(): State;
  /**
   * The state after `input` produced `output` in `state`, or undefined when that output is impossible
   * there. `output` is undefined for an operation that never returned: any output is possible.
   */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** Equal states must give equal keys (memoisation). Default: JSON.stringify. */
  key?(state: State): string;
  /**
   * Independent sub-histories (P-compositionality: e.g. one per znode path), each made of the very
   * operation objects of `history`. Default: the whole history at once.
   */
  partition?(history: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /** One line for a violation report. Default: JSON of input and output. */
  describeOperation?(input: Input, output: Output | undefined): string;
}

/** Default search budget: about a second of work, and a cache of that many entries. */
export const checkStepsMaxDefault = 2_000_000;
/** Prefix operations printed in a violation report (the whole prefix is in the result). */
const reportPrefixLinesMax = 12;
/** Steps between two looks at the wall clock when a deadline is set. */
const deadlineCheckEverySteps = 256;

export interface CheckOptions {
  /** Search steps over all sub-histories (default checkStepsMaxDefault). Same history, same result. */
  maxSteps?: number;
  /** Wall-clock milliseconds; past it the answer is 'unknown' (not reproducible by a seed). */
  deadlineMs?: number;
}

/** An operation of the checked history and its index there. */
export interface IndexedOperation<Input, Output> {
  index: number;
  operation: Operation<Input, Output>;
}

export interface Unplaced<Input, Output> extends IndexedOperation<Input, Output> {
  /** 'rejected': the model refuses this output in `state`; 'dead-end': it accepts, but nothing completes the search after it. */
  reason: 'rejected' | 'dead-end';
}

export interface LinearizabilityViolation<State, Input, Output> {
  /** Which sub-history failed (in the order of model.partition) and how many operations it has. */
  partition: number;
  partitionSize: number;
  /** The linearizable prefix found that places the most completed operations, in linearization order. */
  prefix: IndexedOperation<Input, Output>[];
  /** The model state after the prefix. */
  state: State;
  /** The completed operation with the earliest return outside the prefix: it had to be placed next or sooner. */
  blocking: IndexedOperation<Input, Output>;
  /** Every operation that could come next after the prefix (called before `blocking` returned), and why it did not. */
  unplaced: Unplaced<Input, Output>[];
  /** A human-readable account of all the above. */
  text: string;
}

export interface CheckStats {
  steps: number;
  partitions: number;
  /** Sub-histories fully decided before the answer (smallest are searched first). */
  partitionsChecked: number;
}

export type CheckResult<State, Input, Output> =
  | { result: 'ok'; stats: CheckStats }
  | { result: 'violation'; stats: CheckStats; violation: LinearizabilityViolation<State, Input, Output> }
  | { result: 'unknown'; stats: CheckStats; reason: 'maxSteps' | 'deadline' };

export function checkLinearizability<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<State, Input, Output> {
  const indexOf = new Map<Operation<Input, Output>, number>();
  history.forEach((operation, index) => {
    assert(operation.call <= operation.return, `operation ${index} returns (${operation.return}) before its call (${operation.call})`);
    indexOf.set(operation, index);
  });
  const partitions = model.partition?.(history) ?? [history.slice()];
  const order = partitions.map((_, index) => index).sort((a, b) => partitions[a]!.length - partitions[b]!.length);
  const budget = new Budget(options);
  const stats: CheckStats = { steps: 0, partitions: partitions.length, partitionsChecked: 0 };
  for (const partition of order) {
    const operations = partitions[partition]!;
    const outcome = searchPartition(model, { operations, budget });
    stats.steps = budget.steps;
    if (outcome.kind === 'unknown') return { result: 'unknown', stats, reason: outcome.reason };
    stats.partitionsChecked++;
    if (outcome.kind === 'violation') {
      const violation = explain(model, { operations, prefix: outcome.prefix, partition, indexOf });
      return { result: 'violation', stats, violation };
    }
  }
  return { result: 'ok', stats };
}

class Budget {
  steps = 0;
  private readonly stepsMax: number;
  private readonly deadline: number;

  constructor(options: CheckOptions) {
    this.stepsMax = options.maxSteps ?? checkStepsMaxDefault;
    this.deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.deadlineMs;
  }

  /** Counts one step; the reason to stop, if the budget is spent. */
  spend(): 'maxSteps' | 'deadline' | undefined {
    this.steps++;
    if (this.steps > this.stepsMax) return 'maxSteps';
    if (this.steps % deadlineCheckEverySteps === 0 && performance.now() > this.deadline) return 'deadline';
    return undefined;
  }
}

interface Entry {
  /** Index of the operation in its sub-history. */
  operation: number;
  isCall: boolean;
  /** A call's return entry; null for a return, and for a call that never returned. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** The sorted call/return list behind a sentinel head. */
function buildEntries<Input, Output>(operations: readonly Operation<Input, Output>[]): Entry {
  const timed: { time: number; entry: Entry }[] = [];
  operations.forEach((operation, index) => {
    const returned = operation.return !== neverReturned;
    const match: Entry | null = returned ? { operation: index, isCall: false, match: null, prev: null, next: null } : null;
    timed.push({ time: operation.call, entry: { operation: index, isCall: true, match, prev: null, next: null } });
    if (match !== null) timed.push({ time: operation.return, entry: match });
  });
  timed.sort((a, b) => a.time - b.time || Number(b.entry.isCall) - Number(a.entry.isCall) || a.entry.operation - b.entry.operation);
  const head: Entry = { operation: -1, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const { entry } of timed) {
    entry.prev = last;
    last.next = entry;
    last = entry;
  }
  return head;
}

function unlink(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  entry.prev!.next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  unlink(call);
  if (call.match !== null) unlink(call.match);
}

/** Undoes the matching lift; lifts must be undone in reverse order. */
function unlift(call: Entry): void {
  if (call.match !== null) relink(call.match);
  relink(call);
}

/** Explored (linearized set, state) pairs, by a hash of both. */
class SeenCache {
  private readonly buckets = new Map<number, { bits: Uint32Array; stateKey: string }[]>();

  /** Records the pair; false if it was already there. */
  add(bits: Uint32Array, hash: { bits: number; stateKey: string }): boolean {
    const key = (hash.bits ^ Math.imul(stringHash(hash.stateKey), 0x9e3779b1)) >>> 0;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    for (const seen of bucket) {
      if (seen.stateKey === hash.stateKey && sameBits(seen.bits, bits)) return false;
    }
    bucket.push({ bits: bits.slice(), stateKey: hash.stateKey });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let word = 0; word < a.length; word++) if (a[word] !== b[word]) return false;
  return true;
}

function stringHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

/** A fixed pseudo-random word per operation; the XOR of those linearized hashes the set (Zobrist). */
function operationHash(operation: number): number {
  let z = Math.imul(operation + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

type SearchOutcome =
  | { kind: 'ok' }
  | { kind: 'violation'; prefix: number[] }
  | { kind: 'unknown'; reason: 'maxSteps' | 'deadline' };

function searchPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  run: { operations: readonly Operation<Input, Output>[]; budget: Budget },
): SearchOutcome {
  const { operations, budget } = run;
  const stateKey = (state: State): string => (model.key === undefined ? JSON.stringify(state) : model.key(state));
  const head = buildEntries(operations);
  const bits = new Uint32Array(Math.ceil(operations.length / 32));
  const cache = new SeenCache();
  const calls: { entry: Entry; state: State; bitsHash: number }[] = [];
  const returnsTotal = operations.filter((operation) => operation.return !== neverReturned).length;
  let returnsLeft = returnsTotal;
  let state = model.init();
  let bitsHash = 0;
  // The prefix that placed the most completed operations (it ends with one: no trailing noise).
  let longest: number[] = [];
  let longestCompleted = 0;
  let entry = head.next;
  while (returnsLeft > 0) {
    const stop = budget.spend();
    if (stop !== undefined) return { kind: 'unknown', reason: stop };
    assert(entry !== null, 'a return entry remains after every tried call');
    if (!entry.isCall) {
      // The earliest outstanding return: nothing linearized so far lets it be placed. Backtrack.
      const top = calls.pop();
      if (top === undefined) return { kind: 'violation', prefix: longest };
      ({ state, bitsHash } = top);
      bits[top.entry.operation >> 5]! &= ~(1 << (top.entry.operation & 31));
      if (top.entry.match !== null) returnsLeft++;
      unlift(top.entry);
      entry = top.entry.next;
      continue;
    }
    const operation = operations[entry.operation]!;
    const next = model.step(state, operation.input, operation.return === neverReturned ? undefined : operation.output);
    if (next === undefined) {
      entry = entry.next;
      continue;
    }
    bits[entry.operation >> 5]! |= 1 << (entry.operation & 31);
    const nextBitsHash = (bitsHash ^ operationHash(entry.operation)) >>> 0;
    if (!cache.add(bits, { bits: nextBitsHash, stateKey: stateKey(next) })) {
      bits[entry.operation >> 5]! &= ~(1 << (entry.operation & 31));
      entry = entry.next;
      continue;
    }
    calls.push({ entry, state, bitsHash });
    state = next;
    bitsHash = nextBitsHash;
    if (entry.match !== null) returnsLeft--;
    if (returnsTotal - returnsLeft > longestCompleted) {
      longestCompleted = returnsTotal - returnsLeft;
      longest = calls.map((call) => call.entry.operation);
    }
    lift(entry);
    entry = head.next;
  }
  return { kind: 'ok' };
}

function explain<State, Input, Output>(
  model: Model<State, Input, Output>,
  failure: { operations: readonly Operation<Input, Output>[]; prefix: number[]; partition: number; indexOf: Map<Operation<Input, Output>, number> },
): LinearizabilityViolation<State, Input, Output> {
  const { operations, prefix, partition, indexOf } = failure;
  const indexed = (operation: number): IndexedOperation<Input, Output> => ({ index: indexOf.get(operations[operation]!)!, operation: operations[operation]! });
  const outputOf = (operation: Operation<Input, Output>): Output | undefined => (operation.return === neverReturned ? undefined : operation.output);
  let state = model.init();
  for (const operation of prefix) state = model.step(state, operations[operation]!.input, outputOf(operations[operation]!))!;
  const placed = new Set(prefix);
  const rest = operations.map((_, operation) => operation).filter((operation) => !placed.has(operation));
  let blocking = -1;
  for (const operation of rest) {
    const candidate = operations[operation]!;
    if (candidate.return !== neverReturned && (blocking < 0 || candidate.return < operations[blocking]!.return)) blocking = operation;
  }
  assert(blocking >= 0, 'a failed search leaves a completed operation unplaced');
  const deadline = operations[blocking]!.return;
  const unplaced = rest.filter((operation) => operations[operation]!.call <= deadline).map((operation): Unplaced<Input, Output> => {
    const rejected = model.step(state, operations[operation]!.input, outputOf(operations[operation]!)) === undefined;
    return { ...indexed(operation), reason: rejected ? 'rejected' : 'dead-end' };
  });
  const violation = { partition, partitionSize: operations.length, prefix: prefix.map(indexed), state, blocking: indexed(blocking), unplaced };
  return { ...violation, text: formatViolation(model, violation) };
}

function formatViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  violation: Omit<LinearizabilityViolation<State, Input, Output>, 'text'>,
): string {
  const line = ({ index, operation }: IndexedOperation<Input, Output>): string => {
    const output = operation.return === neverReturned ? undefined : operation.output;
    const what = model.describeOperation?.(operation.input, output) ?? `${JSON.stringify(operation.input)} -> ${output === undefined ? '?' : JSON.stringify(output)}`;
    const returned = operation.return === neverReturned ? 'never returned' : String(operation.return);
    return `#${index} client ${operation.clientId} [${operation.call}, ${returned}] ${what}`;
  };
  const { prefix, state, blocking, unplaced } = violation;
  const shown = prefix.slice(-reportPrefixLinesMax);
  const reasons = { rejected: 'the model rejects this output here', 'dead-end': 'accepted, but no linearization of the rest follows' };
  return [
    `not linearizable: sub-history ${violation.partition} (${violation.partitionSize} operations)`,
    `longest linearizable prefix: ${prefix.length} operations${shown.length < prefix.length ? `, the last ${shown.length}:` : ':'}`,
    ...shown.map((operation) => `  ${line(operation)}`),
    `state after it: ${model.key === undefined ? JSON.stringify(state) : model.key(state)}`,
    `must be placed before it returns: ${line(blocking)}`,
    'could not place:',
    ...unplaced.map((operation) => `  ${line(operation)}: ${reasons[operation.reason]}`),
  ].join('\n');
}
