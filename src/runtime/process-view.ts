// The process facts the four-letter words report (admin/'s ServerProcess), read from Node and, on
// Linux, /proc: open file descriptors and their limit, memory, the environment `envi` prints.
// Read only when a word asks; nothing here is on the request path.

import { readFileSync, readdirSync } from 'node:fs';
import { homedir, hostname, release, tmpdir, userInfo } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { ProcessMemory, ServerProcess } from '../admin/index.js';

function openFileDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** The soft limit on open files, from /proc/self/limits ("Max open files  <soft>  <hard>  files"). */
function maxFileDescriptors(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((text) => text.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? -1 : Number(soft);
  } catch {
    return -1;
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

function memory(): ProcessMemory {
  const usage = process.memoryUsage();
  const heap = getHeapStatistics();
  return {
    residentBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapFreeBytes: Math.max(0, heap.total_heap_size - heap.used_heap_size),
    heapMaxBytes: heap.heap_size_limit,
    heapTotalBytes: heap.total_heap_size,
  };
}

/** A ServerProcess for this process; `startedAtMs` is when the server started. */
export function nodeServerProcess(startedAtMs: number): ServerProcess {
  return {
    uptimeMs: () => Date.now() - startedAtMs,
    openFileDescriptors,
    maxFileDescriptors,
    memory,
    environment: {
      hostName: hostname(), platform: process.platform, arch: process.arch, osRelease: release(), userName: userName(),
      userHome: homedir(), workingDir: process.cwd(), tmpDir: tmpdir(), nodeVersion: process.version, pid: process.pid,
    },
  };
}
