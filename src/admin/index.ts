// Public entry of admin/: four-letter words (and later the HTTP admin and metrics).
export * from './four-letter-words.js';
export type { FourLetterAsker, ProcessMemory, ServerProcess } from './server-process.js';
