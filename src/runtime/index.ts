// Public entry of runtime/: the only layer with sockets, files, timers and the wall clock.
export * from './standalone-server.js';
export * from './zoo-cfg.js';
export * from './peer-socket.js';
export * from './election-connections.js';
export * from './quorum-connection.js';
export * from './ensemble-config.js';
export * from './ensemble-member.js';
export { type AdminSettings, adminSettings, prometheusProviderClass } from './admin-config.js';
export type { RunningAdmin } from './admin-runtime.js';
export * from './cluster.js';
