// Public entry of proto/: ZooKeeper's wire and log records, codes, and the frame decoder.
export * from './constants.js';
export * from './jute.js';
export * from './data.js';
export * from './txn.js';
export * from './client.js';
export * from './client-requests.js';
export * from './client-responses.js';
export * from './frame-decoder.js';
export * from './quorum.js';
export * from './election-wire.js';
export * from './quorum-stream.js';
