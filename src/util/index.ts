export * from './assert.js';
export * as limits from './limits.js';
export * from './zxid.js';
