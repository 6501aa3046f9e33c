// Public entry of admin/: four-letter words, the AdminServer's commands over HTTP, and metrics.
export * from './four-letter-words.js';
export * from './admin-commands.js';
export * from './admin-server.js';
export { JavaDouble, type Json, type JsonObject, writeJson } from './json-writer.js';
export type { FourLetterAsker, ProcessMemory, ServerProcess } from './server-process.js';
export { ServerMetrics } from './metrics.js';
