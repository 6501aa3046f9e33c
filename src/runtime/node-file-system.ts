// storage/'s FileSystem on the real disk, with fsync. Log appends use fdatasync (data and the size
// needed to read it back), directory entries are synced after files are created or renamed, and small
// files are replaced atomically (temp file, fsync, rename, directory fsync).

import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { AppendFile, FileSystem } from '../storage/index.js';
import { OrderedFile } from './ordered-file.js';

async function syncPath(path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class NodeFileSystem implements FileSystem {
  async mkdir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** One read of the whole file: fs.readFile's 512 KiB chunks make a 200 MB snapshot take seconds. */
  async readFile(path: string): Promise<Uint8Array> {
    const handle = await fs.open(path, 'r');
    try {
      const { size } = await handle.stat();
      const bytes = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === size ? bytes : bytes.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async fileSize(path: string): Promise<number> {
    return (await fs.stat(path)).size;
  }

  /**
   * Two buffers taking turns: the next piece is read (in the thread pool) while the caller works on
   * this one, which is why a piece is valid only until the next is asked for.
   */
  async *readChunks(path: string, options: { chunkBytes: number }): AsyncIterable<Uint8Array> {
    const handle = await fs.open(path, 'r');
    const buffers = [Buffer.allocUnsafe(options.chunkBytes), Buffer.allocUnsafe(options.chunkBytes)];
    const fill = async (buffer: Buffer, position: number): Promise<Buffer> => {
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    };
    let reading = fill(buffers[0]!, 0);
    try {
      for (let position = 0, turn = 0; ; turn ^= 1) {
        const piece = await reading;
        if (piece.length === 0) return;
        position += piece.length;
        reading = fill(buffers[turn ^ 1]!, position);
        yield piece;
      }
    } finally {
      // The caller may stop early: let the read ahead finish before the handle closes.
      await reading.catch(() => undefined);
      await handle.close();
    }
  }

  async open(path: string, options: { durableWrites?: boolean } = {}): Promise<AppendFile> {
    const durable = options.durableWrites === true;
    // O_DSYNC makes each write durable on return: one trip to the thread pool instead of two per batch.
    const flags = constants.O_RDWR | constants.O_CREAT | (durable ? constants.O_DSYNC : 0);
    return new OrderedFile(await fs.open(path, flags, 0o644), durable);
  }

  async truncate(path: string, length: number): Promise<void> {
    await fs.truncate(path, length);
    await syncPath(path);
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.rename(from, to);
    await this.syncDirectory(dirname(to));
  }

  async remove(path: string): Promise<void> {
    await fs.rm(path, { force: true });
  }

  async syncDirectory(dir: string): Promise<void> {
    await syncPath(dir);
  }

  async writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
    const temp = `${path}.tmp`;
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.rename(temp, path);
  }
}
