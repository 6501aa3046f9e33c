// Public entry of proto/: ZooKeeper's wire and log records, codes, and the frame decoder.
export * from './constants.js';
export * from './jute.js';
export * from './data.js';
export * from './txn.js';
