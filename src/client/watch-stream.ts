// A persistent watch as an async iterable: `for await (const event of zk.watch('/config'))`. Events
// are queued (bounded) until the consumer takes them; the stream ends when the consumer breaks out
// of the loop or calls close() (the watch is then removed), when the watch is removed, or when the
// session ends — normally on close(), with SessionExpiredError / AuthFailedError otherwise.
//
// One consumer at a time: the stream is an iterator over a single queue, not a broadcast.

import { limits } from '../util/index.js';
import { WatchQueueOverflowError } from './errors.js';
import type { ClientWatchEvent } from './types.js';

/** Defined in util/limits.ts with every other bound. */
export const watchStreamEventsQueuedMax = limits.watchStreamEventsQueuedMax;

export class WatchStream implements AsyncIterableIterator<ClientWatchEvent> {
  /** Resolves once the server has registered the watch; rejects (and the stream ends) if it refused. */
  readonly ready: Promise<void>;
  private readonly queue: ClientWatchEvent[] = [];
  private waiter: { resolve: (result: IteratorResult<ClientWatchEvent>) => void; reject: (error: unknown) => void } | undefined;
  private ended = false;
  private failure: unknown;
  private closing: Promise<void> | undefined;

  /**
   * @param register sends the addWatch with `deliver` as the watcher.
   * @param unregister removes the watcher (locally, and on the server when it was the last one).
   */
  constructor(
    register: (deliver: (event: ClientWatchEvent) => void) => Promise<void>,
    private readonly unregister: (deliver: (event: ClientWatchEvent) => void) => Promise<void>,
  ) {
    this.ready = register(this.deliver);
    this.ready.catch((error: unknown) => this.end(error));
  }

  /** The watcher handed to the client: bound once so the same function can be unregistered. */
  readonly deliver = (event: ClientWatchEvent): void => {
    if (this.ended) return;
    if (event.type === 'persistentWatchRemoved') {
      this.end();
      return;
    }
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.queue.length >= watchStreamEventsQueuedMax) {
      this.end(new WatchQueueOverflowError(watchStreamEventsQueuedMax, { path: event.path }));
      void this.close();
      return;
    }
    this.queue.push(event);
  };

  /** Ends the stream: queued events are still delivered, then the end (or the error). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }

  /** Stops watching: removes the watch and ends the stream. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.end();
      this.queue.length = 0;
      await this.unregister(this.deliver);
    })();
    return this.closing;
  }

  next(): Promise<IteratorResult<ClientWatchEvent>> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve({ value: queued, done: false });
    if (this.ended) {
      if (this.failure === undefined) return Promise.resolve({ value: undefined, done: true });
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.waiter !== undefined) return Promise.reject(new Error('a watch stream has one consumer at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** `break` in a for-await loop lands here: the watch is removed. */
  async return(): Promise<IteratorResult<ClientWatchEvent>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
