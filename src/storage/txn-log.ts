// The txn log writer, built for group commit: `append` serializes a txn into the pending batch (no
// I/O); `flush` hands the whole batch to the file as one positional write, durable with one fdatasync
// (or one O_DSYNC write), so a batch of N txns costs one disk round trip. Several flushes may be in
// flight: the file runs operations in call order (AppendFile's contract), and the real one writes the
// batches queued behind a busy disk together (runtime/ordered-file.ts). Files grow in `preAllocBytes`
// steps by ZooKeeper's FilePadding rule, so most syncs touch no file metadata, and (unlike ZooKeeper,
// whose padding leaves a hole) the space ahead of the writes is zero-filled a chunk at a time, so a
// batch overwrites blocks that already exist: on ext4 a durable write into a hole also commits the
// block allocation to the journal (~250 µs for 7 KB here), one into written blocks does not
// (~160 µs). `roll` starts a new file at the next flush (after a snapshot), named after the first
// zxid it will hold, once every earlier flush has settled.
//
// With `spareFile`, the next file is made ready off the write path: created under a name no reader
// takes for a log (`spareLogFileName`), its header written, grown and its first MiB zero-filled, all
// durable, while the current file is written. A roll then only renames it, where it cost a pipeline
// stall of several syncs (create, header, directory, growth, first zero-fill). If the spare is not
// ready at a roll, the file is made as before.
//
// Durability order: the caller must not acknowledge any txn of a batch before its flush resolves;
// flushes resolve in order. A flush that fails fails every flush called before its failure is dealt
// with, and discards their batches and txns appended meanwhile: the file is cut back to its last
// durable record and the log rewinds to the last durable zxid, so the caller (which must not
// acknowledge those txns) may append them again. If even the cut fails, the log is broken: every
// later flush fails with LogBrokenError, and recovery at the next start decides what the file holds.

import { JuteWriter, type Txn, type TxnDigest, type TxnHeader } from '../proto/index.js';
import { assert, assertionFailed, limits } from '../util/index.js';
import { logFileName } from './data-dir.js';
import { type AppendFile, type FileSystem, joinPath } from './file-system.js';
import { LogBrokenError } from './storage-errors.js';
import { truncateLog } from './txn-log-reader.js';
import { encodeFileHeader, fileHeaderBytes, logDbid, logMagic, writeLogRecord } from './txn-log-format.js';

/** Defined in util/limits.ts with every other bound. */
export const preAllocBytesDefault = limits.preAllocBytesDefault;
/** FilePadding grows the file when a write comes within this many bytes of its end. */
const paddingMarginBytes = 4096;
/** A batch taken by a flush. */
interface PendingBatch {
  bytes: Buffer;
  firstZxid: number;
  lastZxid: number;
  count: number;
  /** The era of the flush that took it (see TxnLog.era). */
  era: number;
  /** Where its bytes end in the file, once issued. */
  end: number;
}

/** Zeros written ahead of the log's position at a time (see the header). */
const zeroFillBytes = 1024 * 1024;
/** The next log file while it is made ready (see the header): no "log." prefix, so no reader (ours or ZooKeeper's) takes it for a log. */
export const spareLogFileName = 'meerkat.next-log';
/**
 * Zeros a spare holds when it becomes the log; the rest is zero-filled ahead of the writes as in any
 * file. Zero-filling a whole file's worth in the background (1 MiB O_DSYNC writes back to back)
 * measured worse than this: it held up the current file's writes while it ran (5 alternating rounds:
 * 47k against 50k writes/s, p99 8.0 against 7.6 ms).
 */
const spareZeroedBytes = zeroFillBytes;
let zeroChunk: Buffer | null = null;

export interface TxnLogOptions {
  fs: FileSystem;
  /** The version-2 directory the log files go in. */
  dir: string;
  preAllocBytes: number;
  /** fsync after each batch (forceSync); off only for tests and benchmarks that say so. */
  forceSync: boolean;
  /** The newest zxid already in the log (from recovery); appends must follow it. Default: none. */
  lastZxid?: number;
  /** Make each next file ready in the background (see the header). Default: off. */
  spareFile?: boolean;
}

/** A spare file made ready: open, header durable, grown to `size`, zero-filled to `zeroedTo`. */
interface Spare {
  file: AppendFile;
  size: number;
  zeroedTo: number;
}

/** ZooKeeper's FilePadding.calculateFileSizeWithPadding: the file size before writing at `position`. */
export function paddedFileSize(position: number, currentSize: number, preAllocBytes: number): number {
  if (preAllocBytes <= 0 || position + paddingMarginBytes < currentSize) return currentSize;
  if (position > currentSize) {
    const size = position + preAllocBytes;
    return size - (size % preAllocBytes);
  }
  return currentSize + preAllocBytes;
}

export class TxnLog {
  private file: AppendFile | null = null;
  private fileName = '';
  private position = 0;
  private allocated = 0;
  /** The file holds written zeros (or records) up to here. */
  private zeroedTo = 0;
  private readonly batch = new JuteWriter(64 * 1024);
  private batchFirstZxid = -1;
  private batchCount = 0;
  private lastAppended: number;
  private lastDurable: number;
  /** The end of the bytes durable in the current file, in flush order. */
  private durablePosition = 0;
  /** Flushes called and not yet settled. */
  private inFlight = 0;
  /** Issue steps run one after another, in flush order (each hands its writes to the file). */
  private issuing: Promise<void> = Promise.resolve();
  /** Settles (never rejects) when the newest flush's outcome is known. */
  private lastSettled: Promise<void> = Promise.resolve();
  /** Flushes issued between two cut-backs share an era; a failure fails the rest of its era. */
  private era = 0;
  private failedEra = -1;
  private failure: Error | null = null;
  private cuttingBack: Promise<void> = Promise.resolve();
  private rollRequested = false;
  private broken: Error | null = null;
  private spare: Spare | null = null;
  /** The spare being made, if any; settles (never rejects) when it is ready or has failed. */
  private spareMaking: Promise<void> | null = null;
  /** Txns appended to the current file (for `snapCount`). */
  txnsInFile = 0;

  constructor(private readonly options: TxnLogOptions) {
    this.lastAppended = options.lastZxid ?? -1;
    this.lastDurable = this.lastAppended;
  }

  get currentFile(): string {
    return this.fileName;
  }

  /** The newest zxid whose flush resolved (or that recovery found); -1 when none. */
  get lastDurableZxid(): number {
    return this.lastDurable;
  }

  get hasPending(): boolean {
    return this.batchCount > 0;
  }

  /** Txns in the pending batch. */
  get pendingCount(): number {
    return this.batchCount;
  }

  /** Adds a txn (and the tree digest after it, as ZooKeeper 3.6+ logs it) to the pending batch. */
  append(header: TxnHeader, txn: Txn, digest: TxnDigest | null = null): void {
    if (header.zxid <= this.lastAppended) assertionFailed(`txn log append out of order: 0x${header.zxid.toString(16)} after 0x${this.lastAppended.toString(16)}`);
    if (this.batchFirstZxid < 0) this.batchFirstZxid = header.zxid;
    this.lastAppended = header.zxid;
    writeLogRecord(this.batch, header, txn, digest);
    this.batchCount++;
    this.txnsInFile++;
  }

  /** The next flush starts a new log file. */
  roll(): void {
    this.rollRequested = true;
    this.txnsInFile = 0;
  }

  /**
   * Writes and syncs the pending batch. Several flushes may be in flight: each hands its batch to the
   * file at once (the file runs operations in call order), and they resolve in order, each only once
   * its batch and every earlier one is durable. If one fails, it and every flush called before the
   * failure is dealt with reject: the file is cut back to the last durable record and the log rewinds
   * to the last durable zxid (dropping txns appended meanwhile) before they reject, so the caller may
   * append the lost txns again.
   */
  async flush(): Promise<void> {
    if (!this.hasPending) return;
    if (this.broken !== null) {
      this.resetBatch();
      this.lastAppended = this.lastDurable;
      throw new LogBrokenError(this.fileName, this.broken);
    }
    const batch: PendingBatch = {
      bytes: Buffer.from(this.batch.view()), firstZxid: this.batchFirstZxid, lastZxid: this.lastAppended, count: this.batchCount,
      era: this.era, end: -1,
    };
    this.resetBatch();
    this.inFlight++;
    const previous = this.lastSettled;
    const issued = this.issuing.then(() => this.issue(batch, previous));
    this.issuing = issued.then(() => undefined, () => undefined);
    const outcome = this.settle(batch, issued, previous);
    this.lastSettled = outcome.then(() => undefined, () => undefined);
    try {
      await outcome;
    } catch (error) {
      await this.cuttingBack;
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /** Hands a batch's operations to the file, opening the next file first when one is due; resolves with its write. */
  private async issue(batch: PendingBatch, previous: Promise<void>): Promise<{ written: Promise<unknown> }> {
    if (this.file === null || this.rollRequested) {
      // A new file starts once every earlier batch is settled, so `durablePosition` is always this file's.
      await previous;
      if (this.failedEra === batch.era) throw this.failure!;
      await this.startFile(batch.firstZxid);
    }
    if (this.failedEra === batch.era) throw this.failure!;
    const file = this.file!;
    const at = this.position;
    batch.end = at + batch.bytes.length;
    this.position = batch.end;
    const operations = [...this.allocate(at, batch.end), ...this.zeroAhead(batch.end), file.write(batch.bytes, at)];
    if (this.options.forceSync && !file.writesAreDurable) operations.push(file.sync());
    // Wrapped: a promise returned bare would be flattened into the issue step, which must not wait for the disk.
    return { written: Promise.all(operations) };
  }

  /** Waits for a batch's write and for every earlier flush; records the batch durable, or fails it and its era. */
  private async settle(batch: PendingBatch, issued: Promise<{ written: Promise<unknown> }>, previous: Promise<void>): Promise<void> {
    let error: Error | null = null;
    try {
      await (await issued).written;
    } catch (cause) {
      error = cause as Error;
    }
    await previous;
    if (error === null && this.failedEra !== batch.era) {
      this.lastDurable = batch.lastZxid;
      this.durablePosition = batch.end;
      return;
    }
    this.txnsInFile = Math.max(0, this.txnsInFile - batch.count);
    if (this.failedEra !== batch.era) {
      this.failedEra = batch.era;
      this.failure = error;
      this.cuttingBack = this.issuing.then(() => this.cutBackToDurable(error!));
      this.issuing = this.cuttingBack;
    }
    throw error ?? this.failure!;
  }

  private resetBatch(): void {
    this.batch.reset();
    this.batchFirstZxid = -1;
    this.batchCount = 0;
  }

  /**
   * After a failed write, once every operation handed to the file before it has run: removes whatever
   * reached the file after the last durable record (it may hold whole records), drops txns appended
   * since (they follow the failed ones), and opens a new era for the flushes called from now on.
   */
  private async cutBackToDurable(cause: Error): Promise<void> {
    try {
      if (this.file === null) return;
      await this.file.truncate(this.durablePosition);
      await this.file.sync();
      this.position = this.durablePosition;
      this.allocated = this.position;
      this.zeroedTo = this.position;
    } catch {
      this.broken = cause;
    } finally {
      this.txnsInFile = Math.max(0, this.txnsInFile - this.batchCount);
      this.resetBatch();
      this.lastAppended = this.lastDurable;
      this.era++;
    }
  }

  /**
   * Drops every logged txn after `zxid` (ZAB's TRUNC; FileTxnLog.truncate). The next flush starts a
   * new file. The caller guarantees no committed txn is above `zxid`.
   */
  async truncate(zxid: number): Promise<void> {
    assert(this.inFlight === 0 && !this.hasPending, 'truncate the txn log only with no batch pending');
    await this.close();
    await truncateLog(this.options.fs, { dir: this.options.dir, zxid });
    this.lastAppended = zxid;
    this.lastDurable = zxid;
    this.txnsInFile = 0;
  }

  /** Opens `log.<firstZxid>` with its header durable; until then `file` stays null, so a failure leaves nothing half made. */
  private async startFile(firstZxid: number): Promise<void> {
    await this.closeFile();
    this.rollRequested = false;
    const fileName = logFileName(firstZxid);
    if (this.spare !== null && await this.startFromSpare(fileName)) {
      this.makeSpare();
      return;
    }
    const file = await this.options.fs.open(joinPath(this.options.dir, fileName), { durableWrites: this.options.forceSync });
    try {
      await file.truncate(0);
      await file.write(encodeFileHeader(logMagic, logDbid), 0);
      await file.sync();
      await this.options.fs.syncDirectory(this.options.dir);
    } catch (error) {
      await file.close().catch(() => {});
      throw error;
    }
    this.useFile(file, fileName);
    this.makeSpare();
  }

  private useFile(file: AppendFile, fileName: string, size = fileHeaderBytes, zeroedTo = fileHeaderBytes): void {
    this.file = file;
    this.fileName = fileName;
    this.position = fileHeaderBytes;
    this.durablePosition = fileHeaderBytes;
    this.allocated = size;
    this.zeroedTo = zeroedTo;
  }

  /** Renames the ready spare to `fileName` and writes on in it; false (spare dropped) if the rename failed. */
  private async startFromSpare(fileName: string): Promise<boolean> {
    const { file, size, zeroedTo } = this.spare!;
    this.spare = null;
    const { fs, dir } = this.options;
    try {
      // Durable with the directory entry: a crash after it leaves an empty log (header, zeros), as a new file would.
      await fs.rename(joinPath(dir, spareLogFileName), joinPath(dir, fileName));
    } catch {
      await file.close().catch(() => {});
      return false;
    }
    this.useFile(file, fileName, size, zeroedTo);
    return true;
  }

  /**
   * Starts making the next file ready, unless one is ready or being made. A failure only means the
   * next roll makes its file as without a spare.
   */
  private makeSpare(): void {
    const { spareFile, forceSync, preAllocBytes } = this.options;
    if (spareFile !== true || this.spare !== null || this.spareMaking !== null) return;
    const zeroedTo = fileHeaderBytes + spareZeroedBytes;
    // Grown as FilePadding would grow a new file for its first write.
    const size = Math.max(zeroedTo, paddedFileSize(fileHeaderBytes, fileHeaderBytes, preAllocBytes));
    const { fs, dir } = this.options;
    const making = async (): Promise<void> => {
      const file = await fs.open(joinPath(dir, spareLogFileName), { durableWrites: forceSync });
      try {
        await file.truncate(0);
        await file.write(encodeFileHeader(logMagic, logDbid), 0);
        await file.truncate(size);
        zeroChunk ??= Buffer.alloc(zeroFillBytes);
        await file.write(zeroChunk.subarray(0, spareZeroedBytes), fileHeaderBytes);
        await file.sync();
        await fs.syncDirectory(dir);
      } catch (error) {
        await file.close().catch(() => {});
        throw error;
      }
      this.spare = { file, size, zeroedTo };
    };
    this.spareMaking = making().catch(() => undefined).finally(() => {
      this.spareMaking = null;
    });
  }

  /** Settles once the spare being made (if any) is ready or has failed; for tests and `close`. */
  async spareSettled(): Promise<void> {
    await this.spareMaking;
  }

  /** Zero-fills the preallocated space from `zeroedTo` to a chunk ahead of `end` (see the header). */
  private zeroAhead(end: number): Array<Promise<void>> {
    if (!this.options.forceSync || end <= this.zeroedTo) return [];
    const to = Math.min(this.allocated, Math.max(end, this.zeroedTo + zeroFillBytes));
    const writes: Array<Promise<void>> = [];
    zeroChunk ??= Buffer.alloc(zeroFillBytes);
    for (let at = this.zeroedTo; at < to; at += zeroFillBytes) {
      writes.push(this.file!.write(zeroChunk.subarray(0, Math.min(zeroFillBytes, to - at)), at));
    }
    this.zeroedTo = Math.max(this.zeroedTo, to);
    return writes;
  }

  /** Grows the file (zero-filled) before a write from `start` to `end` that would come near its end, as FilePadding does. */
  private allocate(start: number, end: number): Array<Promise<void>> {
    // Without preallocation the write itself grows the file (fdatasync then covers the new size).
    if (this.options.preAllocBytes <= 0) return [];
    let size = paddedFileSize(start, this.allocated, this.options.preAllocBytes);
    while (size < end) size = paddedFileSize(end, size, this.options.preAllocBytes);
    if (size <= this.allocated) return [];
    this.allocated = size;
    // The new size is file metadata: make it durable once here rather than on every write.
    return this.options.forceSync ? [this.file!.truncate(size), this.file!.sync()] : [this.file!.truncate(size)];
  }

  /** Closes the current file once every flush called so far has settled, and the spare's handle (the file stays, for the next start to remake). */
  async close(): Promise<void> {
    await this.lastSettled;
    await this.closeFile();
    await this.spareMaking;
    const spare = this.spare;
    this.spare = null;
    await spare?.file.close();
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    this.fileName = '';
    await file?.close();
  }
}
