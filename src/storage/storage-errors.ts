// Typed storage errors. Each names the file and, where it applies, the byte offset, so an operator
// knows exactly what is damaged (docs/operations.md has the recovery steps). `code` is stable for
// scripts and logs; `name` is the class.

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: string = 'STORAGE';
}

/** A file is not what its name says: wrong magic, version or layout. Never treated as empty. */
export class BadFileError extends StorageError {
  override name = 'BadFileError';
  override readonly code: string = 'BAD_FILE';
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

/** A snapshot whose stored Adler32 differs from the one computed over its bytes. */
export class SnapshotChecksumError extends BadFileError {
  override name = 'SnapshotChecksumError';
  override readonly code: string = 'SNAPSHOT_CHECKSUM';
  constructor(file: string, sums: { stored: number; computed: number }) {
    super(file, `snapshot checksum mismatch (stored 0x${sums.stored.toString(16)}, computed 0x${sums.computed.toString(16)})`);
  }
}

/** A checksum mismatch or unreadable record before the end of the log: data is damaged. */
export class CorruptLogError extends StorageError {
  override name = 'CorruptLogError';
  override readonly code: string = 'CORRUPT_LOG';
  constructor(readonly file: string, readonly offset: number, reason: string) {
    super(`${file} at byte ${offset}: ${reason}. The log is damaged before its end; Meerkat will not start on it. ` +
      'See docs/operations.md ("Recovering from a damaged log").');
  }
}

/** Consecutive txns whose zxids skip or go back: a log file is missing, damaged or out of order. */
export class ZxidGapError extends StorageError {
  override name = 'ZxidGapError';
  override readonly code: string = 'ZXID_GAP';
  constructor(readonly file: string, readonly offset: number, readonly previousZxid: number, readonly zxid: number) {
    super(`${file} at byte ${offset}: zxid 0x${zxid.toString(16)} follows 0x${previousZxid.toString(16)}; ` +
      'a log file is missing or damaged. See docs/operations.md.');
  }
}

/** The txn log could not be written and could not be cut back after the failure: it takes no more txns. */
export class LogBrokenError extends StorageError {
  override name = 'LogBrokenError';
  override readonly code: string = 'LOG_BROKEN';
  constructor(readonly file: string, override readonly cause: Error) {
    super(`txn log ${file} is unusable after a failed write (${cause.message}); restart the server once the disk is fixed`);
  }
}
