// Reading the txn log across its files, in zxid order (FileTxnLog.read / FileTxnIterator), and
// truncating it (FileTxnLog.truncate). Files are named after their first zxid; reading from zxid Z
// starts in the newest file whose name is <= Z.
//
// What counts as damage:
// - a record that fails to parse with a valid record after it, in any file: corruption, fatal
//   (CorruptLogError naming file and offset);
// - a record that fails to parse with nothing valid after it: a torn tail (a crash mid-append). In the
//   newest file, recovery truncates it (`repairTornTail`). In an older file it is what ZooKeeper
//   leaves after a crash (it starts a new file on restart, reusing the torn record's zxid), so it is
//   skipped with a warning; the zxid check below still catches any txn actually missing;
// - zxids that do not increase, or skip within an epoch: fatal (ZxidGapError). Across epochs a skip is
//   normal (a new leader's txns start at counter 1).

import { assert, zxidEpoch } from '../util/index.js';
import { sortedFiles } from './data-dir.js';
import { type FileSystem, joinPath } from './file-system.js';
import { CorruptLogError, ZxidGapError } from './storage-errors.js';
import {
  type LogEntry, type LogFileEnd, LogRecordCursor, encodeFileHeader, fileHeaderBytes, logDbid, logMagic, parseLogFile,
} from './txn-log-format.js';

export interface ReadLogOptions {
  fs: FileSystem;
  /** The version-2 directory holding `log.<zxid>` files. */
  dir: string;
  /** Entries with a zxid below this are skipped. */
  fromZxid: number;
  /** Truncate a torn tail of the newest file (and remove a newest file whose header never reached the disk). Recovery only. */
  repairTornTail?: boolean;
  /** Told about anything an operator should know (a truncated tail, a skipped torn record). */
  warn?: (message: string) => void;
}

export interface ReadLogEntry extends LogEntry {
  /** The path of the file the entry is in. */
  file: string;
}

/** Whether `zxid` may directly follow `previous` in the log: the next counter, or any zxid of a later epoch. */
function follows(zxid: number, previous: number): boolean {
  return zxid === previous + 1 || (zxid > previous && zxidEpoch(zxid) !== zxidEpoch(previous));
}

/** A newest log file that holds no complete header: created, then a crash before its header was synced. */
function headerNeverWritten(bytes: Uint8Array): boolean {
  if (bytes.length >= fileHeaderBytes) return bytes.subarray(0, fileHeaderBytes).every((byte) => byte === 0);
  const header = encodeFileHeader(logMagic, logDbid);
  return bytes.every((byte, index) => byte === 0 || byte === header[index]);
}

/** The log files that may hold zxids >= `fromZxid`, oldest first. */
export async function logFilesFrom(fs: FileSystem, dir: string, fromZxid: number): Promise<Array<{ name: string; zxid: number }>> {
  const logs = sortedFiles(await fs.list(dir), 'log');
  let first = 0;
  logs.forEach((log, index) => {
    if (log.zxid <= fromZxid) first = index;
  });
  return logs.slice(first);
}

/**
 * One log file's entries from `fromZxid` on, parsed and checked as they are taken: `next()` returns
 * null at the end of the file's valid records, and throws CorruptLogError or ZxidGapError where the
 * damage is (after returning the entries before it: a caller that applies them stops there anyway).
 */
export interface LogFileEntries {
  readonly path: string;
  /** The file's bytes (e.g. to size the tree with createRecordsFrom before replay). */
  readonly bytes: Uint8Array;
  next(): LogEntry | null;
}

/** Zxid order across files: the previous zxid read (-1 before the first). */
class ZxidOrder {
  previous = -1;

  constructor(private readonly fromZxid: number) {}

  check(path: string, entry: LogEntry): void {
    const { previous, fromZxid } = this;
    const zxid = entry.header.zxid;
    if (previous >= 0 && !follows(zxid, previous)) throw new ZxidGapError(path, entry.offset, previous, zxid);
    if (previous < 0 && zxid > fromZxid && fromZxid > 0 && !follows(zxid, fromZxid - 1)) {
      throw new ZxidGapError(path, entry.offset, fromZxid - 1, zxid);
    }
    this.previous = zxid;
  }
}

class FileEntries implements LogFileEntries {
  private readonly cursor: LogRecordCursor;
  done = false;

  constructor(readonly path: string, readonly bytes: Uint8Array, private readonly order: ZxidOrder, private readonly fromZxid: number) {
    this.cursor = new LogRecordCursor(path, bytes);
  }

  next(): LogEntry | null {
    for (;;) {
      const entry = this.cursor.next();
      if (entry === null) {
        const { corruption } = this.cursor.end;
        if (corruption !== null) throw new CorruptLogError(this.path, corruption.offset, corruption.reason);
        this.done = true;
        return null;
      }
      this.order.check(this.path, entry);
      if (entry.header.zxid >= this.fromZxid) return entry;
    }
  }

  get end(): LogFileEnd {
    return this.cursor.end;
  }
}

/**
 * The log files that may hold zxids >= `fromZxid`, oldest first, each read whole and handed over to
 * be drained (its `next()` until null) before the next one is asked for; the torn tail of the newest
 * file is dealt with then. Replay takes entries this way, one synchronous loop per file: an async
 * generator step per txn cost more than decoding it.
 */
export async function* readLogFiles(options: ReadLogOptions): AsyncGenerator<LogFileEntries> {
  const { fs, dir, fromZxid } = options;
  const warn = options.warn ?? (() => {});
  const files = await logFilesFrom(fs, dir, fromZxid);
  const order = new ZxidOrder(fromZxid);
  for (let index = 0; index < files.length; index++) {
    const path = joinPath(dir, files[index]!.name);
    const isNewest = index === files.length - 1;
    const bytes = await fs.readFile(path);
    if (isNewest && options.repairTornTail === true && headerNeverWritten(bytes)) {
      warn(`${path}: removing a log file whose header never reached the disk`);
      await fs.remove(path);
      await fs.syncDirectory(dir);
      return;
    }
    const entries = new FileEntries(path, bytes, order, fromZxid);
    yield entries;
    assert(entries.done, `${path}: the next log file was asked for before this one was read to its end`);
    const { tornTail: torn, validEnd } = entries.end;
    if (torn === null) continue;
    if (!isNewest) {
      warn(`${path}: skipping a torn record at byte ${torn.offset} (${torn.reason}); the next file continues the log`);
    } else if (options.repairTornTail === true) {
      warn(`${path}: truncating a torn tail at byte ${torn.offset} (${torn.reason})`);
      await fs.truncate(path, validEnd);
    }
  }
}

/** Every logged txn with zxid >= `fromZxid`, in order, checked as the file header describes. */
export async function* readLog(options: ReadLogOptions): AsyncGenerator<ReadLogEntry> {
  for await (const file of readLogFiles(options)) {
    for (let entry = file.next(); entry !== null; entry = file.next()) yield { ...entry, file: file.path };
  }
}

/** The newest zxid in the log, or -1 when it holds none (FileTxnLog.getLastLoggedZxid). */
export async function lastLoggedZxid(fs: FileSystem, dir: string): Promise<number> {
  const logs = sortedFiles(await fs.list(dir), 'log');
  for (let index = logs.length - 1; index >= 0; index--) {
    const path = joinPath(dir, logs[index]!.name);
    const bytes = await fs.readFile(path);
    if (headerNeverWritten(bytes)) continue;
    const entries = parseLogFile(path, bytes).entries;
    if (entries.length > 0) return entries[entries.length - 1]!.header.zxid;
  }
  return -1;
}

/**
 * Removes every txn after `zxid`: files that start after it are deleted, the file holding it is cut
 * just after its record (padding and any torn tail go too, as FileTxnLog.truncate does).
 */
export async function truncateLog(fs: FileSystem, options: { dir: string; zxid: number }): Promise<void> {
  const { dir, zxid } = options;
  const logs = sortedFiles(await fs.list(dir), 'log');
  for (const log of logs) {
    const path = joinPath(dir, log.name);
    if (log.zxid > zxid) {
      await fs.remove(path);
      continue;
    }
    const isHolder = logs.every((other) => other.zxid <= log.zxid || other.zxid > zxid);
    if (!isHolder) continue;
    const bytes = await fs.readFile(path);
    if (headerNeverWritten(bytes)) {
      await fs.remove(path);
      continue;
    }
    const contents = parseLogFile(path, bytes);
    if (contents.corruption !== null) throw new CorruptLogError(path, contents.corruption.offset, contents.corruption.reason);
    const after = contents.entries.find((entry) => entry.header.zxid > zxid);
    await fs.truncate(path, after?.offset ?? contents.validEnd);
  }
  await fs.syncDirectory(dir);
}
