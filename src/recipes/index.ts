// Public entry of recipes/: coordination recipes built on the client's public API (docs/recipes.md).
export * from './barrier.js';
export * from './children-cache.js';
export * from './counter.js';
export * from './group-membership.js';
export * from './leader.js';
export { Lock, LockHandle, LockLostError, type AcquireOptions, type HoldState, type LockHandleEvents } from './lock.js';
export * from './node-cache.js';
export { ensurePath, writeBarrier } from './paths.js';
export * from './persistent-node.js';
export * from './queue.js';
export { ReadWriteLock } from './rw-lock.js';
export { Semaphore } from './semaphore.js';
export * from './service-discovery.js';
export * from './tree-cache.js';
