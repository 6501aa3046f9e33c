// Runs one call of the promise API through the connection: waits for room under the outstanding
// bound, submits, and waits for the outcome, the caller's AbortSignal or the deadline; on
// ConnectionLoss an idempotent call is retried by the retry policy within the same deadline. A call
// given up (abort, timeout) is cancelled in the core, so a late reply is discarded.

import type { Request, Response } from '../proto/index.js';
import type { ReplyOutcome, WatchRegistration } from './core-types.js';
import { AuthFailedError, ClientClosedError, errorForCode, OperationTimeoutError, SessionExpiredError, type ZooKeeperError } from './errors.js';
import type { NodeDriver } from './node-driver.js';
import { isRetryable, retryDelayMs, type RetryPolicy } from './retry.js';
import { abortableSleep, type Slots } from './slots.js';
import type { CallOptions, Watcher } from './types.js';

/** A call waiting for its reply: the core's token. */
export interface Call {
  settle(outcome: ReplyOutcome): void;
}

export interface CallSpec {
  request: Request;
  /** For errors: the path the caller named. */
  path: string | undefined;
  idempotent: boolean;
  watch?: WatchRegistration<Watcher>;
  removal?: { path: string; watcherType: number };
}

export interface CallRunnerOptions {
  driver: NodeDriver<Call, Watcher>;
  slots: Slots;
  retryPolicy: RetryPolicy | false;
  random: () => number;
  requestTimeoutMs: number | undefined;
}

export class CallRunner {
  constructor(private readonly options: CallRunnerOptions) {}

  /** One call: attempts, with retries on ConnectionLoss for idempotent calls, within the deadline. */
  async run(spec: CallSpec, options: CallOptions): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const policy = spec.idempotent ? (options.retry ?? this.options.retryPolicy) : false;
    for (let retry = 0; ; retry++) {
      try {
        return await this.attempt(spec, options.signal, deadline);
      } catch (error) {
        const delay = policy === false || !isRetryable(error) ? undefined : retryDelayMs(policy, retry, this.options.random);
        if (delay === undefined || (deadline !== undefined && Date.now() + delay >= deadline)) throw error;
        await abortableSleep(delay, options.signal);
      }
    }
  }

  private async attempt(spec: CallSpec, signal: AbortSignal | undefined, deadline: number | undefined): Promise<Response> {
    if (this.options.driver.core.isFinal) throw this.finalError();
    await this.options.slots.acquire(signal, deadline, () => new OperationTimeoutError({ path: spec.path }));
    try {
      const outcome = await this.waitFor({ deadline, signal, path: spec.path }, (call) =>
        this.options.driver.submit(spec.request, { token: call, watch: spec.watch, removal: spec.removal }),
      );
      if (!outcome.ok) throw this.errorFor(outcome, spec.path);
      return outcome.response;
    } finally {
      this.options.slots.release();
    }
  }

  /** Hands a Call to `send` and waits for its outcome, the signal, or the deadline (or timeoutMs). */
  waitFor(
    options: { deadline: number | undefined; signal?: AbortSignal; timeoutMs?: number; path: string | undefined },
    send: (call: Call) => void,
  ): Promise<ReplyOutcome> {
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const until = options.deadline ?? (options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs);
    return new Promise<ReplyOutcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const call: Call = { settle: (outcome) => finish(() => resolve(outcome)) };
      const onAbort = (): void => finish(() => reject(signal?.reason), true);
      const finish = (complete: () => void, cancel = false): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        call.settle = () => undefined;
        if (cancel) this.options.driver.cancel(call);
        complete();
      };
      if (until !== undefined) {
        const timedOut = (): void => finish(() => reject(new OperationTimeoutError({ path: options.path })), true);
        timer = setTimeout(timedOut, Math.max(0, until - Date.now()));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      send(call);
    });
  }

  errorFor(outcome: Extract<ReplyOutcome, { ok: false }>, path: string | undefined): ZooKeeperError {
    if (outcome.closed === true) return new ClientClosedError({ path });
    return errorForCode(outcome.err, { path });
  }

  finalError(): ZooKeeperError {
    const state = this.options.driver.core.state;
    if (state === 'expired') return new SessionExpiredError();
    if (state === 'authFailed') return new AuthFailedError();
    return new ClientClosedError();
  }
}
