// Retry policy: exponential backoff with bounds, for operations that are safe to send twice. Only a
// ConnectionLossError is retried (the request may or may not have been applied, and the session is
// still alive); every other error is an answer. The client applies a policy only to idempotent calls
// — reads, sync, and setData/delete/setACL with an explicit version — and never to create, multi,
// or an unconditional write, so a retry can never create a second node or apply a write twice.
//
// A retried conditional write can report the outcome of its own first attempt: a delete whose first
// attempt succeeded answers NoNode on the retry, a setData answers BadVersion. Callers of versioned
// writes already handle both.

import { limits } from '../util/index.js';
import { ConnectionLossError } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt; capped at retriesMaxLimit. */
  retriesMax: number;
  /** Pause before the first retry. */
  initialDelayMs: number;
  /** No pause is longer than this. */
  maxDelayMs: number;
  /** Growth of the pause per retry. Default 2. */
  multiplier?: number;
}

/** Defined in util/limits.ts with every other bound. */
export const retriesMaxLimit = limits.retriesMaxLimit;

export const defaultRetryPolicy: Readonly<RetryPolicy> = { retriesMax: 3, initialDelayMs: 100, maxDelayMs: 2000 };

export const noRetry: Readonly<RetryPolicy> = { retriesMax: 0, initialDelayMs: 0, maxDelayMs: 0 };

/**
 * The pause before retry number `retry` (0 for the first retry), or undefined when the policy allows
 * no more. Full jitter in [delay/2, delay] spreads the retries of many clients after one outage.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number): number | undefined {
  if (retry >= Math.min(policy.retriesMax, retriesMaxLimit)) return undefined;
  const base = policy.initialDelayMs * (policy.multiplier ?? 2) ** retry;
  const delay = Math.min(policy.maxDelayMs, base);
  return Math.floor(delay / 2 + (random() * delay) / 2);
}

/** Only a lost connection leaves the outcome unknown while the session lives on. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ConnectionLossError;
}
