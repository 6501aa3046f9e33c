// The public types of the promise API: options, results, watch events and ACL helpers. Records that
// are the wire's own (Stat, Acl, Id) are re-exported from proto unchanged.

import { CreateMode as CreateModeCode, EventType, Perms, type Acl, type Stat } from '../proto/index.js';
import type { RetryPolicy } from './retry.js';
import type { SessionState } from './connection-core.js';

export type { Acl, Id, Stat } from '../proto/index.js';
export { Perms } from '../proto/index.js';
export type { SessionState } from './connection-core.js';

/** ZooKeeper's CreateMode, by name. The TTL modes need `ttlMs`; container needs a server >= 3.5. */
export type CreateModeName = keyof typeof CreateModeCode;

export type WatchEventType = Exclude<keyof typeof EventType, 'none'>;

export interface ClientWatchEvent {
  type: WatchEventType;
  /** Relative to the chroot. */
  path: string;
}

export type Watcher = (event: ClientWatchEvent) => void;

export interface CallOptions {
  /** Aborting rejects the call with the signal's reason. A request already sent may still apply. */
  signal?: AbortSignal;
  /** Bound on the whole call, retries included; past it the call rejects with OperationTimeoutError. */
  timeoutMs?: number;
  /** Overrides the client's policy for this call; ignored for calls that are not idempotent. */
  retry?: RetryPolicy | false;
}

export interface CreateOptions extends CallOptions {
  /** Default 'persistent'. */
  mode?: CreateModeName;
  /** Default Acls.openUnsafe (world:anyone, all permissions). */
  acl?: readonly Acl[];
  /** Required for the TTL modes: the node is removed when unmodified for this long and childless. */
  ttlMs?: number;
}

export interface VersionOptions extends CallOptions {
  /** Expected version; -1 (the default) matches any version and makes the write non-idempotent. */
  version?: number;
}

export interface WatchOptions extends CallOptions {
  /** A one-shot watch, registered when the call succeeds. */
  watch?: Watcher;
}

export interface CreateResult {
  /** The created path (with its sequence suffix for sequential modes), relative to the chroot. */
  path: string;
  stat: Stat;
}

export interface DataResult {
  /** Null when the node was created or set with no data (null), as distinct from empty data. */
  data: Uint8Array | null;
  stat: Stat;
}

export interface ChildrenResult {
  children: string[];
  stat: Stat;
}

export interface AclResult {
  acl: Acl[];
  stat: Stat;
}

export interface WhoAmIEntry {
  scheme: string;
  user: string;
}

export type PersistentWatchMode = 'persistent' | 'persistentRecursive';

/** What removeWatches removes, as ZooKeeper's WatcherType. */
export type WatcherTypeName = 'children' | 'data' | 'any' | 'persistent' | 'persistentRecursive';

export interface ClientOptions {
  /** Requested session timeout; the server clamps it to its bounds. Default 30000. */
  sessionTimeoutMs?: number;
  /** Bound on the first connection (all hosts, every attempt). Default 15000. */
  connectTimeoutMs?: number;
  /** Policy for idempotent calls. Default defaultRetryPolicy; false disables retries. */
  retry?: RetryPolicy | false;
  /** Default bound on each call (see CallOptions.timeoutMs); default none beyond the session's life. */
  requestTimeoutMs?: number;
  /** Calls in flight at once; more wait for room. Default limits.connectionOutstandingRequestsMax. */
  outstandingRequestsMax?: number;
  /** Accept a read-only server (connectedReadOnly). Default false. */
  canBeReadOnly?: boolean;
  /** Reattach to this session instead of creating one. */
  session?: { id: bigint; password: Uint8Array };
  /** Authentication added before the first request, and replayed on every reconnect. */
  auth?: Array<{ scheme: string; auth: Uint8Array | string }>;
  /** Keep the hosts in the given order instead of shuffling them. */
  shuffleHosts?: boolean;
  /** Randomness for host order and retry jitter. Default Math.random. */
  random?: () => number;
}

/** Events of ZooKeeperClient (an EventEmitter). */
export interface ClientEvents {
  /** Every change of session state. */
  state: [state: SessionState, reason: string | undefined];
  connected: [];
  connectedReadOnly: [];
  disconnected: [reason: string | undefined];
  expired: [];
  authFailed: [];
  closed: [];
  /** A watcher threw; without a listener the exception is rethrown asynchronously. */
  error: [error: unknown];
}

const world = { scheme: 'world', id: 'anyone' };

/** Common ACLs (ZooKeeper's ZooDefs.Ids). */
export const Acls = {
  /** Anyone may do anything. */
  openUnsafe: [{ perms: Perms.all, id: world }] as readonly Acl[],
  /** Anyone may read. */
  readUnsafe: [{ perms: Perms.read, id: world }] as readonly Acl[],
  /** Only the authenticated creator (needs addAuth first). */
  creatorAll: [{ perms: Perms.all, id: { scheme: 'auth', id: '' } }] as readonly Acl[],
} as const;

export interface TransactionOpResultCreate {
  type: 'create';
  path: string;
}
export interface TransactionOpResultSetData {
  type: 'setData';
  stat: Stat;
}
export type TransactionOpResult = TransactionOpResultCreate | TransactionOpResultSetData | { type: 'delete' } | { type: 'check' };

export type ReadOp = { type: 'getData'; path: string } | { type: 'getChildren'; path: string };

export type ReadOpResult =
  | { type: 'getData'; data: Uint8Array | null; stat: Stat }
  | { type: 'getChildren'; children: string[] }
  | { type: 'error'; error: Error };
