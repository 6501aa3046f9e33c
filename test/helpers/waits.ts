// Bounded waits for tests: every wait names what it waits for and gives up with an error.

import { once } from 'node:events';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles as `promise` does within `ms`, or rejects naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when `promise` has not settled after `ms`. */
export async function stillPending(promise: Promise<unknown>, ms = 200): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise.then(() => undefined, () => undefined), sleep(ms).then(() => marker)])) === marker;
}

/** Polls `condition` every 10 ms until it holds, or rejects naming `what` after `ms`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The first argument of the next `name` event of `emitter`, or rejects after `ms`. */
export async function nextEvent<T = unknown>(emitter: NodeJS.EventEmitter, name: string, ms = 5000): Promise<T> {
  const [value] = (await once(emitter, name, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
}
