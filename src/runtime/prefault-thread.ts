// The prefault thread (a worker) behind runtime/prefaulted-memory.ts. A count: make that many shared
// buffers of workerData.chunkBytes, write one byte in every page of each, and post each back as it is
// done. A shared buffer and a byte count: the loading thread is already using the buffer, so touch
// each page of its first `bytes` with an atomic add of 0, which leaves whatever that thread wrote. Either way the page faults land here, on the
// second core.

import { parentPort, workerData } from 'node:worker_threads';

const pageBytes = 4096;
const { chunkBytes } = workerData as { chunkBytes: number };

parentPort!.on('message', (message: number | { buffer: SharedArrayBuffer; bytes: number }) => {
  if (typeof message !== 'number') {
    const bytes = new Uint8Array(message.buffer, 0, Math.min(message.bytes, message.buffer.byteLength));
    for (let at = 0; at < bytes.length; at += pageBytes) Atomics.add(bytes, at, 0);
    return;
  }
  for (let made = 0; made < message; made++) {
    const buffer = new SharedArrayBuffer(chunkBytes);
    const bytes = new Uint8Array(buffer);
    for (let at = 0; at < chunkBytes; at += pageBytes) bytes[at] = 0;
    parentPort!.postMessage(buffer);
  }
});
