// Request bodies: writeRequest / readRequest for every client OpCode. The body follows the
// RequestHeader; multi and multiRead bodies are a sequence of MultiHeader{type, done=false, err=-1}
// + op record, ended by MultiHeader{-1, true, -1}.

import { OpCode, opCodeNames } from './constants.js';
import { readAclList, writeAclList } from './data.js';
import { JuteDecodeError, type JuteReader, type JuteWriter } from './jute.js';
import type { MultiReadOp, MultiWriteOp, Request } from './client.js';
import { multiOpsMax } from '../util/limits.js';

const emptyBytes = new Uint8Array(0);

export class UnknownOpCodeError extends JuteDecodeError {
  override name = 'UnknownOpCodeError';
  constructor(readonly opCode: number) {
    super(`unknown request type ${opCode}`);
  }
}

export function writeRequest(writer: JuteWriter, request: Request): void {
  switch (request.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      writer.ustring(request.path).buffer(request.data);
      writeAclList(writer, request.acl);
      writer.int(request.flags);
      return;
    case OpCode.createTTL:
      writer.ustring(request.path).buffer(request.data);
      writeAclList(writer, request.acl);
      writer.int(request.flags).long(request.ttl);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.check:
      writer.ustring(request.path).int(request.version);
      return;
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      writer.ustring(request.path).bool(request.watch);
      return;
    case OpCode.setData:
      writer.ustring(request.path).buffer(request.data).int(request.version);
      return;
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
      writer.ustring(request.path);
      return;
    case OpCode.setACL:
      writer.ustring(request.path);
      writeAclList(writer, request.acl);
      writer.int(request.version);
      return;
    case OpCode.multi:
    case OpCode.multiRead:
      for (const op of request.ops) {
        writer.int(op.type).bool(false).int(-1);
        writeRequest(writer, op);
      }
      writer.int(-1).bool(true).int(-1);
      return;
    case OpCode.reconfig:
      writer.ustring(request.joiningServers).ustring(request.leavingServers).ustring(request.newMembers);
      writer.long(request.curConfigId);
      return;
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      writer.ustring(request.path).int(request.watcherType);
      return;
    case OpCode.auth:
      writer.int(request.authType).ustring(request.scheme).buffer(request.auth);
      return;
    case OpCode.setWatches:
    case OpCode.setWatches2:
      writer.long(request.relativeZxid);
      writer.stringVector(request.dataWatches).stringVector(request.existWatches).stringVector(request.childWatches);
      if (request.type === OpCode.setWatches2) {
        writer.stringVector(request.persistentWatches).stringVector(request.persistentRecursiveWatches);
      }
      return;
    case OpCode.sasl:
      writer.buffer(request.token);
      return;
    case OpCode.getEphemerals:
      writer.ustring(request.prefixPath);
      return;
    case OpCode.addWatch:
      writer.ustring(request.path).int(request.mode);
      return;
    case OpCode.ping:
    case OpCode.whoAmI:
    case OpCode.closeSession:
      return;
  }
}

const multiWriteTypes: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.setData, OpCode.check,
]);
const multiReadTypes: ReadonlySet<number> = new Set([OpCode.getData, OpCode.getChildren]);

function readMultiOps<T>(reader: JuteReader, allowed: ReadonlySet<number>): T[] {
  const ops: T[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.bool();
    reader.int();
    if (done) return ops;
    if (!allowed.has(type)) {
      throw new JuteDecodeError(`operation ${opCodeNames.get(type) ?? type} is not allowed in a multi`);
    }
    if (ops.length >= multiOpsMax) throw new JuteDecodeError(`more than ${multiOpsMax} operations in a multi`);
    ops.push(readRequest(reader, type) as T);
  }
}

/** Reads the body of a request of the given OpCode. Throws JuteDecodeError on malformed input. */
export function readRequest(reader: JuteReader, type: number): Request {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return { type, path: reader.string(), data: reader.buffer(), acl: readAclList(reader), flags: reader.int() };
    case OpCode.createTTL:
      // Any 64-bit TTL is read (rounded past 2^53, which keeps it beyond the largest valid TTL): ZooKeeper
      // answers an out-of-range TTL with BADARGUMENTS, not a closed connection.
      return {
        type, path: reader.string(), data: reader.buffer(), acl: readAclList(reader),
        flags: reader.int(), ttl: Number(reader.bigLong()),
      };
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.check:
      return { type, path: reader.string(), version: reader.int() };
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return { type, path: reader.string(), watch: reader.bool() };
    case OpCode.setData:
      return { type, path: reader.string(), data: reader.buffer(), version: reader.int() };
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
      return { type, path: reader.string() };
    case OpCode.setACL:
      return { type, path: reader.string(), acl: readAclList(reader), version: reader.int() };
    case OpCode.multi:
      return { type, ops: readMultiOps<MultiWriteOp>(reader, multiWriteTypes) };
    case OpCode.multiRead:
      return { type, ops: readMultiOps<MultiReadOp>(reader, multiReadTypes) };
    case OpCode.reconfig:
      return {
        type, joiningServers: reader.ustring(), leavingServers: reader.ustring(), newMembers: reader.ustring(),
        curConfigId: reader.long(),
      };
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      return { type, path: reader.string(), watcherType: reader.int() };
    case OpCode.auth:
      return { type, authType: reader.int(), scheme: reader.string(), auth: reader.buffer() ?? emptyBytes };
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const relativeZxid = reader.long();
      const dataWatches = reader.stringVector();
      const existWatches = reader.stringVector();
      const childWatches = reader.stringVector();
      const v2 = type === OpCode.setWatches2;
      return {
        type, relativeZxid, dataWatches, existWatches, childWatches,
        persistentWatches: v2 ? reader.stringVector() : [],
        persistentRecursiveWatches: v2 ? reader.stringVector() : [],
      };
    }
    case OpCode.sasl:
      return { type, token: reader.buffer() ?? emptyBytes };
    case OpCode.getEphemerals:
      return { type, prefixPath: reader.string() };
    case OpCode.addWatch:
      return { type, path: reader.string(), mode: reader.int() };
    case OpCode.ping:
    case OpCode.whoAmI:
    case OpCode.closeSession:
      return { type };
    default:
      throw new UnknownOpCodeError(type);
  }
}
