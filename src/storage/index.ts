// Public entry of storage/: ZooKeeper-format txn log and snapshots, recovery, retention, epochs.
export * from './adler32.js';
export * from './data-dir.js';
export * from './epoch-files.js';
export * from './file-system.js';
export * from './memory-file-system.js';
export * from './purge.js';
export * from './recovery.js';
export * from './snapshot-format.js';
export * from './storage-errors.js';
export * from './txn-log.js';
export * from './txn-log-format.js';
