// storage/'s PrefixChecksums on a thread of its own (checksum-thread.ts): while the main thread parses
// a snapshot, the second core sums it, and recovery checks the seals against the sums at the end
// (restart on 10^6 znodes: Adler-32 was ~12 % of it). One thread per file; it ends with the answer,
// or when cancelled.

import { Worker } from 'node:worker_threads';
import type { PrefixChecksums } from '../storage/index.js';

// Under tsx (scripts run from source) the thread is the .ts file; built, the .js beside this one.
const threadUrl = new URL(import.meta.url.endsWith('.ts') ? './checksum-thread.ts' : './checksum-thread.js', import.meta.url);

export const threadPrefixChecksums: PrefixChecksums = {
  start(path) {
    const worker = new Worker(threadUrl, { workerData: { path } });
    const failed = new Promise<never>((_resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the checksum thread for ${path} exited (code ${code}) before answering`)));
    });
    failed.catch(() => undefined);
    return {
      at: (offsets) => Promise.race([
        new Promise<number[]>((resolve) => {
          worker.once('message', resolve);
          worker.postMessage([...offsets]);
        }),
        failed,
      ]),
      cancel: async () => {
        await worker.terminate();
      },
    };
  },
};
