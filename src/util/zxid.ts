// zxid helpers. A zxid is epoch(32 bits) | counter(32 bits). Meerkat keeps zxids as JavaScript numbers
// on hot paths (no BigInt), which is exact while the epoch is below 2^21: asserted where zxids are made.

import { assert } from './assert.js';

const counterSpan = 0x1_0000_0000;

/** Largest epoch representable exactly in a double-precision zxid. */
export const epochMax = 2 ** 21 - 1;

export function makeZxid(epoch: number, counter: number): number {
  assert(epoch >= 0 && epoch <= epochMax, `epoch out of range: ${epoch}`);
  assert(counter >= 0 && counter < counterSpan, `zxid counter out of range: ${counter}`);
  return epoch * counterSpan + counter;
}

export function zxidEpoch(zxid: number): number {
  return Math.floor(zxid / counterSpan);
}

export function zxidCounter(zxid: number): number {
  return zxid % counterSpan;
}

/** ZooKeeper prints zxids as 0x-prefixed lower-case hex, and names files with them (no prefix). */
export function zxidToHex(zxid: number): string {
  return zxid.toString(16);
}
