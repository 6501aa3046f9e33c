// Public entry of tree/: the in-memory znode tree every replica applies txns to.
export * from './acl.js';
export * from './acl-cache.js';
export * from './apply-txn.js';
export * from './data-tree.js';
export * from './ephemeral-type.js';
export * from './path.js';
export * from './quota.js';
export * from './stats-track.js';
export * from './watch-manager.js';
