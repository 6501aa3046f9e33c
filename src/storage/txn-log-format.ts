// ZooKeeper's transaction log file format (FileTxnLog), version 2:
//
//   file   = FileHeader{int magic "ZKLG", int version 2, long dbid 0} record* zero-padding
//   record = long adler32(entry) | int length | entry[length] | byte 0x42 ('B', end of record)
//   entry  = TxnHeader | txn body | optional TxnDigest{int version, long treeDigest}
//
// Files are preallocated with zeros, so a record whose checksum and length are both 0 marks the end.
// A record that fails to parse is a torn tail (a crash mid-append) if no valid record follows it in
// the file; otherwise the file is corrupt. Meerkat writes no TxnDigest (ZooKeeper reads logs without).
// A closeSession body is read when bytes remain for it (3.6+ always writes one).

import {
  JuteDecodeError, JuteReader, JuteWriter, type Txn, type TxnDigest, type TxnHeader, readTxn, readTxnDigest,
  readTxnHeader, writeTxn, writeTxnHeader,
} from '../proto/index.js';
import { adler32 } from './adler32.js';
import { BadFileError } from './storage-errors.js';

export const logMagic = 0x5a4b4c47;
export const snapshotMagic = 0x5a4b534e;
export const fileFormatVersion = 2;
export const fileHeaderBytes = 16;
const endOfRecord = 0x42;
/** crc (8) + length (4) before the entry, end marker (1) after it. */
const recordOverheadBytes = 13;
const txnDigestBytes = 12;

export interface LogEntry {
  header: TxnHeader;
  txn: Txn;
  digest: TxnDigest | null;
  /** Byte offset of the record in its file. */
  offset: number;
}

export function encodeFileHeader(magic: number, dbid: bigint): Uint8Array {
  return new JuteWriter(fileHeaderBytes).int(magic).int(fileFormatVersion).bigLong(dbid).toBuffer();
}

export function checkFileHeader(file: string, bytes: Uint8Array, magic: number): void {
  if (bytes.length < fileHeaderBytes) throw new BadFileError(file, `shorter (${bytes.length} bytes) than a file header`);
  const reader = new JuteReader(bytes);
  const found = reader.int();
  if (found !== magic) {
    throw new BadFileError(file, `wrong magic 0x${(found >>> 0).toString(16)}, expected 0x${magic.toString(16)}: not a ZooKeeper ${magic === logMagic ? 'txn log' : 'snapshot'}`);
  }
  const version = reader.int();
  if (version !== fileFormatVersion) throw new BadFileError(file, `unsupported format version ${version}`);
}

const entryScratch = new JuteWriter(4096);

/** Appends one record (header + txn, framed and checksummed) to `out`. */
export function writeLogRecord(out: JuteWriter, header: TxnHeader, txn: Txn): void {
  entryScratch.reset();
  writeTxnHeader(entryScratch, header);
  writeTxn(entryScratch, txn);
  const entry = entryScratch.view();
  out.long(adler32(entry)).int(entry.length).raw(entry);
  out.raw(endMarker);
}
const endMarker = new Uint8Array([endOfRecord]);

type RecordParse = { kind: 'entry'; entry: LogEntry; next: number } | { kind: 'end' } | { kind: 'bad'; reason: string };

/** Parses the record at `offset`. */
export function parseLogRecord(bytes: Uint8Array, offset: number): RecordParse {
  if (bytes.length - offset < 12) return bytes.length - offset === 0 ? { kind: 'end' } : { kind: 'bad', reason: 'partial record header' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const checksum = view.getUint32(offset + 4) + view.getInt32(offset) * 0x1_0000_0000;
  const length = view.getInt32(offset + 8);
  if (length === 0 && checksum === 0) return { kind: 'end' };
  if (length <= 0 || offset + recordOverheadBytes + length > bytes.length) return { kind: 'bad', reason: `impossible record length ${length}` };
  const entryStart = offset + 12;
  const entryEnd = entryStart + length;
  if (adler32(bytes, entryStart, entryEnd) !== checksum) return { kind: 'bad', reason: 'checksum mismatch' };
  if (bytes[entryEnd] !== endOfRecord) return { kind: 'bad', reason: 'missing end-of-record marker' };
  try {
    const reader = new JuteReader(bytes, entryStart, entryEnd);
    const header = readTxnHeader(reader);
    const txn = readTxn(reader, header.type);
    // ZooKeeper 3.6+ may follow the body with a TxnDigest; anything else left over is damage.
    const digest = reader.remaining === txnDigestBytes ? readTxnDigest(reader) : null;
    if (reader.remaining !== 0) return { kind: 'bad', reason: `${reader.remaining} unexpected bytes after the txn` };
    return { kind: 'entry', entry: { header, txn, digest, offset }, next: entryEnd + 1 };
  } catch (error) {
    if (error instanceof JuteDecodeError) return { kind: 'bad', reason: `undecodable txn: ${error.message}` };
    throw error;
  }
}

export interface LogFileContents {
  entries: LogEntry[];
  /** Where valid records end (the truncation point after a torn tail). */
  validEnd: number;
  /** A record that failed to parse with nothing valid after it: a torn tail. */
  tornTail: { offset: number; reason: string } | null;
  /** A record that failed to parse with valid records after it: corruption. */
  corruption: { offset: number; reason: string } | null;
}

/** Parses a whole log file (header checked). Throws BadFileError for a file that is not a log. */
export function parseLogFile(file: string, bytes: Uint8Array): LogFileContents {
  checkFileHeader(file, bytes, logMagic);
  const entries: LogEntry[] = [];
  let offset = fileHeaderBytes;
  for (;;) {
    const parsed = parseLogRecord(bytes, offset);
    if (parsed.kind === 'end') return { entries, validEnd: offset, tornTail: null, corruption: null };
    if (parsed.kind === 'entry') {
      entries.push(parsed.entry);
      offset = parsed.next;
      continue;
    }
    const failure = { offset, reason: parsed.reason };
    return validRecordAfter(bytes, offset)
      ? { entries, validEnd: offset, tornTail: null, corruption: failure }
      : { entries, validEnd: offset, tornTail: failure, corruption: null };
  }
}

/** Whether any valid record starts after `offset` (only the non-zero part of the file is searched). */
function validRecordAfter(bytes: Uint8Array, offset: number): boolean {
  let lastNonZero = bytes.length - 1;
  while (lastNonZero > offset && bytes[lastNonZero] === 0) lastNonZero--;
  for (let at = offset + 1; at + recordOverheadBytes <= lastNonZero + 1; at++) {
    if (parseLogRecord(bytes, at).kind === 'entry') return true;
  }
  return false;
}
