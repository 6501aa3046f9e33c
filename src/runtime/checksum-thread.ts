// The checksum thread (a worker) behind runtime/prefix-checksums.ts: sums one file with Adler-32,
// keeping the running value at every MiB, then answers the offsets it is asked for (bytes [0, offset))
// from the nearest checkpoint below each. workerData: { path }. Message in: offsets; out: checksums.

import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Adler32 } from '../storage/adler32.js';

const checkpointBytes = 1 << 20;

/** Reads up to `length` bytes at `position`, however many calls it takes; fewer only at the end. */
function readAt(fd: number, buffer: Buffer, length: number, position: number): number {
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return filled;
}

function serve(path: string): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(checkpointBytes);
  /** checkpoints[k]: the Adler-32 of bytes [0, k MiB). */
  const checkpoints = [new Adler32().value];
  const sum = new Adler32();
  for (let position = 0; ; position += checkpointBytes) {
    const read = readAt(fd, buffer, checkpointBytes, position);
    sum.update(buffer, 0, read);
    if (read < checkpointBytes) break;
    checkpoints.push(sum.value);
  }
  parentPort!.on('message', (offsets: number[]) => {
    const values = offsets.map((offset) => {
      const k = Math.min(Math.floor(offset / checkpointBytes), checkpoints.length - 1);
      const from = k * checkpointBytes;
      const read = readAt(fd, buffer, offset - from, from);
      return Adler32.resume(checkpoints[k]!).update(buffer, 0, read).value;
    });
    closeSync(fd);
    parentPort!.postMessage(values);
  });
}

serve((workerData as { path: string }).path);
