import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  JuteReader, JuteWriter, OpCode, type Request, type Response, type Stat, type Txn,
  readConnectRequest, readRequest, readResponse, readTxn, writeConnectRequest, writeRequest, writeResponse,
  writeTxn, readTxnHeader, writeTxnHeader,
} from './index.js';

const data = new Uint8Array([1, 2, 3]);
const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }, { perms: 1, id: { scheme: 'digest', id: 'u:h=' } }];
const stat: Stat = {
  czxid: 0x1_0000_0005, mzxid: 7, ctime: 1_700_000_000_000, mtime: 1_700_000_000_001, version: 2, cversion: -1,
  aversion: 0, ephemeralOwner: 0x7fff_0000_0000_0001n, dataLength: 3, numChildren: 0, pzxid: 9,
};

const requests: Request[] = [
  { type: OpCode.create, path: '/a', data, acl, flags: 3 },
  { type: OpCode.create2, path: '/a', data, acl, flags: 0 },
  { type: OpCode.createContainer, path: '/c', data, acl, flags: 4 },
  { type: OpCode.createTTL, path: '/t', data, acl, flags: 5, ttl: 60_000 },
  { type: OpCode.delete, path: '/a', version: -1 },
  { type: OpCode.exists, path: '/a', watch: true },
  { type: OpCode.getData, path: '/a', watch: false },
  { type: OpCode.setData, path: '/a', data, version: 4 },
  { type: OpCode.getACL, path: '/a' },
  { type: OpCode.setACL, path: '/a', acl, version: 1 },
  { type: OpCode.getChildren, path: '/', watch: true },
  { type: OpCode.getChildren2, path: '/', watch: false },
  { type: OpCode.sync, path: '/' },
  { type: OpCode.check, path: '/a', version: 3 },
  {
    type: OpCode.multi,
    ops: [
      { type: OpCode.create, path: '/m', data, acl, flags: 0 },
      { type: OpCode.setData, path: '/m', data, version: -1 },
      { type: OpCode.check, path: '/m', version: 1 },
      { type: OpCode.delete, path: '/m', version: -1 },
    ],
  },
  { type: OpCode.multiRead, ops: [{ type: OpCode.getData, path: '/a', watch: false }, { type: OpCode.getChildren, path: '/', watch: false }] },
  { type: OpCode.checkWatches, path: '/a', watcherType: 3 },
  { type: OpCode.removeWatches, path: '/a', watcherType: 1 },
  { type: OpCode.auth, authType: 0, scheme: 'digest', auth: new Uint8Array([117, 58, 112]) },
  {
    type: OpCode.setWatches, relativeZxid: 12, dataWatches: ['/a'], existWatches: ['/b'], childWatches: ['/'],
    persistentWatches: [], persistentRecursiveWatches: [],
  },
  {
    type: OpCode.setWatches2, relativeZxid: 12, dataWatches: [], existWatches: [], childWatches: [],
    persistentWatches: ['/p'], persistentRecursiveWatches: ['/r'],
  },
  { type: OpCode.getEphemerals, prefixPath: '/' },
  { type: OpCode.getAllChildrenNumber, path: '/' },
  { type: OpCode.addWatch, path: '/a', mode: 1 },
  { type: OpCode.create, path: '/none', data: null, acl, flags: 0 },
  { type: OpCode.createTTL, path: '/none', data: null, acl, flags: 5, ttl: 2 ** 40 - 1 },
  { type: OpCode.setData, path: '/none', data: null, version: -1 },
  { type: OpCode.multi, ops: [{ type: OpCode.create2, path: '/m', data: null, acl, flags: 0 }, { type: OpCode.setData, path: '/m', data: null, version: 0 }] },
  { type: OpCode.ping },
  { type: OpCode.whoAmI },
  { type: OpCode.closeSession },
];

const responses: Response[] = [
  { type: OpCode.create, path: '/a' },
  { type: OpCode.create2, path: '/a', stat },
  { type: OpCode.exists, stat },
  { type: OpCode.getData, data, stat },
  { type: OpCode.getACL, acl, stat },
  { type: OpCode.getChildren, children: ['x', 'y'] },
  { type: OpCode.getChildren2, children: [], stat },
  { type: OpCode.sync, path: '/' },
  {
    type: OpCode.multi,
    results: [
      { type: OpCode.create, path: '/m' }, { type: OpCode.create2, path: '/n', stat }, { type: OpCode.setData, stat },
      { type: OpCode.delete }, { type: OpCode.check }, { type: OpCode.error, err: -101 },
    ],
  },
  { type: OpCode.multiRead, results: [{ type: OpCode.getData, data, stat }, { type: OpCode.getChildren, children: ['a'] }] },
  { type: OpCode.getData, data: null, stat: { ...stat, dataLength: 0 } },
  { type: OpCode.multiRead, results: [{ type: OpCode.getData, data: null, stat }] },
  { type: OpCode.getEphemerals, ephemerals: ['/e1'] },
  { type: OpCode.getAllChildrenNumber, totalNumber: 42 },
  { type: OpCode.whoAmI, clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] },
  { type: OpCode.delete },
];

const txns: Txn[] = [
  { type: OpCode.create, path: '/a', data, acl, ephemeral: true, parentCVersion: 4 },
  { type: OpCode.createContainer, path: '/c', data, acl, parentCVersion: 1 },
  { type: OpCode.createTTL, path: '/t', data, acl, parentCVersion: 1, ttl: 5000 },
  { type: OpCode.delete, path: '/a' },
  { type: OpCode.setData, path: '/a', data, version: 3 },
  { type: OpCode.setACL, path: '/a', acl, version: 1 },
  { type: OpCode.check, path: '/a', version: 1 },
  { type: OpCode.multi, txns: [{ type: OpCode.create, path: '/x', data, acl, ephemeral: false, parentCVersion: 1 }, { type: OpCode.error, err: -101 }] },
  { type: OpCode.createSession, timeOut: 30000 },
  { type: OpCode.closeSession, paths2Delete: ['/e'] },
  { type: OpCode.closeSession, paths2Delete: null },
  { type: OpCode.error, err: -110 },
  { type: OpCode.create2, path: '/none', data: null, acl, ephemeral: false, parentCVersion: 2 },
  { type: OpCode.createContainer, path: '/none', data: null, acl, parentCVersion: 1 },
  { type: OpCode.createTTL, path: '/none', data: null, acl, parentCVersion: 1, ttl: 5000 },
  { type: OpCode.setData, path: '/none', data: null, version: 1 },
  { type: OpCode.multi, txns: [{ type: OpCode.setData, path: '/x', data: null, version: 2 }] },
];

/** Plain data for deep comparison: byte arrays as number arrays, bigints as strings. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}

describe('client request records', () => {
  for (const request of requests) {
    it(`round-trips ${request.type} ${JSON.stringify(Object.keys(request))}`, () => {
      const writer = new JuteWriter(8);
      writeRequest(writer, request);
      const reader = new JuteReader(writer.toBuffer());
      assert.deepEqual(normalize(readRequest(reader, request.type)), normalize(request));
      assert.equal(reader.remaining, 0);
    });
  }

  it('reads a connect request with and without the trailing readOnly byte', () => {
    const base = { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30000, sessionId: 0n, passwd: new Uint8Array(16) };
    for (const readOnly of [undefined, true, false]) {
      const writer = new JuteWriter();
      writeConnectRequest(writer, { ...base, readOnly });
      assert.equal(readConnectRequest(new JuteReader(writer.toBuffer())).readOnly, readOnly);
    }
  });

  it('rejects a truncated record with a decode error, never a crash', () => {
    const writer = new JuteWriter();
    writeRequest(writer, requests[0]!);
    const bytes = writer.toBuffer();
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => readRequest(new JuteReader(bytes.subarray(0, cut)), OpCode.create), /truncated|length/);
    }
  });

  it('rejects an unknown opcode', () => {
    assert.throws(() => readRequest(new JuteReader(Buffer.alloc(0)), 9999), /unknown request type/);
  });
});

describe('client response records', () => {
  for (const response of responses) {
    it(`round-trips ${response.type}`, () => {
      const writer = new JuteWriter(8);
      writeResponse(writer, response);
      const reader = new JuteReader(writer.toBuffer());
      assert.deepEqual(normalize(readResponse(reader, response.type)), normalize(response));
      assert.equal(reader.remaining, 0);
    });
  }
});

describe('txn records', () => {
  for (const txn of txns) {
    it(`round-trips type ${txn.type}`, () => {
      const writer = new JuteWriter(8);
      writeTxnHeader(writer, { sessionId: -5n, cxid: 3, zxid: 0x2_0000_0001, time: 1_700_000_000_000, type: txn.type });
      writeTxn(writer, txn);
      const reader = new JuteReader(writer.toBuffer());
      const header = readTxnHeader(reader);
      assert.equal(header.zxid, 0x2_0000_0001);
      assert.equal(header.sessionId, -5n);
      assert.deepEqual(normalize(readTxn(reader, header.type)), normalize(txn));
    });
  }
});

describe('no data (null), as ZooKeeper keeps it apart from empty data', () => {
  const encoded = (write: (writer: JuteWriter) => void): Buffer => {
    const writer = new JuteWriter(8);
    write(writer);
    return writer.toBuffer();
  };

  it('is a buffer of length -1 in requests, txns and replies, where empty data is length 0', () => {
    const none = encoded((writer) => writeRequest(writer, { type: OpCode.setData, path: '/a', data: null, version: 0 }));
    const empty = encoded((writer) => writeRequest(writer, { type: OpCode.setData, path: '/a', data: new Uint8Array(0), version: 0 }));
    assert.equal(none.readInt32BE(4 + 2), -1);
    assert.equal(empty.readInt32BE(4 + 2), 0);
    const txn = encoded((writer) => writeTxn(writer, { type: OpCode.create, path: '/a', data: null, acl, ephemeral: false, parentCVersion: 1 }));
    assert.equal(txn.readInt32BE(4 + 2), -1);
    const reply = encoded((writer) => writeResponse(writer, { type: OpCode.getData, data: null, stat }));
    assert.equal(reply.readInt32BE(0), -1);
  });

  it('reads back as null, and empty data as empty', () => {
    const read = (data: Uint8Array | null): unknown => {
      const bytes = encoded((writer) => writeRequest(writer, { type: OpCode.create, path: '/a', data, acl, flags: 0 }));
      const request = readRequest(new JuteReader(bytes), OpCode.create);
      return request.type === OpCode.create ? request.data : undefined;
    };
    assert.equal(read(null), null);
    assert.deepEqual([...(read(new Uint8Array(0)) as Uint8Array)], []);
  });
});

describe('createTTL request', () => {
  it('reads any 64-bit TTL, so one beyond 2^53 gets BADARGUMENTS from prep rather than a closed connection', () => {
    const writer = new JuteWriter(8);
    writeRequest(writer, { type: OpCode.createTTL, path: '/t', data, acl, flags: 5, ttl: 0 });
    const bytes = writer.toBuffer();
    // The TTL is the last 8 bytes: 2^62 and -2^62 do not fit a double exactly.
    for (const ttl of [1n << 62n, -(1n << 62n)]) {
      bytes.writeBigInt64BE(ttl, bytes.length - 8);
      const request = readRequest(new JuteReader(bytes), OpCode.createTTL);
      assert.ok(request.type === OpCode.createTTL && request.ttl === Number(ttl));
    }
  });
});
