// Public entry of client/: the promise API, its types and typed errors, the retry policy, and the
// sans-I/O connection core for drivers other than Node sockets (and for the simulator).
export { ZooKeeperClient } from './zookeeper-client.js';
export { Transaction } from './transaction.js';
export { WatchStream, watchStreamEventsQueuedMax } from './watch-stream.js';
export * from './types.js';
export * from './errors.js';
export { defaultRetryPolicy, noRetry, retriesMaxLimit, retryDelayMs, type RetryPolicy } from './retry.js';
export { parseConnectString, defaultClientPort, type HostAddress, type ParsedConnectString } from './connect-string.js';
export type { Data } from './data-bytes.js';
export type { SocketFactory } from './node-driver.js';
export {
  ConnectionCore,
  type ConnectionCoreOptions,
  type CoreAction,
  type ProbeAnswer,
  type ReplyOutcome,
  type SubmitOptions,
  type WatchEvent,
  type WatchRegistration,
} from './connection-core.js';
