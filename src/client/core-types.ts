// The types at the boundary of the sans-I/O connection core: its options, the inputs callers hand
// it (requests with their watch registrations) and the actions it asks its driver to perform.

import type { Response } from '../proto/index.js';
import type { HostAddress } from './connect-string.js';
import type { WatchKind } from './watch-registry.js';

export type SessionState =
  | 'connecting'
  | 'connected'
  | 'connectedReadOnly'
  | 'disconnected'
  | 'expired'
  | 'authFailed'
  | 'closed';

/** A watch event as the application sees it: path relative to the chroot. */
export interface WatchEvent {
  /** EventType: nodeCreated, nodeDeleted, nodeDataChanged, nodeChildrenChanged, or a *WatchRemoved. */
  type: number;
  path: string;
}

export type ReplyOutcome =
  | { ok: true; response: Response; zxid: number }
  /** `closed`: the client was closed before the request got an answer (err is SessionExpired). */
  | { ok: false; err: number; closed?: boolean };

/**
 * What the driver must do, in order. `send` frames go to the current transport; `open` asks for a
 * new transport to `host` (answer with transportOpened or transportClosed); `closeTransport` asks to
 * drop the current one (the core has already treated it as gone: do not report its close);
 * `probeReadWrite` (only while connected read-only) asks whether another host serves writes.
 */
export type CoreAction<T, W> =
  | { type: 'open'; host: HostAddress }
  | { type: 'send'; frame: Buffer }
  | { type: 'closeTransport'; reason: string }
  /** Ask `host` "isro" on a separate short connection; answer with probeAnswered(id, ...). */
  | { type: 'probeReadWrite'; id: number; host: HostAddress }
  | { type: 'state'; state: SessionState; reason?: string }
  | { type: 'reply'; token: T; outcome: ReplyOutcome }
  | { type: 'watch'; event: WatchEvent; watchers: W[] }
  | { type: 'watchesRemoved'; path: string; removed: Array<{ kind: WatchKind; watcher: W }> };

/** When the reply to a request arrives, how to register its watch (ZooKeeper's WatchRegistration). */
export interface WatchRegistration<W> {
  /** getData → data; exists → data, or exist on NoNode; getChildren → child; addWatch → persistent*. */
  on: 'data' | 'exists' | 'child' | 'persistent' | 'persistentRecursive';
  path: string;
  watcher: W;
}

export interface SubmitOptions<T, W> {
  token: T;
  watch?: WatchRegistration<W>;
  /** removeWatches: on success, drop these watches locally too. */
  removal?: { path: string; watcherType: number };
}

export interface ConnectionCoreOptions {
  /** Hosts in the order to try them (the caller shuffles). */
  hosts: readonly HostAddress[];
  /** '' for none. */
  chroot: string;
  /** Requested session timeout; the server's answer is what counts. */
  sessionTimeoutMs: number;
  /** In [0, 1): jitter of the pause between rounds over all hosts. */
  random: () => number;
  canBeReadOnly?: boolean;
  /** Reattach to an existing session. */
  session?: { id: bigint; password: Uint8Array };
  /** Requests queued or in flight; submit beyond it is a programmer error (the caller waits for room). */
  outstandingRequestsMax?: number;
  maxFrameBytes?: number;
  /** Upper bound of the random pause before starting another round over all hosts. Default 1000. */
  reconnectPauseMsMax?: number;
  /** While read-only, the pause between probes for a read-write server doubles from 100 ms up to this. Default 60000. */
  readWriteProbeMsMax?: number;
}
