// The client protocol's records (zookeeper.jute, module org.apache.zookeeper.proto): the connect
// handshake, request and reply headers, every request and response body, multi, and watch events.
//
// A frame on the client port is a 4-byte big-endian length followed by the record bytes. After the
// handshake, a request frame is RequestHeader{xid, type} + body and a reply frame is
// ReplyHeader{xid, zxid, err} + body (no body when err != 0). Requests and responses are plain objects
// discriminated by `type`, the OpCode.

import { OpCode } from './constants.js';
import type { Acl, NodeData, Stat } from './data.js';
import type { JuteReader, JuteWriter } from './jute.js';

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  /** Absent when the client is older than 3.4 and sent no trailing byte. */
  readOnly: boolean | undefined;
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean;
}

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

type Op<T extends number> = { type: T };

export interface CreateRequest extends Op<typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer> {
  path: string;
  data: NodeData;
  acl: Acl[];
  flags: number;
}
export interface CreateTtlRequest extends Op<typeof OpCode.createTTL> {
  path: string;
  data: NodeData;
  acl: Acl[];
  flags: number;
  ttl: number;
}
export interface DeleteRequest extends Op<typeof OpCode.delete | typeof OpCode.deleteContainer> {
  path: string;
  version: number;
}
export interface WatchableReadRequest
  extends Op<typeof OpCode.exists | typeof OpCode.getData | typeof OpCode.getChildren | typeof OpCode.getChildren2> {
  path: string;
  watch: boolean;
}
export interface SetDataRequest extends Op<typeof OpCode.setData> {
  path: string;
  data: NodeData;
  version: number;
}
export interface PathRequest extends Op<typeof OpCode.getACL | typeof OpCode.sync | typeof OpCode.getAllChildrenNumber> {
  path: string;
}
export interface SetAclRequest extends Op<typeof OpCode.setACL> {
  path: string;
  acl: Acl[];
  version: number;
}
export interface CheckVersionRequest extends Op<typeof OpCode.check> {
  path: string;
  version: number;
}
export type MultiWriteOp = CreateRequest | CreateTtlRequest | DeleteRequest | SetDataRequest | CheckVersionRequest;
export interface MultiRequest extends Op<typeof OpCode.multi> {
  ops: MultiWriteOp[];
}
export type MultiReadOp = WatchableReadRequest & { type: typeof OpCode.getData | typeof OpCode.getChildren };
export interface MultiReadRequest extends Op<typeof OpCode.multiRead> {
  ops: MultiReadOp[];
}
export interface ReconfigRequest extends Op<typeof OpCode.reconfig> {
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  curConfigId: number;
}
export interface WatchesRequest extends Op<typeof OpCode.checkWatches | typeof OpCode.removeWatches> {
  path: string;
  watcherType: number;
}
export interface AuthRequest extends Op<typeof OpCode.auth> {
  authType: number;
  scheme: string;
  auth: Uint8Array;
}
export interface SetWatchesRequest extends Op<typeof OpCode.setWatches | typeof OpCode.setWatches2> {
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  /** Only in setWatches2. */
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}
export interface SaslRequest extends Op<typeof OpCode.sasl> {
  token: Uint8Array;
}
export interface GetEphemeralsRequest extends Op<typeof OpCode.getEphemerals> {
  prefixPath: string;
}
export interface AddWatchRequest extends Op<typeof OpCode.addWatch> {
  path: string;
  mode: number;
}
export type EmptyRequest = Op<typeof OpCode.ping | typeof OpCode.whoAmI | typeof OpCode.closeSession>;

export type Request =
  | CreateRequest
  | CreateTtlRequest
  | DeleteRequest
  | WatchableReadRequest
  | SetDataRequest
  | PathRequest
  | SetAclRequest
  | CheckVersionRequest
  | MultiRequest
  | MultiReadRequest
  | ReconfigRequest
  | WatchesRequest
  | AuthRequest
  | SetWatchesRequest
  | SaslRequest
  | GetEphemeralsRequest
  | AddWatchRequest
  | EmptyRequest;

export interface ClientInfo {
  authScheme: string;
  user: string;
}

export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete | typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.getData; data: NodeData; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.error; err: number };

export type Response =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL; path: string; stat: Stat }
  | { type: typeof OpCode.exists | typeof OpCode.setData | typeof OpCode.setACL; stat: Stat }
  | { type: typeof OpCode.getData; data: NodeData; stat: Stat }
  | { type: typeof OpCode.getACL; acl: Acl[]; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.getChildren2; children: string[]; stat: Stat }
  | { type: typeof OpCode.sync; path: string }
  | { type: typeof OpCode.multi | typeof OpCode.multiRead; results: MultiResult[] }
  | { type: typeof OpCode.getEphemerals; ephemerals: string[] }
  | { type: typeof OpCode.getAllChildrenNumber; totalNumber: number }
  | { type: typeof OpCode.whoAmI; clientInfo: ClientInfo[] }
  | {
      type:
        | typeof OpCode.delete
        | typeof OpCode.check
        | typeof OpCode.checkWatches
        | typeof OpCode.removeWatches
        | typeof OpCode.addWatch
        | typeof OpCode.setWatches
        | typeof OpCode.setWatches2
        | typeof OpCode.auth
        | typeof OpCode.ping
        | typeof OpCode.closeSession
        | typeof OpCode.sasl
        | typeof OpCode.reconfig;
    };

const emptyBytes = new Uint8Array(0);

// ---- handshake -------------------------------------------------------------------------------

export function writeConnectRequest(writer: JuteWriter, request: ConnectRequest): void {
  writer.int(request.protocolVersion).long(request.lastZxidSeen).int(request.timeOut);
  writer.bigLong(request.sessionId).buffer(request.passwd);
  if (request.readOnly !== undefined) writer.bool(request.readOnly);
}

/** Reads a connect request; the trailing readOnly byte is optional, as old clients omit it. */
export function readConnectRequest(reader: JuteReader): ConnectRequest {
  const protocolVersion = reader.int();
  const lastZxidSeen = reader.long();
  const timeOut = reader.int();
  const sessionId = reader.bigLong();
  const passwd = reader.buffer() ?? emptyBytes;
  const readOnly = reader.remaining > 0 ? reader.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
}

export function writeConnectResponse(writer: JuteWriter, response: ConnectResponse): void {
  writer.int(response.protocolVersion).int(response.timeOut).bigLong(response.sessionId);
  writer.buffer(response.passwd).bool(response.readOnly);
}

export function readConnectResponse(reader: JuteReader): ConnectResponse {
  return {
    protocolVersion: reader.int(),
    timeOut: reader.int(),
    sessionId: reader.bigLong(),
    passwd: reader.buffer() ?? emptyBytes,
    readOnly: reader.remaining > 0 ? reader.bool() : false,
  };
}

// ---- headers ---------------------------------------------------------------------------------

export function writeRequestHeader(writer: JuteWriter, header: RequestHeader): void {
  writer.int(header.xid).int(header.type);
}

export function readRequestHeader(reader: JuteReader): RequestHeader {
  return { xid: reader.int(), type: reader.int() };
}

export function writeReplyHeader(writer: JuteWriter, header: ReplyHeader): void {
  writer.int(header.xid).long(header.zxid).int(header.err);
}

export function readReplyHeader(reader: JuteReader): ReplyHeader {
  return { xid: reader.int(), zxid: reader.long(), err: reader.int() };
}

export function writeWatcherEvent(writer: JuteWriter, event: WatcherEvent): void {
  writer.int(event.type).int(event.state).ustring(event.path);
}

export function readWatcherEvent(reader: JuteReader): WatcherEvent {
  return { type: reader.int(), state: reader.int(), path: reader.string() };
}
