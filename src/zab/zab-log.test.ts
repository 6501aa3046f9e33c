// The log window against a naive model (an array filtered on every call, the window as it was before
// issue 16): random appends across epochs, TRUNCs, snapshot compactions, applies that trim to tiny
// bounds, SNAP resets, and every lookup at zxids in, between, below and above the window, checked
// after each step. Tiny bounds make the trimming, the emptying of the window and the copy-down of its
// arrays happen many times per run.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AssertionError, makeZxid, zxidCounter, zxidEpoch } from '../util/index.js';
import type { LogEntry, LogWindowBounds } from './types.js';
import { ZabLog } from './zab-log.js';

class NaiveLog {
  entries: LogEntry[] = [];

  constructor(public base: number) {}

  get last(): number {
    return this.entries.length === 0 ? this.base : this.entries[this.entries.length - 1]!.zxid;
  }

  has(zxid: number): boolean {
    return zxid === this.base || this.entries.some((entry) => entry.zxid === zxid);
  }

  floor(zxid: number): number {
    if (zxid < this.base) return -1;
    return this.entries.filter((entry) => entry.zxid <= zxid).reduce((_floor, entry) => entry.zxid, this.base);
  }

  range(after: number, upTo: number): LogEntry[] {
    return this.entries.filter((entry) => entry.zxid > after && entry.zxid <= upTo);
  }

  compact(zxid: number): void {
    if (zxid <= this.base) return;
    this.entries = this.entries.filter((entry) => entry.zxid > zxid);
    this.base = zxid;
  }

  /** Drops the oldest applied entries one by one while either bound is exceeded. */
  trimApplied(applied: number, bounds: LogWindowBounds): void {
    const appliedEntries = (): LogEntry[] => this.entries.filter((entry) => entry.zxid <= applied);
    const bytes = (entries: LogEntry[]): number => entries.reduce((sum, entry) => sum + entry.data.length, 0);
    while (appliedEntries().length > bounds.appliedTxnsMax || bytes(appliedEntries()) > bounds.appliedBytesMax) {
      this.base = this.entries.shift()!.zxid;
    }
  }
}

type Step =
  | { kind: 'append'; bytes: number }
  | { kind: 'newEpoch'; epochs: number; firstCounter: number; bytes: number }
  | { kind: 'truncate'; pick: number }
  | { kind: 'apply'; pick: number }
  | { kind: 'compact'; pick: number }
  | { kind: 'reset'; epochs: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('newEpoch' as const), epochs: fc.integer({ min: 1, max: 2 }), firstCounter: fc.integer({ min: 1, max: 4 }), bytes: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('apply' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), epochs: fc.nat(1) }) },
);

const boundsArbitrary: fc.Arbitrary<LogWindowBounds> = fc.oneof(
  fc.record({ appliedTxnsMax: fc.nat(4), appliedBytesMax: fc.nat(24) }),
  fc.constant({ appliedTxnsMax: Number.POSITIVE_INFINITY, appliedBytesMax: Number.POSITIVE_INFINITY }),
);

/** Zxids worth probing: every entry's, its neighbours, the base's, epoch starts, and outside the window. */
function probes(model: NaiveLog): number[] {
  const zxids = new Set([-1, 0, model.base - 1, model.base, model.base + 1, model.last + 1]);
  for (const { zxid } of model.entries) {
    for (const near of [zxid - 1, zxid, zxid + 1, makeZxid(zxidEpoch(zxid), 0), makeZxid(zxidEpoch(zxid) + 1, 0)]) zxids.add(near);
  }
  return [...zxids].filter((zxid) => zxid >= -1);
}

function checkAgainstModel(log: ZabLog, model: NaiveLog): void {
  assert.equal(log.baseZxid, model.base, 'baseZxid');
  assert.equal(log.lastZxid, model.last, 'lastZxid');
  assert.equal(log.length, model.entries.length, 'length');
  assert.equal(log.bytes, model.entries.reduce((sum, entry) => sum + entry.data.length, 0), 'bytes');
  assert.ok(log.slots <= 2 * log.length, `slots ${log.slots} for ${log.length} live entries`);
  assert.deepEqual(log.range(-1, Number.MAX_SAFE_INTEGER), model.entries, 'the whole window');
  const zxids = probes(model);
  for (const zxid of zxids) {
    assert.equal(log.has(zxid), model.has(zxid), `has(${zxid})`);
    assert.equal(log.get(zxid), model.entries.find((entry) => entry.zxid === zxid), `get(${zxid})`);
    assert.equal(log.floor(zxid), model.floor(zxid), `floor(${zxid})`);
  }
  for (let index = 0; index + 1 < zxids.length; index += 3) {
    const [after, upTo] = [zxids[index]!, zxids[(index * 7 + 1) % zxids.length]!];
    assert.deepEqual(log.range(after, upTo), model.range(after, upTo), `range(${after}, ${upTo})`);
  }
}

const data = (bytes: number): Uint8Array => new Uint8Array(bytes);
const history = (model: NaiveLog): number[] => [model.base, ...model.entries.map((entry) => entry.zxid)];

describe('log window (ZabLog) against a naive model', () => {
  it('agrees on every lookup through appends across epochs, TRUNC, compaction, trimming and SNAP, from tiny bounds', () => {
    const crossed = { trims: 0, copyDowns: 0, emptied: 0, truncations: 0, epochs: 0 };
    fc.assert(
      fc.property(boundsArbitrary, fc.array(stepArbitrary, { minLength: 1, maxLength: 150, size: 'max' }), (bounds, steps) => {
        const log = new ZabLog({ baseZxid: 0, bounds });
        const model = new NaiveLog(0);
        let applied = 0;
        for (const step of steps) {
          const last = model.last;
          const slotsBefore = log.slots;
          switch (step.kind) {
            case 'append': {
              const epoch = Math.max(1, zxidEpoch(last));
              const entry = { zxid: makeZxid(epoch, zxidEpoch(last) === epoch ? zxidCounter(last) + 1 : 1), data: data(step.bytes) };
              log.append(entry);
              model.entries.push(entry);
              break;
            }
            case 'newEpoch': {
              const entry = { zxid: makeZxid(zxidEpoch(last) + step.epochs, step.firstCounter), data: data(step.bytes) };
              log.append(entry);
              model.entries.push(entry);
              crossed.epochs += 1;
              break;
            }
            case 'truncate': {
              const zxids = history(model);
              const zxid = zxids[step.pick % zxids.length]!;
              log.truncateAfter(zxid);
              model.entries = model.entries.filter((entry) => entry.zxid <= zxid);
              applied = Math.min(applied, zxid);
              crossed.truncations += 1;
              break;
            }
            case 'apply': {
              const zxids = history(model);
              applied = Math.max(applied, zxids[step.pick % zxids.length]!);
              const lengthBefore = model.entries.length;
              log.trimApplied(applied);
              model.trimApplied(applied, bounds);
              if (model.entries.length < lengthBefore) crossed.trims += 1;
              break;
            }
            case 'compact': {
              // A snapshot of the applied state, as the core allows (zxid <= applied).
              const zxids = history(model).filter((zxid) => zxid <= applied);
              const zxid = zxids[step.pick % zxids.length] ?? model.base;
              log.compact(zxid);
              model.compact(zxid);
              break;
            }
            case 'reset': {
              const zxid = makeZxid(zxidEpoch(last) + step.epochs, step.epochs === 0 ? zxidCounter(last) : 3);
              log.reset(zxid);
              model.base = zxid;
              model.entries = [];
              applied = zxid;
              break;
            }
          }
          if (model.entries.length === 0) crossed.emptied += 1;
          if ((step.kind === 'apply' || step.kind === 'compact') && log.slots < slotsBefore) crossed.copyDowns += 1;
          checkAgainstModel(log, model);
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(crossed.trims > 400, `the bounds drop entries many times (${crossed.trims})`);
    assert.ok(crossed.copyDowns > 400, `the arrays are copied down many times (${crossed.copyDowns})`);
    assert.ok(crossed.emptied > 1000, `the window empties many times (${crossed.emptied})`);
    assert.ok(crossed.truncations > 500 && crossed.epochs > 1000, `TRUNCs (${crossed.truncations}) and new epochs (${crossed.epochs})`);
  });

  it('keeps every unapplied entry whatever the bounds, and the base counts as history', () => {
    const log = new ZabLog({ baseZxid: 0, bounds: { appliedTxnsMax: 1, appliedBytesMax: 1000 } });
    for (let counter = 1; counter <= 5; counter++) log.append({ zxid: makeZxid(1, counter), data: data(10) });
    log.trimApplied(makeZxid(1, 3));
    assert.deepEqual(log.range(-1, Number.MAX_SAFE_INTEGER).map((entry) => zxidCounter(entry.zxid)), [3, 4, 5]);
    assert.equal(log.baseZxid, makeZxid(1, 2));
    assert.ok(log.has(makeZxid(1, 2)) && !log.has(makeZxid(1, 1)));
    assert.equal(log.floor(makeZxid(1, 1)), -1, 'below the window: a learner there needs a SNAP');
  });

  it('drops an applied entry heavier than the byte bound by itself', () => {
    const log = new ZabLog({ baseZxid: 0, bounds: { appliedTxnsMax: 10, appliedBytesMax: 15 } });
    log.append({ zxid: makeZxid(1, 1), data: data(10) });
    log.append({ zxid: makeZxid(1, 2), data: data(20) });
    log.append({ zxid: makeZxid(2, 7), data: data(5) });
    log.trimApplied(makeZxid(2, 7));
    assert.deepEqual(log.range(-1, Number.MAX_SAFE_INTEGER).map((entry) => entry.zxid), [makeZxid(2, 7)]);
    assert.equal(log.bytes, 5);
  });

  it('refuses a zxid gap inside an epoch and a truncation to a zxid it does not have', () => {
    const log = new ZabLog({ baseZxid: 0, entries: [{ zxid: makeZxid(1, 1), data: data(0) }] });
    assert.throws(() => log.append({ zxid: makeZxid(1, 3), data: data(0) }), AssertionError);
    assert.throws(() => log.append({ zxid: makeZxid(2, 0), data: data(0) }), AssertionError);
    assert.throws(() => log.truncateAfter(makeZxid(1, 2)), AssertionError);
    assert.throws(() => log.compact(makeZxid(1, 2)), AssertionError);
  });
});
