// Memory for a snapshot load whose pages another thread touches (prefault-thread.ts): tree/'s
// TreeMemory. On this VM a first write to a page costs ~12 µs (the kernel's page fault); loading 10^6
// nodes of 100 bytes touched ~50,000 fresh pages, ~0.6 s of a ~2 s restart on the loading thread. Here
// the second core takes them while the first parses:
// - arena chunks are made and touched there ahead of need, `lead` of them made or in the making; when
//   none is ready the store allocates its own, so a slow or failed thread only costs the faults it
//   would have saved;
// - a column's buffer is handed to the loading thread at once and touched there page by page (as far
//   as the store expects to use it), with atomic adds of 0, so the two threads may write the same page
//   in any order.
// The thread starts with the first column large enough to be worth it (the tree sizes its columns
// once a load has shown how many nodes are coming): a small snapshot loads without it. Buffers are
// SharedArrayBuffers: the only memory two threads can both touch (V8 reads and writes them as fast as
// any other).

import { Worker } from 'node:worker_threads';
import type { TreeMemory } from '../tree/index.js';

// Under tsx (scripts run from source) the thread is the .ts file; built, the .js beside this one.
const threadUrl = new URL(import.meta.url.endsWith('.ts') ? './prefault-thread.ts' : './prefault-thread.js', import.meta.url);
/** Smaller columns are not worth a message. */
const columnBytesMin = 256 * 1024;

export class PrefaultedMemory implements TreeMemory {
  private readonly ready: Uint8Array[] = [];
  private worker: Worker | null = null;
  private closed = false;

  /** `onError` is told if the thread fails (loading goes on with memory the store allocates). */
  constructor(private readonly chunkBytes: number, private readonly onError: (error: Error) => void, private readonly lead = 1) {}

  chunk(): Uint8Array | undefined {
    const worker = this.worker;
    if (worker === null) return undefined;
    const chunk = this.ready.shift();
    if (chunk !== undefined) worker.postMessage(1);
    return chunk;
  }

  column(bytes: number, likelyBytes: number): ArrayBufferLike | undefined {
    if (bytes < columnBytesMin) return undefined;
    const worker = this.thread();
    if (worker === null) return undefined;
    const buffer = new SharedArrayBuffer(bytes);
    // The margin beyond the likely use is left alone: paging it in would only add to the RSS.
    worker.postMessage({ buffer, bytes: likelyBytes });
    return buffer;
  }

  /** Ends the thread (resolves once it is gone, its memory with it); chunks not taken are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.ready.length = 0;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  /** The thread, started on first need; null once closed. */
  private thread(): Worker | null {
    if (this.closed) return null;
    if (this.worker !== null) return this.worker;
    const worker = new Worker(threadUrl, { workerData: { chunkBytes: this.chunkBytes } });
    worker.unref();
    worker.on('message', (buffer: SharedArrayBuffer) => {
      if (!this.closed) this.ready.push(new Uint8Array(buffer));
    });
    worker.on('error', (error) => {
      this.onError(error);
      void this.close();
    });
    worker.postMessage(this.lead);
    this.worker = worker;
    return worker;
  }
}
