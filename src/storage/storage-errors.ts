// Typed storage errors. Each names the file and, where it applies, the byte offset, so an operator
// knows exactly what is damaged (see docs/operations.md for recovery steps).

export class StorageError extends Error {
  override name = 'StorageError';
}

/** A file is not what its name says: wrong magic, version or layout. Never treated as empty. */
export class BadFileError extends StorageError {
  override name = 'BadFileError';
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

/** A checksum mismatch or unreadable record before the end of the log: data is damaged. */
export class CorruptLogError extends StorageError {
  override name = 'CorruptLogError';
  constructor(readonly file: string, readonly offset: number, reason: string) {
    super(`${file} at byte ${offset}: ${reason}. The log is damaged before its end; Meerkat will not start on it. ` +
      'See docs/operations.md ("Recovering from a damaged log").');
  }
}

/** Consecutive txns whose zxids skip: a log file is missing or out of order. */
export class ZxidGapError extends StorageError {
  override name = 'ZxidGapError';
  constructor(readonly file: string, readonly offset: number, readonly previousZxid: number, readonly zxid: number) {
    super(`${file} at byte ${offset}: zxid 0x${zxid.toString(16)} follows 0x${previousZxid.toString(16)}; ` +
      'a log file is missing or damaged. See docs/operations.md.');
  }
}
