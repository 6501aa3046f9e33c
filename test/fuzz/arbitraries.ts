// fast-check generators for every client and txn record, shaped the way the decoders return them
// (so `decode(encode(x))` must deep-equal `x`), and a normal form that makes byte arrays comparable.
//
// Strings use valid code points only (a lone surrogate cannot survive UTF-8); byte fields are never
// null here, because how null buffers decode is being changed separately and round-trips would pin it.

import fc from 'fast-check';
import {
  type Acl, type ConnectRequest, type ConnectResponse, type MultiReadOp, type MultiResult, type MultiWriteOp, OpCode,
  type Request, type Response, type Stat, type StatPersisted, type Txn, type TxnDigest, type TxnHeader,
} from '../../src/proto/index.js';

export const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
/** Jute longs read as numbers must fit a double exactly. */
export const safeLong = fc.maxSafeInteger();
export const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
export const text = fc.string({ unit: 'binary', maxLength: 24 });
export const bytes = fc.uint8Array({ maxLength: 48 });
const strings = fc.array(text, { maxLength: 5 });

export const acl: fc.Arbitrary<Acl> = fc.record({ perms: int32, id: fc.record({ scheme: text, id: text }) });
export const aclList = fc.array(acl, { maxLength: 4 });

export const statPersisted: fc.Arbitrary<StatPersisted> = fc.record({
  czxid: safeLong, mzxid: safeLong, ctime: safeLong, mtime: safeLong, version: int32, cversion: int32, aversion: int32,
  ephemeralOwner: int64, pzxid: safeLong,
});
export const stat: fc.Arbitrary<Stat> = fc.record({
  czxid: safeLong, mzxid: safeLong, ctime: safeLong, mtime: safeLong, version: int32, cversion: int32, aversion: int32,
  ephemeralOwner: int64, dataLength: int32, numChildren: int32, pzxid: safeLong,
});

export const connectRequest: fc.Arbitrary<ConnectRequest> = fc.record({
  protocolVersion: int32, lastZxidSeen: safeLong, timeOut: int32, sessionId: int64, passwd: bytes,
  readOnly: fc.option(fc.boolean(), { nil: undefined }),
});
export const connectResponse: fc.Arbitrary<ConnectResponse> = fc.record({
  protocolVersion: int32, timeOut: int32, sessionId: int64, passwd: bytes, readOnly: fc.boolean(),
});

const create = fc.record({
  type: fc.constantFrom(OpCode.create, OpCode.create2, OpCode.createContainer), path: text, data: bytes, acl: aclList, flags: int32,
});
const createTtl = fc.record({ type: fc.constant(OpCode.createTTL), path: text, data: bytes, acl: aclList, flags: int32, ttl: safeLong });
const deleteOp = fc.record({ type: fc.constantFrom(OpCode.delete, OpCode.deleteContainer), path: text, version: int32 });
const setData = fc.record({ type: fc.constant(OpCode.setData), path: text, data: bytes, version: int32 });
const check = fc.record({ type: fc.constant(OpCode.check), path: text, version: int32 });
const multiWriteOp: fc.Arbitrary<MultiWriteOp> = fc.oneof(
  create, createTtl, fc.record({ type: fc.constant(OpCode.delete), path: text, version: int32 }), setData, check,
);
const multiReadOp: fc.Arbitrary<MultiReadOp> = fc.record({
  type: fc.constantFrom(OpCode.getData, OpCode.getChildren), path: text, watch: fc.boolean(),
});

export const request: fc.Arbitrary<Request> = fc.oneof(
  create, createTtl, deleteOp, setData, check,
  fc.record({
    type: fc.constantFrom(OpCode.exists, OpCode.getData, OpCode.getChildren, OpCode.getChildren2), path: text, watch: fc.boolean(),
  }),
  fc.record({ type: fc.constantFrom(OpCode.getACL, OpCode.sync, OpCode.getAllChildrenNumber), path: text }),
  fc.record({ type: fc.constant(OpCode.setACL), path: text, acl: aclList, version: int32 }),
  fc.record({ type: fc.constant(OpCode.multi), ops: fc.array(multiWriteOp, { maxLength: 4 }) }),
  fc.record({ type: fc.constant(OpCode.multiRead), ops: fc.array(multiReadOp, { maxLength: 4 }) }),
  fc.record({
    type: fc.constant(OpCode.reconfig), joiningServers: fc.option(text, { nil: null }), leavingServers: fc.option(text, { nil: null }),
    newMembers: fc.option(text, { nil: null }), curConfigId: safeLong,
  }),
  fc.record({ type: fc.constantFrom(OpCode.checkWatches, OpCode.removeWatches), path: text, watcherType: int32 }),
  fc.record({ type: fc.constant(OpCode.auth), authType: int32, scheme: text, auth: bytes }),
  fc.record({
    type: fc.constant(OpCode.setWatches), relativeZxid: safeLong, dataWatches: strings, existWatches: strings,
    childWatches: strings, persistentWatches: fc.constant([]), persistentRecursiveWatches: fc.constant([]),
  }),
  fc.record({
    type: fc.constant(OpCode.setWatches2), relativeZxid: safeLong, dataWatches: strings, existWatches: strings,
    childWatches: strings, persistentWatches: strings, persistentRecursiveWatches: strings,
  }),
  fc.record({ type: fc.constant(OpCode.sasl), token: bytes }),
  fc.record({ type: fc.constant(OpCode.getEphemerals), prefixPath: text }),
  fc.record({ type: fc.constant(OpCode.addWatch), path: text, mode: int32 }),
  fc.record({ type: fc.constantFrom(OpCode.ping, OpCode.whoAmI, OpCode.closeSession) }),
) as fc.Arbitrary<Request>;

const multiResult: fc.Arbitrary<MultiResult> = fc.oneof(
  fc.record({ type: fc.constant(OpCode.create), path: text }),
  fc.record({ type: fc.constant(OpCode.create2), path: text, stat }),
  fc.record({ type: fc.constantFrom(OpCode.delete, OpCode.check) }),
  fc.record({ type: fc.constant(OpCode.setData), stat }),
  fc.record({ type: fc.constant(OpCode.getData), data: bytes, stat }),
  fc.record({ type: fc.constant(OpCode.getChildren), children: strings }),
  fc.record({ type: fc.constant(OpCode.error), err: int32 }),
) as fc.Arbitrary<MultiResult>;

export const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({ type: fc.constantFrom(OpCode.create, OpCode.sync), path: text }),
  fc.record({ type: fc.constantFrom(OpCode.create2, OpCode.createContainer, OpCode.createTTL), path: text, stat }),
  fc.record({ type: fc.constantFrom(OpCode.exists, OpCode.setData, OpCode.setACL), stat }),
  fc.record({ type: fc.constant(OpCode.getData), data: bytes, stat }),
  fc.record({ type: fc.constant(OpCode.getACL), acl: aclList, stat }),
  fc.record({ type: fc.constant(OpCode.getChildren), children: strings }),
  fc.record({ type: fc.constant(OpCode.getChildren2), children: strings, stat }),
  fc.record({ type: fc.constantFrom(OpCode.multi, OpCode.multiRead), results: fc.array(multiResult, { maxLength: 4 }) }),
  fc.record({ type: fc.constant(OpCode.getEphemerals), ephemerals: strings }),
  fc.record({ type: fc.constant(OpCode.getAllChildrenNumber), totalNumber: int32 }),
  fc.record({ type: fc.constant(OpCode.whoAmI), clientInfo: fc.array(fc.record({ authScheme: text, user: text }), { maxLength: 3 }) }),
  fc.record({
    type: fc.constantFrom(
      OpCode.delete, OpCode.check, OpCode.checkWatches, OpCode.removeWatches, OpCode.addWatch, OpCode.setWatches,
      OpCode.setWatches2, OpCode.auth, OpCode.ping, OpCode.closeSession, OpCode.sasl, OpCode.reconfig,
    ),
  }),
) as fc.Arbitrary<Response>;

/** Txns that may appear inside a multi txn (ZooKeeper's MultiTxn holds no multi, session or close txn). */
const multiSubTxn: fc.Arbitrary<Txn> = fc.oneof(
  fc.record({ type: fc.constantFrom(OpCode.create, OpCode.create2), path: text, data: bytes, acl: aclList, ephemeral: fc.boolean(), parentCVersion: int32 }),
  fc.record({ type: fc.constant(OpCode.createContainer), path: text, data: bytes, acl: aclList, parentCVersion: int32 }),
  fc.record({ type: fc.constant(OpCode.createTTL), path: text, data: bytes, acl: aclList, parentCVersion: int32, ttl: safeLong }),
  fc.record({ type: fc.constantFrom(OpCode.delete, OpCode.deleteContainer), path: text }),
  fc.record({ type: fc.constant(OpCode.setData), path: text, data: bytes, version: int32 }),
  fc.record({ type: fc.constant(OpCode.setACL), path: text, acl: aclList, version: int32 }),
  fc.record({ type: fc.constant(OpCode.check), path: text, version: int32 }),
  fc.record({ type: fc.constant(OpCode.error), err: int32 }),
) as fc.Arbitrary<Txn>;

export const txn: fc.Arbitrary<Txn> = fc.oneof(
  { arbitrary: multiSubTxn, weight: 8 },
  fc.record({ type: fc.constant(OpCode.multi), txns: fc.array(multiSubTxn, { maxLength: 4 }) }),
  fc.record({ type: fc.constant(OpCode.createSession), timeOut: int32 }),
  fc.record({ type: fc.constant(OpCode.closeSession), paths2Delete: fc.option(strings, { nil: null }) }),
) as fc.Arbitrary<Txn>;

export const txnHeader = (type: number): fc.Arbitrary<TxnHeader> =>
  fc.record({ sessionId: int64, cxid: int32, zxid: safeLong, time: safeLong, type: fc.constant(type) });
export const txnDigest: fc.Arbitrary<TxnDigest> = fc.record({ version: int32, treeDigest: int64 });

/** Every OpCode the decoders know, and some they do not. */
export const opCode = fc.oneof(
  fc.constantFrom(...Object.values(OpCode)),
  int32,
);

/** A comparable copy: byte arrays become `bytes:<hex>` (a decoded buffer is a view, the original is not). */
export function normalForm(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) return value.map(normalForm);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined).map(([key, field]) => [key, normalForm(field)]));
  }
  return value;
}

/** Array elements in a decoded record, all levels: bounded by the bytes it came from, or a length was believed. */
export function elementCount(value: unknown): number {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return (Array.isArray(value) ? value.length : 0) + children.reduce<number>((sum, child) => sum + elementCount(child), 0);
}
