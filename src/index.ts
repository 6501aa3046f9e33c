// The `meerkat` package's public entry: start a server in-process (like Curator's TestingServer),
// and the TypeScript client.
export { startServer, type RunningServer, type StartServerOptions } from './runtime/index.js';
export { type ServerConfig, defaultConfig } from './server/index.js';
export * from './client/index.js';
export * from './recipes/index.js';
