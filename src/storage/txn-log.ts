// The txn log writer, built for group commit: `append` serializes a txn into the pending batch (no
// I/O); `flush` writes the whole batch with one positional write and makes it durable with one
// fdatasync, so a batch of N writes costs one fsync. Files are preallocated in `preAllocBytes` steps,
// so most syncs touch no file metadata. `roll` starts a new file at the next append (after a
// snapshot), named after the first zxid it will hold.
//
// Durability order: the caller must not acknowledge any txn of a batch before its flush resolves.

import { JuteWriter, type Txn, type TxnHeader } from '../proto/index.js';
import { assert } from '../util/index.js';
import { logFileName } from './data-dir.js';
import { type AppendFile, type FileSystem, joinPath } from './file-system.js';
import { encodeFileHeader, fileHeaderBytes, logMagic, writeLogRecord } from './txn-log-format.js';

export interface TxnLogOptions {
  fs: FileSystem;
  /** The version-2 directory the log files go in. */
  dir: string;
  preAllocBytes: number;
  /** fsync after each batch (forceSync); off only for tests and benchmarks that say so. */
  forceSync: boolean;
}

export class TxnLog {
  private file: AppendFile | null = null;
  private fileName = '';
  private position = 0;
  private allocated = 0;
  private readonly batch = new JuteWriter(64 * 1024);
  private batchFirstZxid = -1;
  private lastAppendedZxid = -1;
  private flushing = false;
  private rollRequested = false;
  /** Txns appended to the current file (for `snapCount`). */
  txnsInFile = 0;

  constructor(private readonly options: TxnLogOptions) {}

  get currentFile(): string {
    return this.fileName;
  }

  /** Adds a txn to the pending batch. Zxids must increase. */
  append(header: TxnHeader, txn: Txn): void {
    assert(header.zxid > this.lastAppendedZxid, `txn log append out of order: 0x${header.zxid.toString(16)}`);
    if (this.batchFirstZxid < 0) this.batchFirstZxid = header.zxid;
    this.lastAppendedZxid = header.zxid;
    writeLogRecord(this.batch, header, txn);
    this.txnsInFile++;
  }

  get hasPending(): boolean {
    return this.batch.position > 0;
  }

  /** The next flush starts a new log file. */
  roll(): void {
    this.rollRequested = true;
    this.txnsInFile = 0;
  }

  /** Writes and syncs the pending batch. One flush at a time. */
  async flush(): Promise<void> {
    if (!this.hasPending) return;
    assert(!this.flushing, 'one txn log flush at a time');
    this.flushing = true;
    try {
      if (this.file === null || this.rollRequested) await this.startFile(this.batchFirstZxid);
      const bytes = Buffer.from(this.batch.view());
      this.batch.reset();
      this.batchFirstZxid = -1;
      await this.ensureAllocated(this.position + bytes.length);
      await this.file!.write(bytes, this.position);
      this.position += bytes.length;
      if (this.options.forceSync && !this.file!.writesAreDurable) await this.file!.sync();
    } finally {
      this.flushing = false;
    }
  }

  private async startFile(firstZxid: number): Promise<void> {
    await this.file?.close();
    this.rollRequested = false;
    this.fileName = logFileName(firstZxid);
    const path = joinPath(this.options.dir, this.fileName);
    const file = await this.options.fs.open(path, { durableWrites: this.options.forceSync });
    await file.truncate(0);
    this.file = file;
    this.allocated = 0;
    await this.ensureAllocated(fileHeaderBytes);
    await file.write(encodeFileHeader(logMagic, 0n), 0);
    this.position = fileHeaderBytes;
    await file.sync();
    await this.options.fs.syncDirectory(this.options.dir);
  }

  private async ensureAllocated(end: number): Promise<void> {
    if (end <= this.allocated) return;
    const step = Math.max(1, this.options.preAllocBytes);
    this.allocated = Math.ceil(end / step) * step;
    await this.file!.truncate(this.allocated);
    // The new size is file metadata: make it durable once here rather than on every write.
    if (this.options.forceSync) await this.file!.sync();
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}
