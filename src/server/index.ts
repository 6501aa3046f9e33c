// Public entry of server/: the request pipeline (prep → persist → final) as a deterministic core.
export * from './config.js';
export * from './client-connection.js';
export * from './client-frames.js';
export * from './learner-payloads.js';
export * from './connection-stats.js';
export * from './output-budget.js';
export * from './server-core.js';
export * from './server-stats.js';
export * from './session-tracker.js';
export * from './session-password.js';
export { PendingChanges, committedRecordOf, type NodeRecord } from './pending-changes.js';
export { type PrepContext, type PrepOutcome, type WriteRequest, failedWriteTxn, prepareCloseSession, prepareWrite } from './prep.js';
export * from './replica.js';
export * from './digest-comparison.js';
export * from './member-view.js';
