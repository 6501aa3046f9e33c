// The bound on calls in flight: a counting semaphore whose waiters honour their AbortSignal and
// deadline, served in arrival order. Also the abortable pause used between retries.

interface Waiter {
  grant(): void;
}

export class Slots {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Resolves when a slot is taken; rejects with the signal's reason, or `timeoutError()` at the deadline. */
  acquire(signal: AbortSignal | undefined, deadline: number | undefined, timeoutError: () => Error): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.used < this.capacity && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          this.used++;
          resolve();
        },
      };
      if (deadline !== undefined) {
        timer = setTimeout(() => {
          leave();
          reject(timeoutError());
        }, Math.max(0, deadline - Date.now()));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    this.used--;
    const next = this.waiters[0];
    if (next !== undefined && this.used < this.capacity) next.grant();
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
