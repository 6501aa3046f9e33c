// Durable log files written by a thread of their own (log-writer-thread.ts), so that the next batch
// goes to the disk the moment the previous one is on it, however busy the event loop is. Through the
// thread pool, each write's completion waited for the event loop to finish whatever it was doing
// (under load, a burst of requests from every connection), and only then could the next write start:
// the disk was idle more than half the time. Here the main thread only hands over bytes; the thread
// runs the operations in order and coalesces consecutive appends into one O_DSYNC pwritev.
//
// Invariant: operations take effect in the order they are called (AppendFile's contract), and each
// promise settles in that order. One thread serves every durable file of the process; it keeps the
// process alive only while an operation is outstanding.

import { Worker } from 'node:worker_threads';
import type { AppendFile } from '../storage/index.js';
import type { LogWriterReply, LogWriterRequest } from './log-writer-thread.js';

type Operation = LogWriterRequest extends infer R ? (R extends LogWriterRequest ? Omit<R, 'id'> : never) : never;

interface Waiter {
  resolve: (fd: number) => void;
  reject: (error: Error) => void;
}

// Under tsx (scripts run from source) the thread is the .ts file; built, it is the .js beside this one.
const threadUrl = new URL(import.meta.url.endsWith('.ts') ? './log-writer-thread.ts' : './log-writer-thread.js', import.meta.url);

class LogWriterThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  call(operation: Operation): Promise<number> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const settled = new Promise<number>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.waiting.size === 1) worker.ref();
    if (operation.op === 'write') {
      // Bytes go over in an ArrayBuffer of their own, moved rather than cloned: a small Buffer is a
      // view into Node's shared 8 KiB pool, which cloning would copy whole.
      const bytes = new Uint8Array(operation.bytes);
      worker.postMessage({ ...operation, bytes, id }, [bytes.buffer]);
    } else {
      worker.postMessage({ ...operation, id });
    }
    return settled;
  }

  private start(): Worker {
    const worker = new Worker(threadUrl);
    worker.unref();
    worker.on('message', (reply: LogWriterReply) => this.settle(reply));
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the log writer thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: LogWriterReply): void {
    const fds = new Map(reply.opened);
    for (const id of reply.done) this.take(id)?.resolve(fds.get(id) ?? -1);
    if (reply.failed !== undefined) {
      const { ids, message, code } = reply.failed;
      for (const id of ids) this.take(id)?.reject(Object.assign(new Error(message), { code }));
    }
    if (this.waiting.size === 0) this.worker?.unref();
  }

  private take(id: number): Waiter | undefined {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    return waiter;
  }
}

const thread = new LogWriterThread();

/** Opens (creating if needed) a file whose every write is durable on return (O_DSYNC), written by the log writer thread. */
export async function openDurableFile(path: string): Promise<AppendFile> {
  const fd = await thread.call({ op: 'open', path });
  const done = (): void => undefined;
  return {
    writesAreDurable: true,
    write: (bytes, position) => thread.call({ op: 'write', fd, bytes, position }).then(done),
    sync: () => thread.call({ op: 'sync', fd }).then(done),
    truncate: (length) => thread.call({ op: 'truncate', fd, length }).then(done),
    close: () => thread.call({ op: 'close', fd }).then(done),
  };
}
