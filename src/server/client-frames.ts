// One client frame (after its length prefix) into the core: the first frame of a connection is the
// connect request, every later one a request header and record. Shared by the socket listener
// (runtime/client-listener.ts) and the simulator's client links, so both feed the core the same way.
// Bad bytes are reported, not thrown: the caller closes the connection with the reason.

import { JuteDecodeError, type JuteReader, UnknownOpCodeError, readConnectRequest, readRequest } from '../proto/index.js';
import type { ClientConnection } from './client-connection.js';
import type { ServerCore } from './server-core.js';

export type FrameOutcome =
  | { kind: 'ok' }
  /** A request type the decoder does not know: answered UNIMPLEMENTED, in order. */
  | { kind: 'unknown'; type: number }
  /** Malformed: close the connection with this reason. */
  | { kind: 'drop'; reason: string };

const ok: FrameOutcome = { kind: 'ok' };

/** The connect request: opens the connection (`open`) and hands the handshake to the core. */
export function takeConnectFrame(core: ServerCore, reader: JuteReader, open: () => ClientConnection): FrameOutcome {
  let request;
  try {
    request = readConnectRequest(reader);
  } catch (error) {
    if (!(error instanceof JuteDecodeError)) throw error;
    return { kind: 'drop', reason: `malformed connect request: ${error.message}` };
  }
  core.connect(open(), request);
  return ok;
}

/** A request frame on an open connection. */
export function takeRequestFrame(core: ServerCore, connection: ClientConnection, reader: JuteReader): FrameOutcome {
  let xid = 0;
  let type = 0;
  try {
    xid = reader.int();
    type = reader.int();
    const request = readRequest(reader, type);
    if (reader.remaining !== 0) return { kind: 'drop', reason: `${reader.remaining} unexpected bytes after a request of type ${type}` };
    core.request(connection, xid, request);
    return ok;
  } catch (error) {
    if (error instanceof UnknownOpCodeError) {
      core.unknownRequest(connection, xid, type);
      return { kind: 'unknown', type };
    }
    if (error instanceof JuteDecodeError) return { kind: 'drop', reason: `malformed request (type ${type}): ${error.message}` };
    throw error;
  }
}
