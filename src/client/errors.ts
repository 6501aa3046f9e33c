// Typed errors of the client: one class per ZooKeeper error code (KeeperException.Code), plus the
// conditions that exist only on the client (closed client, full watch stream). Every error carries
// `code` (the wire error code, so callers can switch on numbers as in other clients), `path` when
// the failing call named one, and the standard `cause`.
//
// `errorForCode` is the single place that turns a wire code into an error; an unknown code still
// becomes a ZooKeeperError (with that code) rather than being lost.

import { ErrorCode } from '../proto/index.js';

export interface ZooKeeperErrorOptions {
  path?: string;
  cause?: unknown;
}

/** Base class of every error this client throws for a ZooKeeper condition. */
export class ZooKeeperError extends Error {
  override name = 'ZooKeeperError';
  /** The ZooKeeper error code (KeeperException.Code), e.g. -101 for NoNode. */
  readonly code: number;
  /** The path of the failing call, as the caller gave it (relative to the chroot). */
  readonly path: string | undefined;

  constructor(code: number, message?: string, options: ZooKeeperErrorOptions = {}) {
    const where = options.path === undefined ? '' : ` for ${options.path}`;
    super(message ?? `ZooKeeper error ${code}${where}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }
}

type ErrorClass = new (options?: ZooKeeperErrorOptions) => ZooKeeperError;

/** Builds the class for one code; the message says what the code means, and the path. */
function codeError(name: string, code: number, meaning: string): ErrorClass {
  const named = {
    [name]: class extends ZooKeeperError {
      override name = name;
      constructor(options: ZooKeeperErrorOptions = {}) {
        super(code, `${meaning}${options.path === undefined ? '' : ` for ${options.path}`}`, options);
      }
    },
  };
  return named[name]!;
}

// Each class is declared with `class X extends codeError(...)` so it has its own name for
// `instanceof` and in stack traces, and TypeScript sees a distinct type per condition.
export class ZooKeeperSystemError extends codeError('ZooKeeperSystemError', ErrorCode.systemError, 'system error') {}
export class RuntimeInconsistencyError extends codeError('RuntimeInconsistencyError', ErrorCode.runtimeInconsistency, 'runtime inconsistency') {}
export class DataInconsistencyError extends codeError('DataInconsistencyError', ErrorCode.dataInconsistency, 'data inconsistency') {}
export class ConnectionLossError extends codeError('ConnectionLossError', ErrorCode.connectionLoss, 'connection lost') {}
export class MarshallingError extends codeError('MarshallingError', ErrorCode.marshallingError, 'marshalling error') {}
export class UnimplementedError extends codeError('UnimplementedError', ErrorCode.unimplemented, 'operation not implemented by the server') {}
export class OperationTimeoutError extends codeError('OperationTimeoutError', ErrorCode.operationTimeout, 'operation timed out') {}
export class BadArgumentsError extends codeError('BadArgumentsError', ErrorCode.badArguments, 'bad arguments') {}
export class UnknownSessionError extends codeError('UnknownSessionError', ErrorCode.unknownSession, 'unknown session') {}
export class NewConfigNoQuorumError extends codeError('NewConfigNoQuorumError', ErrorCode.newConfigNoQuorum, 'new configuration has no quorum') {}
export class ReconfigInProgressError extends codeError('ReconfigInProgressError', ErrorCode.reconfigInProgress, 'reconfiguration in progress') {}
export class ApiError extends codeError('ApiError', ErrorCode.apiError, 'API error') {}
export class NoNodeError extends codeError('NoNodeError', ErrorCode.noNode, 'no node') {}
export class NoAuthError extends codeError('NoAuthError', ErrorCode.noAuth, 'not authorized') {}
export class BadVersionError extends codeError('BadVersionError', ErrorCode.badVersion, 'bad version') {}
export class NoChildrenForEphemeralsError extends codeError('NoChildrenForEphemeralsError', ErrorCode.noChildrenForEphemerals, 'ephemeral nodes may not have children') {}
export class NodeExistsError extends codeError('NodeExistsError', ErrorCode.nodeExists, 'node exists') {}
export class NotEmptyError extends codeError('NotEmptyError', ErrorCode.notEmpty, 'node has children') {}
export class SessionExpiredError extends codeError('SessionExpiredError', ErrorCode.sessionExpired, 'session expired') {}
export class InvalidCallbackError extends codeError('InvalidCallbackError', ErrorCode.invalidCallback, 'invalid callback') {}
export class InvalidAclError extends codeError('InvalidAclError', ErrorCode.invalidAcl, 'invalid ACL') {}
export class AuthFailedError extends codeError('AuthFailedError', ErrorCode.authFailed, 'authentication failed') {}
export class SessionMovedError extends codeError('SessionMovedError', ErrorCode.sessionMoved, 'session moved to another server') {}
export class NotReadOnlyError extends codeError('NotReadOnlyError', ErrorCode.notReadOnly, 'server is read-only') {}
export class EphemeralOnLocalSessionError extends codeError('EphemeralOnLocalSessionError', ErrorCode.ephemeralOnLocalSession, 'ephemeral node on a local session') {}
export class NoWatcherError extends codeError('NoWatcherError', ErrorCode.noWatcher, 'no such watcher') {}
export class RequestTimeoutError extends codeError('RequestTimeoutError', ErrorCode.requestTimeout, 'request timed out on the server') {}
export class ReconfigDisabledError extends codeError('ReconfigDisabledError', ErrorCode.reconfigDisabled, 'reconfiguration disabled') {}
export class SessionClosedRequireSaslAuthError extends codeError('SessionClosedRequireSaslAuthError', ErrorCode.sessionClosedRequireSaslAuth, 'session closed: SASL authentication required') {}
export class QuotaExceededError extends codeError('QuotaExceededError', ErrorCode.quotaExceeded, 'quota exceeded') {}
export class ThrottledOpError extends codeError('ThrottledOpError', ErrorCode.throttledOp, 'operation throttled by the server') {}

/**
 * The client was closed by `close()`: calls made after it fail with this. Its code is
 * SessionExpired, as ZooKeeper's Java client reports calls on a closed handle.
 */
export class ClientClosedError extends ZooKeeperError {
  override name = 'ClientClosedError';
  constructor(options: ZooKeeperErrorOptions = {}) {
    super(ErrorCode.sessionExpired, 'the client is closed', options);
  }
}

/** A watch stream's consumer fell so far behind that its bounded queue filled; the stream ends. */
export class WatchQueueOverflowError extends ZooKeeperError {
  override name = 'WatchQueueOverflowError';
  constructor(limit: number, options: ZooKeeperErrorOptions = {}) {
    super(ErrorCode.apiError, `more than ${limit} unread watch events`, options);
  }
}

const classByCode: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [ErrorCode.systemError, ZooKeeperSystemError],
  [ErrorCode.runtimeInconsistency, RuntimeInconsistencyError],
  [ErrorCode.dataInconsistency, DataInconsistencyError],
  [ErrorCode.connectionLoss, ConnectionLossError],
  [ErrorCode.marshallingError, MarshallingError],
  [ErrorCode.unimplemented, UnimplementedError],
  [ErrorCode.operationTimeout, OperationTimeoutError],
  [ErrorCode.badArguments, BadArgumentsError],
  [ErrorCode.unknownSession, UnknownSessionError],
  [ErrorCode.newConfigNoQuorum, NewConfigNoQuorumError],
  [ErrorCode.reconfigInProgress, ReconfigInProgressError],
  [ErrorCode.apiError, ApiError],
  [ErrorCode.noNode, NoNodeError],
  [ErrorCode.noAuth, NoAuthError],
  [ErrorCode.badVersion, BadVersionError],
  [ErrorCode.noChildrenForEphemerals, NoChildrenForEphemeralsError],
  [ErrorCode.nodeExists, NodeExistsError],
  [ErrorCode.notEmpty, NotEmptyError],
  [ErrorCode.sessionExpired, SessionExpiredError],
  [ErrorCode.invalidCallback, InvalidCallbackError],
  [ErrorCode.invalidAcl, InvalidAclError],
  [ErrorCode.authFailed, AuthFailedError],
  [ErrorCode.sessionMoved, SessionMovedError],
  [ErrorCode.notReadOnly, NotReadOnlyError],
  [ErrorCode.ephemeralOnLocalSession, EphemeralOnLocalSessionError],
  [ErrorCode.noWatcher, NoWatcherError],
  [ErrorCode.requestTimeout, RequestTimeoutError],
  [ErrorCode.reconfigDisabled, ReconfigDisabledError],
  [ErrorCode.sessionClosedRequireSaslAuth, SessionClosedRequireSaslAuthError],
  [ErrorCode.quotaExceeded, QuotaExceededError],
  [ErrorCode.throttledOp, ThrottledOpError],
]);

/** The typed error for a wire error code (code 0 is not an error: asserting callers never pass it). */
export function errorForCode(code: number, options: ZooKeeperErrorOptions = {}): ZooKeeperError {
  const ErrorForCode = classByCode.get(code);
  return ErrorForCode === undefined ? new ZooKeeperError(code, undefined, options) : new ErrorForCode(options);
}
