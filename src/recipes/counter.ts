// AtomicCounter: a signed 64-bit counter in one znode, updated by compare-and-set (setData with the
// version read), like Curator's DistributedAtomicLong (optimistic mode) and SharedCount.
//
// Format: the node's data is the value as 8 bytes, big-endian two's complement (Java's long, as
// Curator writes it), so Curator and this recipe can share a counter; empty data reads as 0. Values
// wrap at 64 bits like a Java long.
//
// Guarantees: every successful add() is applied exactly once, on top of the value it returns minus
// its delta (linearizable, via the znode version). Contention is retried a bounded number of times
// with jittered backoff; past it the call rejects with CounterContentionError and changed nothing.
// Writes are never retried after ConnectionLoss (a retried versioned write may answer for its own
// first attempt, which would make the counter count twice): such a call rejects with the
// ConnectionLossError, and whether it applied is unknown, as for any ZooKeeper write.

import { BadVersionError, NodeExistsError, NoNodeError, type ZooKeeperClient } from '../client/index.js';
import { ensurePath } from './paths.js';

/** Default bound on compare-and-set attempts for one add(); enough for tens of busy writers. */
export const counterAttemptsMaxDefault = 100;
/** Upper bound of the jittered pause between attempts, in milliseconds. */
const backoffMsMax = 50;
const valueBytes = 8;
/** Reads that may find the counter missing (and create it) before get/add give up with NoNodeError. */
const createAttemptsMax = 5;

/** add() (or increment) lost the compare-and-set race `attempts` times in a row; nothing changed. */
export class CounterContentionError extends Error {
  override name = 'CounterContentionError';
  readonly code = 'COUNTER_CONTENTION';
  constructor(readonly path: string, readonly attempts: number) {
    super(`counter ${path}: compare-and-set lost ${attempts} times`);
  }
}

/** The counter's node holds data that is not an 8-byte value. */
export class CounterFormatError extends Error {
  override name = 'CounterFormatError';
  readonly code = 'COUNTER_FORMAT';
  constructor(readonly path: string, readonly length: number) {
    super(`counter ${path}: expected ${valueBytes} bytes of data, found ${length}`);
  }
}

export interface AtomicCounterOptions {
  /** Compare-and-set attempts per add() before CounterContentionError. Default counterAttemptsMaxDefault. */
  attemptsMax?: number;
  /** Randomness for backoff jitter. Default Math.random. */
  random?: () => number;
}

export interface CounterUpdate {
  preValue: bigint;
  postValue: bigint;
}

export class AtomicCounter {
  private readonly attemptsMax: number;
  private readonly random: () => number;

  constructor(private readonly client: ZooKeeperClient, readonly path: string, options: AtomicCounterOptions = {}) {
    this.attemptsMax = options.attemptsMax ?? counterAttemptsMaxDefault;
    if (!Number.isInteger(this.attemptsMax) || this.attemptsMax < 1) throw new RangeError('attemptsMax must be a positive integer');
    this.random = options.random ?? Math.random;
  }

  /** The current value; 0 when the counter does not exist yet. */
  async get(): Promise<bigint> {
    try {
      return decodeCounterValue(this.path, (await this.client.getData(this.path)).data ?? new Uint8Array(0));
    } catch (error) {
      if (error instanceof NoNodeError) return 0n;
      throw error;
    }
  }

  async increment(): Promise<CounterUpdate> {
    return this.add(1n);
  }

  async decrement(): Promise<CounterUpdate> {
    return this.add(-1n);
  }

  /** Adds `delta` atomically; resolves to the values before and after this update. */
  async add(delta: bigint | number): Promise<CounterUpdate> {
    const amount = BigInt(delta);
    for (let attempt = 1; ; attempt++) {
      const current = await this.read();
      const next = BigInt.asIntN(64, current.value + amount);
      if (await this.trySet(next, current.version)) return { preValue: current.value, postValue: next };
      if (attempt >= this.attemptsMax) throw new CounterContentionError(this.path, attempt);
      await pause(this.random() * Math.min(backoffMsMax, 2 ** attempt));
    }
  }

  /** Sets `next` only if the value is `expected`; resolves whether it did. One attempt, no retries. */
  async compareAndSet(expected: bigint | number, next: bigint | number): Promise<boolean> {
    const current = await this.read();
    if (current.value !== BigInt(expected)) return false;
    return this.trySet(BigInt.asIntN(64, BigInt(next)), current.version);
  }

  /** Value and version; a missing node is created holding 0 (a concurrent creator wins harmlessly). */
  private async read(): Promise<{ value: bigint; version: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { data, stat } = await this.client.getData(this.path);
        return { value: decodeCounterValue(this.path, data ?? new Uint8Array(0)), version: stat.version };
      } catch (error) {
        // Created-but-missing again: deleted meanwhile, or another session's create not yet visible.
        if (!(error instanceof NoNodeError) || attempt > createAttemptsMax) throw error;
      }
      await this.create();
      if (attempt > 1) await pause(backoffMsMax);
    }
  }

  private async create(): Promise<void> {
    const slash = this.path.lastIndexOf('/');
    if (slash > 0) await ensurePath(this.client, this.path.slice(0, slash));
    try {
      await this.client.create(this.path, encodeCounterValue(0n));
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  private async trySet(value: bigint, version: number): Promise<boolean> {
    try {
      await this.client.setData(this.path, encodeCounterValue(value), { version, retry: false });
      return true;
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NoNodeError) return false;
      throw error;
    }
  }
}

export function encodeCounterValue(value: bigint): Uint8Array {
  const bytes = Buffer.alloc(valueBytes);
  bytes.writeBigInt64BE(BigInt.asIntN(64, value));
  return bytes;
}

export function decodeCounterValue(path: string, data: Uint8Array): bigint {
  if (data.length === 0) return 0n;
  if (data.length !== valueBytes) throw new CounterFormatError(path, data.length);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigInt64BE(0);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
