// The prefault thread (a worker) behind runtime/prefaulted-chunks.ts: for each count it is sent, it
// makes that many shared buffers of workerData.chunkBytes, writes one byte in every page of each (the
// page faults land on this thread, on the second core), and posts each buffer back as it is done.

import { parentPort, workerData } from 'node:worker_threads';

const pageBytes = 4096;
const { chunkBytes } = workerData as { chunkBytes: number };

parentPort!.on('message', (count: number) => {
  for (let made = 0; made < count; made++) {
    const buffer = new SharedArrayBuffer(chunkBytes);
    const bytes = new Uint8Array(buffer);
    for (let at = 0; at < chunkBytes; at += pageBytes) bytes[at] = 0;
    parentPort!.postMessage(buffer);
  }
});
