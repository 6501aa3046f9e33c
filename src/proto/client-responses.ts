// Response bodies: writeResponse / readResponse for every client OpCode, including multi results
// (MultiHeader{type, done=false, err} + result record per op, ended by MultiHeader{-1, true, -1}).

import { OpCode } from './constants.js';
import { readAclList, readStat, writeAclList, writeStat } from './data.js';
import { JuteDecodeError, type JuteReader, type JuteWriter } from './jute.js';
import type { MultiResult, Response } from './client.js';

function writeMultiResult(writer: JuteWriter, result: MultiResult): void {
  writer.int(result.type).bool(false).int(result.type === OpCode.error ? result.err : 0);
  switch (result.type) {
    case OpCode.create:
      writer.ustring(result.path);
      return;
    case OpCode.create2:
      writer.ustring(result.path);
      writeStat(writer, result.stat);
      return;
    case OpCode.delete:
    case OpCode.check:
      return;
    case OpCode.setData:
      writeStat(writer, result.stat);
      return;
    case OpCode.getData:
      writer.buffer(result.data);
      writeStat(writer, result.stat);
      return;
    case OpCode.getChildren:
      writer.stringVector(result.children);
      return;
    case OpCode.error:
      writer.int(result.err);
      return;
  }
}

function readMultiResult(reader: JuteReader, type: number): MultiResult {
  switch (type) {
    case OpCode.create:
      return { type, path: reader.string() };
    case OpCode.create2:
      return { type, path: reader.string(), stat: readStat(reader) };
    case OpCode.delete:
    case OpCode.check:
      return { type };
    case OpCode.setData:
      return { type, stat: readStat(reader) };
    case OpCode.getData:
      return { type, data: reader.buffer(), stat: readStat(reader) };
    case OpCode.getChildren:
      return { type, children: reader.stringVector() };
    case OpCode.error:
      return { type, err: reader.int() };
    default:
      throw new JuteDecodeError(`invalid type ${type} in a multi response`);
  }
}

/** Writes the body of a successful reply. Error replies have no body. */
export function writeResponse(writer: JuteWriter, response: Response): void {
  switch (response.type) {
    case OpCode.create:
    case OpCode.sync:
      writer.ustring(response.path);
      return;
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      writer.ustring(response.path);
      writeStat(writer, response.stat);
      return;
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      writeStat(writer, response.stat);
      return;
    case OpCode.getData:
      writer.buffer(response.data);
      writeStat(writer, response.stat);
      return;
    case OpCode.getACL:
      writeAclList(writer, response.acl);
      writeStat(writer, response.stat);
      return;
    case OpCode.getChildren:
      writer.stringVector(response.children);
      return;
    case OpCode.getChildren2:
      writer.stringVector(response.children);
      writeStat(writer, response.stat);
      return;
    case OpCode.multi:
    case OpCode.multiRead:
      for (const result of response.results) writeMultiResult(writer, result);
      writer.int(-1).bool(true).int(-1);
      return;
    case OpCode.getEphemerals:
      writer.stringVector(response.ephemerals);
      return;
    case OpCode.getAllChildrenNumber:
      writer.int(response.totalNumber);
      return;
    case OpCode.whoAmI:
      writer.vector(response.clientInfo, (w, info) => w.ustring(info.authScheme).ustring(info.user));
      return;
    case OpCode.addWatch:
      // ZooKeeper answers addWatch with an ErrorResponse{err: 0} body.
      writer.int(0);
      return;
    default:
      return;
  }
}

/** Reads the body of a successful reply to a request of the given OpCode. */
export function readResponse(reader: JuteReader, type: number): Response {
  switch (type) {
    case OpCode.create:
    case OpCode.sync:
      return { type, path: reader.string() };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type, path: reader.string(), stat: readStat(reader) };
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      return { type, stat: readStat(reader) };
    case OpCode.getData:
      return { type, data: reader.buffer(), stat: readStat(reader) };
    case OpCode.getACL:
      return { type, acl: readAclList(reader), stat: readStat(reader) };
    case OpCode.getChildren:
      return { type, children: reader.stringVector() };
    case OpCode.getChildren2:
      return { type, children: reader.stringVector(), stat: readStat(reader) };
    case OpCode.multi:
    case OpCode.multiRead: {
      const results: MultiResult[] = [];
      for (;;) {
        const resultType = reader.int();
        const done = reader.bool();
        reader.int();
        if (done) return { type, results };
        results.push(readMultiResult(reader, resultType));
      }
    }
    case OpCode.getEphemerals:
      return { type, ephemerals: reader.stringVector() };
    case OpCode.getAllChildrenNumber:
      return { type, totalNumber: reader.int() };
    case OpCode.whoAmI:
      return {
        type,
        clientInfo: reader.vector((r) => ({ authScheme: r.string(), user: r.string() })) ?? [],
      };
    case OpCode.addWatch:
      reader.int();
      return { type };
    case OpCode.delete:
    case OpCode.check:
    case OpCode.checkWatches:
    case OpCode.removeWatches:
    case OpCode.setWatches:
    case OpCode.setWatches2:
    case OpCode.auth:
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.sasl:
    case OpCode.reconfig:
      return { type };
    default:
      throw new JuteDecodeError(`no response format for type ${type}`);
  }
}
