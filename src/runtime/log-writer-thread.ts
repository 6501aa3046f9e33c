// The log writer thread (a worker): runs the file operations of durable log files in the order they
// were asked for, synchronously, one after the other, so the disk never waits for the main thread.
// When one operation ends it takes every request that arrived meanwhile (receiveMessageOnPort, no trip
// through its event loop) and writes consecutive appends to one file as one pwritev: with O_DSYNC,
// several group-committed batches then cost one disk round trip. Each reply names the requests done.
//
// Messages in: LogWriterRequest. Messages out: LogWriterReply (see log-writer.ts, the main side).

import { closeSync, constants, fdatasyncSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';

export type LogWriterRequest =
  | { id: number; op: 'open'; path: string }
  | { id: number; op: 'write'; fd: number; bytes: Uint8Array; position: number }
  | { id: number; op: 'sync'; fd: number }
  | { id: number; op: 'truncate'; fd: number; length: number }
  | { id: number; op: 'close'; fd: number };

/** What the thread reports after each operation (or each coalesced write). */
export interface LogWriterReply {
  /** Requests that succeeded, in order. */
  done: number[];
  /** The file descriptor of each open among `done`: [request id, fd]. */
  opened: Array<[number, number]>;
  /** Requests that failed (all parts of a coalesced write fail together), with the error. */
  failed?: { ids: number[]; message: string; code?: string };
}

/** Writes one list of buffers at a position to the end, however many calls the kernel needs. */
function writeAll(fd: number, buffers: Uint8Array[], position: number): void {
  let at = position;
  let pending = buffers;
  while (pending.length > 0) {
    let written = writevSync(fd, pending, at);
    at += written;
    const rest: Uint8Array[] = [];
    for (const buffer of pending) {
      if (written >= buffer.length) {
        written -= buffer.length;
        continue;
      }
      rest.push(written > 0 ? buffer.subarray(written) : buffer);
      written = 0;
    }
    pending = rest;
  }
}

/** Appends that follow each other in one file, from the head of the queue: run as one write. */
function takeContiguousWrites(queue: LogWriterRequest[]): Extract<LogWriterRequest, { op: 'write' }>[] {
  const writes: Extract<LogWriterRequest, { op: 'write' }>[] = [];
  let next = -1;
  let fd = -1;
  while (queue.length > 0) {
    const head = queue[0]!;
    if (head.op !== 'write' || (writes.length > 0 && (head.fd !== fd || head.position !== next))) break;
    writes.push(head);
    fd = head.fd;
    next = head.position + head.bytes.length;
    queue.shift();
  }
  return writes;
}

function runOne(request: Exclude<LogWriterRequest, { op: 'write' }>, opened: Array<[number, number]>): void {
  switch (request.op) {
    case 'open':
      opened.push([request.id, openSync(request.path, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, 0o644)]);
      return;
    case 'sync':
      fdatasyncSync(request.fd);
      return;
    case 'truncate':
      ftruncateSync(request.fd, request.length);
      return;
    case 'close':
      closeSync(request.fd);
      return;
  }
}

function serve(port: MessagePort): void {
  const queue: LogWriterRequest[] = [];
  let running = false;
  const takeArrived = (): void => {
    for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
      queue.push(message.message as LogWriterRequest);
    }
  };
  const run = (): void => {
    if (running) return;
    running = true;
    for (takeArrived(); queue.length > 0; takeArrived()) {
      const opened: Array<[number, number]> = [];
      const head = queue[0]!;
      let ids: number[] = [head.id];
      try {
        if (head.op === 'write') {
          const writes = takeContiguousWrites(queue);
          ids = writes.map((write) => write.id);
          writeAll(head.fd, writes.map((write) => write.bytes), head.position);
        } else {
          queue.shift();
          runOne(head, opened);
        }
        port.postMessage({ done: ids, opened } satisfies LogWriterReply);
      } catch (error) {
        const { message, code } = error as NodeJS.ErrnoException;
        port.postMessage({ done: [], opened, failed: { ids, message, code } } satisfies LogWriterReply);
      }
    }
    running = false;
  };
  port.on('message', (request: LogWriterRequest) => {
    queue.push(request);
    run();
  });
}

if (parentPort !== null) serve(parentPort);
