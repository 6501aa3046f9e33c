// What a learner sends its leader about clients, in ZooKeeper 3.8's layouts:
//  - a REQUEST packet's data (Learner.request): long sessionId, int cxid, int type, then the
//    request's own record — for createSession the negotiated timeout as one int (ZooKeeper's
//    ZooKeeperServer.createSession), for closeSession nothing. The session's auth ids travel in the
//    packet's authinfo, not here.
//  - a PING reply's data (Learner.ping): the sessions this learner holds connections for, as raw
//    (long sessionId, int timeoutMs) pairs back to back, with no count in front.

import { JuteReader, JuteWriter, OpCode, type Request, readRequest, writeRequest } from '../proto/index.js';

/** A client request a learner sends up: a write, sync, or a session's create or close. */
export type ForwardedRequest =
  | { sessionId: bigint; cxid: number; type: typeof OpCode.createSession; timeoutMs: number }
  | { sessionId: bigint; cxid: number; type: typeof OpCode.closeSession }
  | { sessionId: bigint; cxid: number; type: number; request: Request };

export function encodeForwardedRequest(forwarded: ForwardedRequest): Uint8Array {
  const writer = new JuteWriter(64);
  writer.bigLong(forwarded.sessionId).int(forwarded.cxid).int(forwarded.type);
  if ('timeoutMs' in forwarded) writer.int(forwarded.timeoutMs);
  else if ('request' in forwarded) writeRequest(writer, forwarded.request);
  return writer.toBuffer();
}

/** Decodes a REQUEST packet's data; throws JuteDecodeError (or UnknownOpCodeError) on bad bytes. */
export function decodeForwardedRequest(data: Uint8Array): ForwardedRequest {
  const reader = new JuteReader(data);
  const sessionId = reader.bigLong();
  const cxid = reader.int();
  const type = reader.int();
  if (type === OpCode.createSession) return { sessionId, cxid, type, timeoutMs: reader.int() };
  if (type === OpCode.closeSession) return { sessionId, cxid, type };
  return { sessionId, cxid, type, request: readRequest(reader, type) };
}

const sessionReportEntryBytes = 12;

export function encodeSessionReport(sessions: ReadonlyArray<{ id: bigint; timeoutMs: number }>): Uint8Array {
  const writer = new JuteWriter(Math.max(16, sessions.length * sessionReportEntryBytes));
  for (const session of sessions) writer.bigLong(session.id).int(session.timeoutMs);
  return writer.toBuffer();
}

/** The session ids of a PING report; a trailing partial entry is ignored. */
export function decodeSessionReport(data: Uint8Array): bigint[] {
  const reader = new JuteReader(data);
  const ids: bigint[] = [];
  while (reader.remaining >= sessionReportEntryBytes) {
    ids.push(reader.bigLong());
    reader.int();
  }
  return ids;
}

/**
 * REVALIDATE (Learner.validateSession, LearnerHandler): the learner asks with (long sessionId, int
 * timeoutMs); the leader answers (long sessionId, boolean valid) and takes the learner as the
 * session's owner when it is valid.
 */
export function encodeRevalidation(session: { id: bigint; timeoutMs: number }): Uint8Array {
  return new JuteWriter(12).bigLong(session.id).int(session.timeoutMs).toBuffer();
}

export function decodeRevalidation(data: Uint8Array): { id: bigint; timeoutMs: number } {
  const reader = new JuteReader(data);
  return { id: reader.bigLong(), timeoutMs: reader.int() };
}

export function encodeRevalidationAnswer(answer: { id: bigint; valid: boolean }): Uint8Array {
  return new JuteWriter(9).bigLong(answer.id).bool(answer.valid).toBuffer();
}

export function decodeRevalidationAnswer(data: Uint8Array): { id: bigint; valid: boolean } {
  const reader = new JuteReader(data);
  return { id: reader.bigLong(), valid: reader.bool() };
}
