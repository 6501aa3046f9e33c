// Public entry of storage/: ZooKeeper-format txn log and snapshots, recovery, retention, epochs, all
// through the FileSystem interface (the real one, with fsync, is runtime/node-file-system.ts).
export * from './adler32.js';
export * from './data-dir.js';
export * from './epoch-files.js';
export * from './file-system.js';
export * from './memory-file-system.js';
export * from './purge.js';
export * from './recovery.js';
export * from './replay.js';
export * from './replica-recovery.js';
export * from './snapshot-reader.js';
export * from './snapshot-writer.js';
export * from './storage-errors.js';
export * from './txn-log.js';
export * from './txn-log-format.js';
export * from './txn-log-reader.js';
