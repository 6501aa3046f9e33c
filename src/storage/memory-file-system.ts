// An in-memory FileSystem for tests and the simulator, with crashes. Each file keeps its durable image
// (what the last sync made durable) and the writes and size changes made since, in order. `crash`
// drops everything unsynced; `crash(n)` first lets the first n bytes of the unsynced writes reach the
// disk, in order — a power cut in the middle of a write (a torn tail), also inside preallocated space.
// Directory operations (create, rename, remove, writeFileAtomic) are durable at once.

import type { AppendFile, FileSystem } from './file-system.js';

type UnsyncedChange = { kind: 'write'; position: number; bytes: Uint8Array } | { kind: 'resize'; length: number };

interface MemoryFile {
  data: Uint8Array;
  durable: Uint8Array;
  unsynced: UnsyncedChange[];
}

/** A copy (Buffer's slice() would be a view of the caller's buffer, which it may reuse). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function resized(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, Math.min(bytes.length, length)));
  return out;
}

function written(bytes: Uint8Array, chunk: Uint8Array, position: number): Uint8Array {
  const out = position + chunk.length > bytes.length ? resized(bytes, position + chunk.length) : bytes;
  out.set(chunk, position);
  return out;
}

function settled(data: Uint8Array): MemoryFile {
  return { data, durable: copyOf(data), unsynced: [] };
}

export class MemoryFileSystem implements FileSystem {
  readonly files = new Map<string, MemoryFile>();
  /** File syncs so far (tests count fsyncs per batch). */
  syncs = 0;

  async mkdir(): Promise<void> {}

  async list(dir: string): Promise<string[]> {
    const prefix = `${dir.replace(/\/$/, '')}/`;
    return [...this.files.keys()].filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
      .map((path) => path.slice(prefix.length));
  }

  async readFile(path: string): Promise<Uint8Array> {
    return copyOf(this.get(path).data);
  }

  async fileSize(path: string): Promise<number> {
    return this.get(path).data.length;
  }

  /** Pieces of a copy taken on the first step (later writes do not show). */
  async *readChunks(path: string, options: { chunkBytes: number }): AsyncIterable<Uint8Array> {
    const data = copyOf(this.get(path).data);
    // One buffer for every piece, as the contract allows and the Node file system does: a reader that
    // keeps a piece past the next step sees it overwritten here too, not only on a real disk.
    const piece = new Uint8Array(Math.min(options.chunkBytes, data.length));
    for (let at = 0; at < data.length; at += options.chunkBytes) {
      const length = Math.min(options.chunkBytes, data.length - at);
      piece.set(data.subarray(at, at + length));
      yield piece.subarray(0, length);
    }
    piece.fill(0xee);
  }

  async open(path: string): Promise<AppendFile> {
    let file = this.files.get(path);
    if (file === undefined) this.files.set(path, (file = settled(new Uint8Array(0))));
    const entry = file;
    return {
      writesAreDurable: false,
      write: async (bytes, position) => {
        const copy = copyOf(bytes);
        entry.data = written(entry.data, copy, position);
        entry.unsynced.push({ kind: 'write', position, bytes: copy });
      },
      sync: async () => {
        this.syncs++;
        entry.durable = copyOf(entry.data);
        entry.unsynced = [];
      },
      truncate: async (length) => {
        entry.data = resized(entry.data, length);
        entry.unsynced.push({ kind: 'resize', length });
      },
      close: async () => {},
    };
  }

  async truncate(path: string, length: number): Promise<void> {
    const file = this.get(path);
    this.files.set(path, settled(resized(file.data, length)));
  }

  async rename(from: string, to: string): Promise<void> {
    const file = this.get(from);
    this.files.delete(from);
    this.files.set(to, file);
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async syncDirectory(): Promise<void> {}

  async writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, settled(copyOf(bytes)));
  }

  /** A power cut: unsynced changes are lost, except the first `keepUnsyncedBytes` bytes written. */
  crash(keepUnsyncedBytes = 0): void {
    for (const [path, file] of this.files) {
      let image: Uint8Array = copyOf(file.durable);
      let budget = keepUnsyncedBytes;
      for (const change of file.unsynced) {
        if (change.kind === 'resize') {
          image = resized(image, change.length);
          continue;
        }
        if (budget <= 0) break;
        image = written(image, change.bytes.subarray(0, budget), change.position);
        budget -= change.bytes.length;
      }
      this.files.set(path, settled(image));
    }
  }

  private get(path: string): MemoryFile {
    const file = this.files.get(path);
    if (file === undefined) throw Object.assign(new Error(`ENOENT: no such file, '${path}'`), { code: 'ENOENT' });
    return file;
  }
}
