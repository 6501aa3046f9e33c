// Arena chunks for a snapshot load whose pages another thread has already touched (prefault-thread.ts).
// On this VM a first write to a page costs ~12 µs (the kernel's page fault): copying 10^6 nodes of 100
// bytes into fresh chunks took ~25,600 of them, ~0.3 s of a ~2 s restart on the loading thread. Here the
// second core takes them while the first parses. The thread starts on the first chunk asked for and
// keeps `lead` chunks made or in the making; when none is ready, the store allocates its own
// (tree/node-store.ts, ArenaChunkSource), so a slow or failed thread only costs the faults it would
// have saved. Chunks are SharedArrayBuffers: the only memory two threads can both touch.

import { Worker } from 'node:worker_threads';
import type { ArenaChunkSource } from '../tree/index.js';

// Under tsx (scripts run from source) the thread is the .ts file; built, the .js beside this one.
const threadUrl = new URL(import.meta.url.endsWith('.ts') ? './prefault-thread.ts' : './prefault-thread.js', import.meta.url);

export class PrefaultedChunks {
  private readonly ready: Uint8Array[] = [];
  private worker: Worker | null = null;
  private closed = false;

  /** `onError` is told if the thread fails (loading goes on with chunks the store allocates). */
  constructor(private readonly chunkBytes: number, private readonly onError: (error: Error) => void, private readonly lead = 2) {}

  readonly take: ArenaChunkSource = () => {
    if (this.closed) return undefined;
    if (this.worker === null) this.start();
    const chunk = this.ready.shift();
    if (chunk !== undefined) this.worker?.postMessage(1);
    return chunk;
  };

  /** Ends the thread (resolves once it is gone, its memory with it); chunks not taken are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.ready.length = 0;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): void {
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
  }
}
