// ZooKeeper's transaction log file format (FileTxnLog, Util.marshallTxnEntry), version 2:
//
//   file   = FileHeader{int magic "ZKLG", int version 2, long dbid 0} record* zero-padding
//   record = long adler32(entry) | int length | entry[length] | byte 0x42 ('B', end of record)
//   entry  = TxnHeader | txn body | optional TxnDigest{int version, long treeDigest}
//
// Where the body ends (ZooKeeper's SerializeUtils.deserializeTxn decides it by reading until EOF):
// - closeSession: 3.6+ writes a CloseSessionTxn (vector of ephemeral paths); older servers, and 3.6+
//   with closeSessionTxn disabled, write none. Read: the body is taken when it parses and leaves 0
//   or 12 bytes (a TxnDigest); otherwise exactly 12 bytes left mean "no body, digest only".
// - create: a body 4 bytes short of a CreateTxn is the pre-3.3 CreateTxnV0 (no parentCVersion),
//   read with parentCVersion -1, as ZooKeeper does.
// - after the body: exactly 12 bytes are a TxnDigest, none means no digest (ZooKeeper with digests
//   disabled, or Meerkat told to write none). Anything else left over is damage: stricter than
//   ZooKeeper, which ignores it, because the checksum passed and so the writer meant those bytes.
//
// Files are preallocated with zeros, so a record whose checksum and length are both 0 is the end when
// only zeros follow it; with non-zero bytes after it, it is a torn tail, or corruption when a valid
// record follows (a zeroed sector in the middle).

import {
  JuteDecodeError, JuteReader, JuteWriter, OpCode, type Txn, type TxnDigest, type TxnHeader, readAclList, readTxn,
  readTxnDigest, readTxnHeader, writeTxn, writeTxnDigest, writeTxnHeader,
} from '../proto/index.js';
import { assert, limits } from '../util/index.js';
import { adler32 } from './adler32.js';
import { BadFileError } from './storage-errors.js';

export const logMagic = 0x5a4b4c47;
export const snapshotMagic = 0x5a4b534e;
export const fileFormatVersion = 2;
export const fileHeaderBytes = 16;
/** dbid in log file headers (FileTxnLog writes 0) and snapshot headers (FileSnap writes -1). */
export const logDbid = 0n;
export const snapshotDbid = -1n;
const endOfRecord = 0x42;
/** crc (8) + length (4) before the entry, end marker (1) after it. */
const recordOverheadBytes = 13;
const txnHeaderBytes = 28;
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
  if (version !== fileFormatVersion) throw new BadFileError(file, `unsupported format version ${version}, expected ${fileFormatVersion}`);
}

const entryScratch = new JuteWriter(4096);

/** Appends one record (header + txn [+ digest], framed and checksummed) to `out`. */
export function writeLogRecord(out: JuteWriter, header: TxnHeader, txn: Txn, digest: TxnDigest | null = null): void {
  // ZooKeeper 3.6+ would read the digest as the missing body and stop reading the file there.
  assert(!(txn.type === OpCode.closeSession && txn.paths2Delete === null && digest !== null), 'a closeSession logged with a digest needs its path list');
  entryScratch.reset();
  writeTxnHeader(entryScratch, header);
  writeTxn(entryScratch, txn);
  if (digest !== null) writeTxnDigest(entryScratch, digest);
  const entry = entryScratch.written;
  const length = entryScratch.position;
  out.long(adler32(entry, 0, length)).int(length).rawRange(entry, 0, length).byte(endOfRecord);
}

/** Decodes the bytes a record's checksum covers (see the file header for where the body ends). */
export function decodeLogEntry(bytes: Uint8Array, start: number, end: number): { header: TxnHeader; txn: Txn; digest: TxnDigest | null } {
  const reader = new JuteReader(bytes, start, end);
  const header = readTxnHeader(reader);
  const bodyStart = reader.position;
  const txn = header.type === OpCode.closeSession ? readCloseSession(bytes, bodyStart, end)
    : readBody(bytes, { start: bodyStart, end, type: header.type });
  const left = end - txn.bodyEnd;
  if (left !== 0 && left !== txnDigestBytes) throw new JuteDecodeError(`${left} unexpected bytes after the txn`);
  const digest = left === txnDigestBytes ? readTxnDigest(new JuteReader(bytes, txn.bodyEnd, end)) : null;
  return { header, txn: txn.txn, digest };
}

type BodyRead = { txn: Txn; bodyEnd: number };

/**
 * Every body but closeSession's delimits itself. A create too short for its current layout is the V0
 * layout (V0 predates digests, so no V0 create is followed by one).
 */
function readBody(bytes: Uint8Array, at: { start: number; end: number; type: number }): BodyRead {
  try {
    const reader = new JuteReader(bytes, at.start, at.end);
    const txn = readTxn(reader, at.type);
    return { txn, bodyEnd: reader.position };
  } catch (error) {
    if (!(error instanceof JuteDecodeError) || at.type !== OpCode.create) throw error;
    return readCreateV0(bytes, at.start, at.end);
  }
}

function readCreateV0(bytes: Uint8Array, start: number, end: number): BodyRead {
  const reader = new JuteReader(bytes, start, end);
  const path = reader.string();
  const data = reader.buffer() ?? new Uint8Array(0);
  const acl = readAclList(reader);
  const ephemeral = reader.bool();
  return { txn: { type: OpCode.create, path, data, acl, ephemeral, parentCVersion: -1 }, bodyEnd: reader.position };
}

function readCloseSession(bytes: Uint8Array, start: number, end: number): BodyRead {
  const left = end - start;
  if (left === 0) return { txn: { type: OpCode.closeSession, paths2Delete: null }, bodyEnd: end };
  try {
    const reader = new JuteReader(bytes, start, end);
    const paths2Delete = reader.stringVector();
    if (reader.remaining === 0 || reader.remaining === txnDigestBytes) {
      return { txn: { type: OpCode.closeSession, paths2Delete }, bodyEnd: reader.position };
    }
  } catch (error) {
    if (!(error instanceof JuteDecodeError)) throw error;
  }
  if (left === txnDigestBytes) return { txn: { type: OpCode.closeSession, paths2Delete: null }, bodyEnd: start };
  throw new JuteDecodeError(`closeSession body of ${left} bytes is neither a path list nor a digest`);
}

export type RecordParse =
  | { kind: 'entry'; entry: LogEntry; next: number }
  | { kind: 'end' }
  | { kind: 'bad'; reason: string };

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses the record at `offset` of a log file's bytes (`view`: a DataView over them, reused by callers that walk a file). */
export function parseLogRecord(bytes: Uint8Array, offset: number, view = viewOf(bytes)): RecordParse {
  const left = bytes.length - offset;
  if (left < 12) return left === 0 ? { kind: 'end' } : { kind: 'bad', reason: `partial record header (${left} bytes)` };
  const checksum = view.getUint32(offset + 4) + view.getInt32(offset) * 0x1_0000_0000;
  const length = view.getInt32(offset + 8);
  if (length === 0 && checksum === 0) return { kind: 'end' };
  if (length < txnHeaderBytes || length > limits.logEntryBytesMax || offset + recordOverheadBytes + length > bytes.length) {
    return { kind: 'bad', reason: `impossible record length ${length}` };
  }
  const entryStart = offset + 12;
  const entryEnd = entryStart + length;
  if (adler32(bytes, entryStart, entryEnd) !== checksum) return { kind: 'bad', reason: 'checksum mismatch' };
  if (bytes[entryEnd] !== endOfRecord) return { kind: 'bad', reason: 'missing end-of-record marker' };
  try {
    const { header, txn, digest } = decodeLogEntry(bytes, entryStart, entryEnd);
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

/** How a log file's records end: cleanly, at a torn tail, or at corruption. */
export type LogFileEnd = Omit<LogFileContents, 'entries'>;

/**
 * A log file's records, parsed one at a time as `next()` reaches them (header checked on
 * construction; BadFileError for a file that is not a log). Replay applies each entry and drops it:
 * parsing a whole file into a list first kept 10^5 entries alive, and the garbage collector then
 * spent more time copying them than the parser spent making them. Once `next()` has returned null,
 * `end` says how the records ended.
 */
export class LogRecordCursor {
  private offset = fileHeaderBytes;
  private readonly view: DataView;
  private ended: LogFileEnd | null = null;

  constructor(file: string, private readonly bytes: Uint8Array) {
    checkFileHeader(file, bytes, logMagic);
    this.view = viewOf(bytes);
  }

  /** The next record's entry, or null at the end of the valid records. */
  next(): LogEntry | null {
    if (this.ended !== null) return null;
    const { bytes, offset } = this;
    const parsed = parseLogRecord(bytes, offset, this.view);
    if (parsed.kind === 'entry') {
      this.offset = parsed.next;
      return parsed.entry;
    }
    if (parsed.kind === 'end') {
      this.ended = zerosAt(bytes, offset);
      return null;
    }
    const failure = { offset, reason: parsed.reason };
    this.ended = validRecordAfter(bytes, { offset })
      ? { validEnd: offset, tornTail: null, corruption: failure }
      : { validEnd: offset, tornTail: failure, corruption: null };
    return null;
  }

  /** How the records ended; only once next() has returned null. */
  get end(): LogFileEnd {
    assert(this.ended !== null, 'a log file\'s end read before its last record');
    return this.ended;
  }
}

/** Parses a whole log file (header checked). Throws BadFileError for a file that is not a log. */
export function parseLogFile(file: string, bytes: Uint8Array): LogFileContents {
  const cursor = new LogRecordCursor(file, bytes);
  const entries: LogEntry[] = [];
  for (let entry = cursor.next(); entry !== null; entry = cursor.next()) entries.push(entry);
  return { entries, ...cursor.end };
}

/** Where a txn's zxid and type are in its entry (TxnHeader: sessionId 8, cxid 4, zxid 8, time 8, type 4). */
const zxidOffsetInEntry = 12;
const typeOffsetInEntry = 28;
const headerEndInEntry = 32;

/**
 * How many records from `fromZxid` on are creates, reading only record headers (no checksums, no
 * decoding; it stops at the first record that does not look whole). An estimate that sizes the tree
 * before replay: growing its child index one rehash at a time took a third of replaying 10^5 creates.
 */
export function createRecordsFrom(bytes: Uint8Array, fromZxid: number): number {
  const view = viewOf(bytes);
  let creates = 0;
  for (let offset = fileHeaderBytes; offset + 12 + headerEndInEntry <= bytes.length;) {
    const length = view.getInt32(offset + 8);
    if (length < headerEndInEntry || offset + recordOverheadBytes + length > bytes.length) break;
    const entryStart = offset + 12;
    const type = view.getInt32(entryStart + typeOffsetInEntry);
    const zxid = view.getUint32(entryStart + zxidOffsetInEntry + 4) + view.getInt32(entryStart + zxidOffsetInEntry) * 0x1_0000_0000;
    if (zxid >= fromZxid && (type === OpCode.create || type === OpCode.create2 || type === OpCode.createContainer || type === OpCode.createTTL)) creates++;
    offset = entryStart + length + 1;
  }
  return creates;
}

/**
 * A zero record header at `offset`: the end of the log when only zeros follow. Non-zero bytes after it
 * are a torn tail (a crash wrote a later sector of the record but not its first), or corruption when
 * a valid record follows (a zeroed sector in the middle would otherwise hide the rest of the log).
 */
function zerosAt(bytes: Uint8Array, offset: number): LogFileEnd {
  const clean = { validEnd: offset, tornTail: null, corruption: null };
  const lastNonZero = lastNonZeroByte(bytes, offset);
  if (lastNonZero <= offset) return clean;
  const failure = { offset, reason: 'zero record header followed by non-zero bytes' };
  return validRecordAfter(bytes, { offset, lastNonZero }) ? { ...clean, corruption: failure } : { ...clean, tornTail: failure };
}

/**
 * Whether any valid record starts after `offset`: the difference between a torn tail (a crash
 * mid-append leaves nothing valid after the damage) and corruption. Only the non-zero part of the file
 * is searched, and the end marker is checked before the checksum, so the search stays cheap.
 */
function validRecordAfter(bytes: Uint8Array, range: { offset: number; lastNonZero?: number }): boolean {
  const { offset } = range;
  const lastNonZero = range.lastNonZero ?? lastNonZeroByte(bytes, offset);
  const view = viewOf(bytes);
  for (let at = offset + 1; at + recordOverheadBytes + txnHeaderBytes <= lastNonZero + 1; at++) {
    const length = view.getInt32(at + 8);
    if (length < txnHeaderBytes || at + recordOverheadBytes + length > lastNonZero + 1) continue;
    if (bytes[at + 12 + length] !== endOfRecord) continue;
    if (parseLogRecord(bytes, at, view).kind === 'entry') return true;
  }
  return false;
}

const zeroBlock = new Uint8Array(1 << 16);

/**
 * The index of the last non-zero byte after `offset` (or `offset`): a preallocated file ends in up to
 * 64 MiB of zeros, compared a block at a time (native memcmp) rather than byte by byte.
 */
function lastNonZeroByte(bytes: Uint8Array, offset: number): number {
  let end = bytes.length;
  while (end > offset + 1) {
    const start = Math.max(offset + 1, end - zeroBlock.length);
    if (Buffer.compare(bytes.subarray(start, end), zeroBlock.subarray(0, end - start)) !== 0) break;
    end = start;
  }
  let last = end - 1;
  while (last > offset && bytes[last] === 0) last--;
  return Math.max(last, offset);
}
