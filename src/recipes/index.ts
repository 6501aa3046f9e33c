// Public entry of recipes/: coordination recipes built on the client's public API.
export * from './children-cache.js';
export * from './group-membership.js';
export * from './node-cache.js';
