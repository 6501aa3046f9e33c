// The prep stage (ZooKeeper's PrepRequestProcessor): turns a write request into an idempotent txn,
// validated against the tree plus the overlay of pending changes, or into an error code. The checks
// run in ZooKeeper's order, so the same bad request yields the same error code. Unlike ZooKeeper, a
// failed write consumes no zxid and is not logged: it is answered in its session's order without
// touching the disk.

import {
  type Acl, CreateMode, ErrorCode, type Id, type MultiResult, type MultiWriteOp, OpCode, Perms, type Txn,
  isEphemeralMode, isSequentialMode, isTtlMode,
} from '../proto/index.js';
import {
  type DataTree, checkPermission, checkQuota, containerEphemeralOwner, fixupAcl, isSessionOwner, isSpecialPath, parentOf,
  ttlEphemeralOwner, ttlMax, validatePath,
} from '../tree/index.js';
import type { NodeRecord, PendingChanges } from './pending-changes.js';

export interface PrepContext {
  sessionId: bigint;
  authIds: readonly Id[];
  superDigest: string | null;
  ttlNodesEnabled: boolean;
  /** The zxid the txn will carry if prep succeeds. */
  zxid: number;
  /** Quota enforcement (enforceQuota): the applied tree, whose quotas are checked, and where warnings go; null when off. */
  quota: QuotaEnforcement | null;
}

export interface QuotaEnforcement {
  tree: DataTree<unknown>;
  warn(message: string): void;
}

export type PrepOutcome =
  | { ok: true; txn: Txn }
  | { ok: false; err: number }
  | { ok: false; err: typeof ErrorCode.ok; multiResults: MultiResult[]; failedTxn: Txn };

/**
 * The txn a replicated server logs for a failed write, as ZooKeeper does, so that the failure is
 * answered in zxid order on whichever server holds the client's connection: an ErrorTxn, or for a
 * multi the txns prepared before the failing op, the failure, then RUNTIMEINCONSISTENCY for the rest.
 * (A standalone Meerkat logs nothing for a failed write: it answers in its session's order directly.)
 */
export function failedWriteTxn(outcome: Extract<PrepOutcome, { ok: false }>): Txn {
  return 'failedTxn' in outcome ? outcome.failedTxn : { type: OpCode.error, err: outcome.err };
}

/**
 * A failed check, thrown to unwind to `prepareWrite`, which turns it into an error reply. Not an
 * Error: a failed write is an ordinary answer, and capturing a stack trace for each cost ~5 % of a
 * server's CPU in a write load where one request in six failed.
 */
class PrepError {
  constructor(readonly code: number) {}
}

function fail(code: number): never {
  throw new PrepError(code);
}

/**
 * A copy of a record with some fields changed, built field by field: an object spread here cost
 * several microseconds per write (V8's generic clone path).
 */
function changed(record: NodeRecord, fields: Partial<NodeRecord>): NodeRecord {
  return {
    version: fields.version ?? record.version,
    cversion: fields.cversion ?? record.cversion,
    aversion: fields.aversion ?? record.aversion,
    childCount: fields.childCount ?? record.childCount,
    ephemeralOwner: record.ephemeralOwner,
    acl: fields.acl ?? record.acl,
    dataLength: fields.dataLength ?? record.dataLength,
  };
}

function requireNode(changes: PendingChanges, path: string): NodeRecord {
  return changes.lookup(path) ?? fail(ErrorCode.noNode);
}

function requirePermission(context: PrepContext, acl: Acl[], perm: number): void {
  if (!checkPermission({ acl, perm, authIds: context.authIds, superDigest: context.superDigest })) {
    fail(ErrorCode.noAuth);
  }
}

/**
 * ZooKeeper's checkQuota: a hard limit the write would pass fails it with QUOTAEXCEEDED; a soft one
 * is only logged. Like ZooKeeper, it reads the applied tree's stats, not the pending changes.
 */
function requireQuota(context: PrepContext, change: { path: string; bytesDiff: number; countDiff: number }): void {
  const { quota } = context;
  if (quota === null) return;
  const verdict = checkQuota(quota.tree, change);
  for (const warning of verdict.warnings) quota.warn(warning);
  if (verdict.err !== ErrorCode.ok) fail(verdict.err);
}

/** The length of a node's data as prep sees it: a pending change's, else the applied node's. */
function dataLengthOf(record: NodeRecord, path: string, tree: DataTree<unknown>): number {
  return record.dataLength >= 0 ? record.dataLength : (tree.getNode(path)?.data?.length ?? 0);
}

function requireValidPath(path: string, sequential = false): void {
  if (validatePath(path, sequential) !== null) fail(ErrorCode.badArguments);
}

/** ZooKeeper's checkAndIncVersion: -1 matches any version; the new version wraps like a Java int. */
function nextVersion(current: number, expected: number): number {
  if (expected !== -1 && expected !== current) fail(ErrorCode.badVersion);
  return (current + 1) | 0;
}

/** The parent of a path about to be created or deleted; rejects paths with no parent. */
function parentForChange(path: string): string {
  if (path.lastIndexOf('/') < 0 || path.includes('\0')) fail(ErrorCode.badArguments);
  // ZooKeeper takes the root as its own parent here, so creating '/' answers NodeExists.
  return path === '/' ? '/' : parentOf(path);
}

function sequenceSuffix(cversion: number): string {
  // Java's %010d: zero-padded to ten characters, the sign counting as one.
  return cversion < 0 ? `-${String(-cversion).padStart(9, '0')}` : String(cversion).padStart(10, '0');
}

type CreateOp = Extract<MultiWriteOp, { type: 1 | 15 | 19 | 21 }>;

function createModeOf(op: CreateOp, context: PrepContext): number {
  const mode = op.flags;
  if (mode < CreateMode.persistent || mode > CreateMode.persistentSequentialWithTtl) fail(ErrorCode.badArguments);
  const ttlOp = op.type === OpCode.createTTL;
  if (isTtlMode(mode) || ttlOp) {
    // As ZooKeeper: TTL flags are UNIMPLEMENTED while TTL nodes are off; a createTTL op without them
    // is BADARGUMENTS either way.
    if (isTtlMode(mode) && !context.ttlNodesEnabled) fail(ErrorCode.unimplemented);
    if (!ttlOp || !isTtlMode(mode) || op.ttl <= 0 || op.ttl > ttlMax) fail(ErrorCode.badArguments);
  }
  return mode;
}

function prepareCreate(op: CreateOp, changes: PendingChanges, context: PrepContext): Txn {
  const mode = createModeOf(op, context);
  const parentPath = parentForChange(op.path);
  const fixed = fixupAcl(op.acl, context.authIds);
  if ('error' in fixed) fail(ErrorCode.invalidAcl);
  const parent = requireNode(changes, parentPath);
  requirePermission(context, parent.acl, Perms.create);
  const path = isSequentialMode(mode) ? op.path + sequenceSuffix(parent.cversion) : op.path;
  requireValidPath(path);
  if (changes.lookup(path) !== null) fail(ErrorCode.nodeExists);
  if (isSessionOwner(parent.ephemeralOwner)) fail(ErrorCode.noChildrenForEphemerals);
  const parentCVersion = (parent.cversion + 1) | 0;
  requireQuota(context, { path, bytesDiff: op.data?.length ?? 0, countDiff: 1 });

  let ephemeralOwner = 0n;
  let txn: Txn;
  // As ZooKeeper: the createContainer op always makes a container, whatever its flags; a create or
  // create2 op with the container flag logs a CreateTxn, which makes a persistent node. (Inside a
  // multi the flag chooses the op type first: see `multiCreateOp`.)
  if (op.type === OpCode.createContainer) {
    ephemeralOwner = containerEphemeralOwner;
    txn = { type: OpCode.createContainer, path, data: op.data, acl: fixed.acl, parentCVersion };
  } else if (op.type === OpCode.createTTL) {
    ephemeralOwner = ttlEphemeralOwner(op.ttl);
    txn = { type: op.type, path, data: op.data, acl: fixed.acl, parentCVersion, ttl: op.ttl };
  } else {
    const ephemeral = isEphemeralMode(mode);
    if (ephemeral) ephemeralOwner = context.sessionId;
    txn = { type: op.type, path, data: op.data, acl: fixed.acl, ephemeral, parentCVersion };
  }
  changes.record(parentPath, context.zxid, changed(parent, { cversion: parentCVersion, childCount: parent.childCount + 1 }));
  changes.record(path, context.zxid, {
    version: 0, cversion: 0, aversion: 0, childCount: 0, ephemeralOwner, acl: fixed.acl, dataLength: op.data?.length ?? 0,
  });
  return txn;
}

function prepareDelete(request: { path: string; version: number }, changes: PendingChanges, context: PrepContext): Txn {
  const { path, version } = request;
  const parentPath = parentForChange(path);
  if (isSpecialPath(path)) fail(ErrorCode.badArguments);
  const parent = requireNode(changes, parentPath);
  // ZooKeeper checks the parent's ACL before it looks the node up: a missing node under a parent the
  // caller may not delete from is NOAUTH, not NONODE.
  requirePermission(context, parent.acl, Perms.delete);
  const node = requireNode(changes, path);
  nextVersion(node.version, version);
  if (node.childCount > 0) fail(ErrorCode.notEmpty);
  changes.record(parentPath, context.zxid, changed(parent, { childCount: parent.childCount - 1 }));
  changes.record(path, context.zxid, null);
  return { type: OpCode.delete, path };
}

/** Deletes a container or TTL node found empty by the reaper; anything else is left alone. */
export function prepareDeleteContainer(path: string, changes: PendingChanges, zxid: number): Txn | null {
  const node = changes.lookup(path);
  if (node === null || node.childCount > 0 || isSessionOwner(node.ephemeralOwner)) return null;
  if (node.ephemeralOwner === 0n) return null;
  const parentPath = parentOf(path);
  const parent = changes.lookup(parentPath);
  if (parent === null) return null;
  changes.record(parentPath, zxid, changed(parent, { childCount: parent.childCount - 1 }));
  changes.record(path, zxid, null);
  return { type: OpCode.deleteContainer, path };
}

function prepareOp(op: MultiWriteOp, changes: PendingChanges, context: PrepContext): Txn {
  switch (op.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return prepareCreate(op, changes, context);
    case OpCode.delete:
      return prepareDelete(op, changes, context);
    case OpCode.deleteContainer:
      // The reaper's op. ZooKeeper reads a client's deleteContainer body as the path, raw: the
      // record's length prefix puts a NUL in it, so the answer is always BADARGUMENTS.
      return fail(ErrorCode.badArguments);
    case OpCode.setData: {
      requireValidPath(op.path);
      const node = requireNode(changes, op.path);
      requirePermission(context, node.acl, Perms.write);
      if (context.quota !== null) {
        requireQuota(context, { path: op.path, bytesDiff: (op.data?.length ?? 0) - dataLengthOf(node, op.path, context.quota.tree), countDiff: 0 });
      }
      const version = nextVersion(node.version, op.version);
      changes.record(op.path, context.zxid, changed(node, { version, dataLength: op.data?.length ?? 0 }));
      return { type: OpCode.setData, path: op.path, data: op.data, version };
    }
    case OpCode.check: {
      requireValidPath(op.path);
      const node = requireNode(changes, op.path);
      requirePermission(context, node.acl, Perms.read);
      nextVersion(node.version, op.version);
      return { type: OpCode.check, path: op.path, version: op.version };
    }
  }
}

function prepareSetAcl(request: { path: string; acl: Acl[]; version: number }, changes: PendingChanges, context: PrepContext): Txn {
  const { path, acl, version } = request;
  requireValidPath(path);
  // As ZooKeeper: an invalid ACL is INVALIDACL even on a missing node or one the caller may not administer.
  const fixed = fixupAcl(acl, context.authIds);
  if ('error' in fixed) fail(ErrorCode.invalidAcl);
  const node = requireNode(changes, path);
  requirePermission(context, node.acl, Perms.admin);
  const aversion = nextVersion(node.aversion, version);
  changes.record(path, context.zxid, changed(node, { aversion, acl: fixed.acl }));
  return { type: OpCode.setACL, path, acl: fixed.acl, version: aversion };
}

/**
 * A create inside a multi as ZooKeeper's server re-reads it (MultiOperationRecord rebuilds each op
 * with Op.create from its flags): the flags choose the type — TTL flags createTTL, the container flag
 * createContainer, anything else create — whatever type the op had on the wire, and a createTTL op
 * without TTL flags loses its TTL. So a create2 inside a multi is answered like a create (path only)
 * and only creates, containers and TTL nodes reach the log. Null for TTL flags on an op with no TTL
 * field, which ZooKeeper fails (a failed cast) with MARSHALLINGERROR for the whole multi.
 */
function multiCreateOp(op: CreateOp): CreateOp | null {
  if (isTtlMode(op.flags)) return op.type === OpCode.createTTL ? op : null;
  const type = op.flags === CreateMode.container ? OpCode.createContainer : OpCode.create;
  return op.type === type ? op : { type, path: op.path, data: op.data, acl: op.acl, flags: op.flags };
}

function isCreateOp(op: MultiWriteOp): op is CreateOp {
  return op.type === OpCode.create || op.type === OpCode.create2 || op.type === OpCode.createContainer || op.type === OpCode.createTTL;
}

function prepareMulti(ops: MultiWriteOp[], changes: PendingChanges, context: PrepContext): PrepOutcome {
  changes.beginMulti();
  const txns: Txn[] = [];
  let failedAt = -1;
  let failure: number = ErrorCode.ok;
  for (const [index, written] of ops.entries()) {
    const op = isCreateOp(written) ? multiCreateOp(written) : written;
    if (op === null) {
      changes.rollbackMulti();
      return { ok: false, err: ErrorCode.marshallingError };
    }
    try {
      txns.push(prepareOp(op, changes, context));
    } catch (error) {
      if (!(error instanceof PrepError)) throw error;
      failedAt = index;
      failure = error.code;
      break;
    }
  }
  if (failedAt < 0) {
    changes.commitMulti();
    return { ok: true, txn: { type: OpCode.multi, txns } };
  }
  changes.rollbackMulti();
  const codes = ops.map((_op, index) => (index < failedAt ? ErrorCode.ok : index === failedAt ? failure : ErrorCode.runtimeInconsistency));
  const multiResults: MultiResult[] = codes.map((err) => ({ type: OpCode.error, err }));
  const failedTxn: Txn = {
    type: OpCode.multi,
    txns: [...txns, ...codes.slice(failedAt).map((err): Txn => ({ type: OpCode.error, err }))],
  };
  return { ok: false, err: ErrorCode.ok, multiResults, failedTxn };
}

export type WriteRequest =
  | MultiWriteOp
  | { type: typeof OpCode.setACL; path: string; acl: Acl[]; version: number }
  | { type: typeof OpCode.multi; ops: MultiWriteOp[] };

/** Prepares one client write. Only PrepError is caught: anything else is a bug and propagates. */
export function prepareWrite(request: WriteRequest, changes: PendingChanges, context: PrepContext): PrepOutcome {
  try {
    switch (request.type) {
      case OpCode.multi:
        return prepareMulti(request.ops, changes, context);
      case OpCode.setACL:
        return { ok: true, txn: prepareSetAcl(request, changes, context) };
      default:
        return { ok: true, txn: prepareOp(request, changes, context) };
    }
  } catch (error) {
    if (error instanceof PrepError) return { ok: false, err: error.code };
    throw error;
  }
}

/**
 * The closeSession txn: lists the session's ephemerals as they will be once pending txns apply, and
 * records their deletion in the overlay so later prepared requests see them gone.
 */
export function prepareCloseSession(
  ephemerals: Iterable<string>,
  changes: PendingChanges,
  zxid: number,
): Txn {
  const paths = [...ephemerals].filter((path) => changes.lookup(path) !== null).sort();
  for (const path of paths) {
    const parentPath = parentOf(path);
    const parent = changes.lookup(parentPath);
    if (parent !== null) changes.record(parentPath, zxid, changed(parent, { childCount: parent.childCount - 1 }));
    changes.record(path, zxid, null);
  }
  return { type: OpCode.closeSession, paths2Delete: paths };
}
