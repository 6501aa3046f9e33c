// The small file-system interface storage/ does all its I/O through. The real implementation, with
// fsync, is runtime/node-file-system.ts; tests use memory-file-system.ts, which can also simulate a
// crash (unsynced bytes lost). Paths are plain strings joined with '/'.

/**
 * A file open for positional writes. Its operations take effect in the order they are called, and
 * their promises settle in that order, so a caller may issue the next before the previous settles
 * (the txn log keeps several batches in flight).
 */
export interface AppendFile {
  /** True when each write is durable on return (O_DSYNC), so `sync` after it can be skipped. */
  readonly writesAreDurable: boolean;
  /** Writes bytes at a byte offset (files are preallocated, so appends are positional). */
  write(bytes: Uint8Array, position: number): Promise<void>;
  /** Makes everything written so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Grows (zero-filled) or shrinks the file. */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  mkdir(dir: string): Promise<void>;
  /** File names in a directory; [] if it does not exist. */
  list(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** A file's size in bytes. */
  fileSize(path: string): Promise<number>;
  /**
   * Reads a file from its start in pieces of at most `chunkBytes` (a 200 MB snapshot need not be held
   * whole). A piece is valid only until the next is asked for: the implementation may reuse it.
   */
  readChunks(path: string, options: { chunkBytes: number }): AsyncIterable<Uint8Array>;
  /** Opens (creating if needed) a file for positional writes; `durableWrites` asks for O_DSYNC. */
  open(path: string, options?: { durableWrites?: boolean }): Promise<AppendFile>;
  truncate(path: string, length: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Makes a directory's entries (created, renamed files) durable. */
  syncDirectory(dir: string): Promise<void>;
  /** Writes a whole small file durably (write to a temp name, fsync, rename, sync the directory). */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
