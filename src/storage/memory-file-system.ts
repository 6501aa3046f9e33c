// An in-memory FileSystem for tests and the simulator. It keeps, per file, the bytes written and the
// bytes made durable by sync, so `crash()` can drop everything unsynced — and `tearTail` can keep a
// prefix of the unsynced bytes, as a power cut mid-write would.

import type { AppendFile, FileSystem } from './file-system.js';

interface MemoryFile {
  data: Uint8Array;
  durable: Uint8Array;
}

function resized(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, Math.min(bytes.length, length)));
  return out;
}

export class MemoryFileSystem implements FileSystem {
  readonly files = new Map<string, MemoryFile>();
  private readonly dirs = new Set<string>();

  async mkdir(dir: string): Promise<void> {
    this.dirs.add(dir.replace(/\/$/, ''));
  }

  async list(dir: string): Promise<string[]> {
    const prefix = `${dir.replace(/\/$/, '')}/`;
    return [...this.files.keys()].filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
      .map((path) => path.slice(prefix.length));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const file = this.files.get(path);
    if (file === undefined) throw new Error(`ENOENT: ${path}`);
    return file.data.slice();
  }

  async open(path: string): Promise<AppendFile> {
    let file = this.files.get(path);
    if (file === undefined) this.files.set(path, (file = { data: new Uint8Array(0), durable: new Uint8Array(0) }));
    const entry = file;
    return {
      writesAreDurable: false,
      write: async (bytes, position) => {
        if (position + bytes.length > entry.data.length) entry.data = resized(entry.data, position + bytes.length);
        entry.data.set(bytes, position);
      },
      sync: async () => {
        entry.durable = entry.data.slice();
      },
      truncate: async (length) => {
        entry.data = resized(entry.data, length);
      },
      close: async () => {},
    };
  }

  async truncate(path: string, length: number): Promise<void> {
    const file = this.files.get(path);
    if (file === undefined) throw new Error(`ENOENT: ${path}`);
    file.data = resized(file.data, length);
    file.durable = file.data.slice();
  }

  async rename(from: string, to: string): Promise<void> {
    const file = this.files.get(from);
    if (file === undefined) throw new Error(`ENOENT: ${from}`);
    this.files.delete(from);
    this.files.set(to, file);
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async syncDirectory(): Promise<void> {}

  async writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, { data: bytes.slice(), durable: bytes.slice() });
  }

  /** A crash: every file loses what was not synced; `keepUnsyncedBytes` of it survive (a torn write). */
  crash(keepUnsyncedBytes = 0): void {
    for (const file of this.files.values()) {
      const kept = Math.min(file.data.length, file.durable.length + keepUnsyncedBytes);
      const survivor = resized(file.durable, Math.max(file.durable.length, kept));
      survivor.set(file.data.subarray(file.durable.length, kept), file.durable.length);
      file.data = survivor;
      file.durable = survivor.slice();
    }
  }
}
