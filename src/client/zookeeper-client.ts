// ZooKeeperClient: the promise API over the connection core and the Node socket adapter.
//
//   const zk = await ZooKeeperClient.connect('10.0.0.1:2181,10.0.0.2:2181/app', { sessionTimeoutMs: 10_000 });
//   await zk.create('/config', 'v1');
//   for await (const event of zk.watch('/config')) ...
//
// Every call validates its path, waits for room under the outstanding-request bound, honours its
// AbortSignal and timeout, and rejects with a typed error (errors.ts). Idempotent calls are retried
// on ConnectionLoss by the retry policy; create, multi and unconditional writes never are. Session
// state changes are events; a watcher that throws is reported on 'error'.

import { EventEmitter } from 'node:events';
import { AddWatchMode, EventType, OpCode, WatcherType, type MultiWriteOp, type Request, type Response } from '../proto/index.js';
import { limits } from '../util/index.js';
import { parseConnectString, shuffleHosts, validatePath } from './connect-string.js';
import { CallRunner, type Call } from './call-runner.js';
import type { SessionState, WatchEvent } from './core-types.js';
import { toBytes, toNodeData, type Data } from './data-bytes.js';
import {
  BadArgumentsError,
  ConnectionLossError,
  errorForCode,
  MarshallingError,
  NoNodeError,
  UnimplementedError,
  ZooKeeperError,
} from './errors.js';
import { NodeDriver, type SocketFactory } from './node-driver.js';
import { defaultRetryPolicy } from './retry.js';
import { Slots } from './slots.js';
import { Transaction, createRequest, transactionResults } from './transaction.js';
import type {
  AclResult,
  CallOptions,
  ChildrenResult,
  ClientEvents,
  ClientOptions,
  ClientWatchEvent,
  CreateOptions,
  CreateResult,
  DataResult,
  PersistentWatchMode,
  ReadOp,
  ReadOpResult,
  Stat,
  TransactionOpResult,
  VersionOptions,
  Watcher,
  WatcherTypeName,
  WatchOptions,
  WatchEventType,
  WhoAmIEntry,
} from './types.js';
import type { Acl } from '../proto/index.js';
import { WatchStream } from './watch-stream.js';
import type { WatchKind } from './watch-registry.js';

const eventTypeNames = new Map<number, WatchEventType>(
  (Object.entries(EventType) as Array<[WatchEventType | 'none', number]>)
    .filter((entry): entry is [WatchEventType, number] => entry[0] !== 'none')
    .map(([name, code]) => [code, name]),
);

const removedEventFor: Record<WatchKind, WatchEventType> = {
  data: 'dataWatchRemoved',
  exist: 'dataWatchRemoved',
  child: 'childWatchRemoved',
  persistent: 'persistentWatchRemoved',
  persistentRecursive: 'persistentWatchRemoved',
};

/** How long close() waits for the server to confirm closeSession before dropping the socket. */
const closeTimeoutMsDefault = 5000;

export class ZooKeeperClient extends EventEmitter<ClientEvents> {
  private readonly driver: NodeDriver<Call, Watcher>;
  private readonly calls: CallRunner;
  private readonly streams = new Set<WatchStream>();
  private closing: Promise<void> | undefined;

  private constructor(connectString: string, options: ClientOptions, socketFactory?: SocketFactory) {
    super();
    const parsed = parseConnectString(connectString);
    const random = options.random ?? Math.random;
    const outstandingMax = options.outstandingRequestsMax ?? limits.connectionOutstandingRequestsMax;
    const hosts = options.shuffleHosts === false ? parsed.hosts : shuffleHosts(parsed.hosts, random);
    this.driver = new NodeDriver<Call, Watcher>(
      {
        hosts,
        chroot: parsed.chroot,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
        random,
        canBeReadOnly: options.canBeReadOnly ?? false,
        session: options.session,
        // The core asserts the bound the slots enforce (internal requests are not counted).
        outstandingRequestsMax: outstandingMax,
      },
      {
        reply: (call, outcome) => call.settle(outcome),
        watch: (event, watchers) => this.dispatch(event, watchers),
        watchesRemoved: (path, removed) => {
          for (const { kind, watcher } of removed) this.callWatcher(watcher, { type: removedEventFor[kind], path });
        },
        state: (state, reason) => this.stateChanged(state, reason),
      },
      socketFactory,
    );
    this.calls = new CallRunner({
      driver: this.driver,
      slots: new Slots(outstandingMax),
      retryPolicy: options.retry === undefined ? defaultRetryPolicy : options.retry,
      random,
      requestTimeoutMs: options.requestTimeoutMs,
    });
  }

  /**
   * Connects and resolves once the session is established and the `auth` entries accepted. Rejects
   * (and closes the client) when no host answers within connectTimeoutMs, or the session is refused
   * (expired, auth failed).
   */
  static async connect(connectString: string, options: ClientOptions & { signal?: AbortSignal; socketFactory?: SocketFactory } = {}): Promise<ZooKeeperClient> {
    const client = new ZooKeeperClient(connectString, options, options.socketFactory);
    const timeoutMs = options.connectTimeoutMs ?? 15_000;
    // Queued before the first connection, so they go out right after the handshake.
    const auths = (options.auth ?? []).map((entry) => client.addAuth(entry.scheme, entry.auth, { timeoutMs, signal: options.signal }));
    auths.forEach((auth) => auth.catch(() => undefined));
    try {
      await client.untilConnected(timeoutMs, options.signal);
      await Promise.all(auths);
    } catch (error) {
      await client.close({ timeoutMs: 1000 });
      throw error;
    }
    return client;
  }

  get state(): SessionState {
    return this.driver.core.state;
  }

  get sessionId(): bigint {
    return this.driver.core.session.id;
  }

  /** With sessionId, lets another client reattach to this session (ClientOptions.session). */
  get sessionPassword(): Uint8Array {
    return this.driver.core.session.password;
  }

  /** The timeout the server granted. */
  get sessionTimeoutMs(): number {
    return this.driver.core.session.timeoutMs;
  }

  /** The highest zxid this client has seen in a reply. */
  get lastZxid(): number {
    return this.driver.core.lastZxid;
  }

  // ---- operations ------------------------------------------------------------------------------

  /** Creates a node. Never retried: after a ConnectionLoss, check whether it exists. */
  async create(path: string, data?: Data | null, options: CreateOptions = {}): Promise<CreateResult> {
    const request = createRequest(path, data, options);
    const response = await this.calls.run({ request, path, idempotent: false }, options);
    if (!('stat' in response) || !('path' in response)) throw unexpected(response);
    return { path: response.path, stat: response.stat };
  }

  async delete(path: string, options: VersionOptions = {}): Promise<void> {
    validatePath(path);
    const version = options.version ?? -1;
    await this.calls.run({ request: { type: OpCode.delete, path, version }, path, idempotent: version !== -1 }, options);
  }

  /** The node's Stat, or null when it does not exist (a watch then fires on its creation). */
  async exists(path: string, options: WatchOptions = {}): Promise<Stat | null> {
    validatePath(path);
    const watch = options.watch === undefined ? undefined : { on: 'exists' as const, path, watcher: options.watch };
    try {
      const response = await this.calls.run({ request: { type: OpCode.exists, path, watch: watch !== undefined }, path, idempotent: true, watch }, options);
      return 'stat' in response ? response.stat : null;
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  async getData(path: string, options: WatchOptions = {}): Promise<DataResult> {
    validatePath(path);
    const watch = options.watch === undefined ? undefined : { on: 'data' as const, path, watcher: options.watch };
    const response = await this.calls.run({ request: { type: OpCode.getData, path, watch: watch !== undefined }, path, idempotent: true, watch }, options);
    if (response.type !== OpCode.getData) throw unexpected(response);
    return { data: copyBytes(response.data), stat: response.stat };
  }

  async setData(path: string, data: Data | null, options: VersionOptions = {}): Promise<Stat> {
    validatePath(path);
    const version = options.version ?? -1;
    const request = { type: OpCode.setData, path, data: toNodeData(data), version } as const;
    const response = await this.calls.run({ request, path, idempotent: version !== -1 }, options);
    if (!('stat' in response)) throw unexpected(response);
    return response.stat;
  }

  /** Children names (unsorted, as the server gives them) and the parent's Stat. */
  async getChildren(path: string, options: WatchOptions = {}): Promise<ChildrenResult> {
    validatePath(path);
    const watch = options.watch === undefined ? undefined : { on: 'child' as const, path, watcher: options.watch };
    const response = await this.calls.run({ request: { type: OpCode.getChildren2, path, watch: watch !== undefined }, path, idempotent: true, watch }, options);
    if (response.type !== OpCode.getChildren2) throw unexpected(response);
    return { children: response.children, stat: response.stat };
  }

  async getACL(path: string, options: CallOptions = {}): Promise<AclResult> {
    validatePath(path);
    const response = await this.calls.run({ request: { type: OpCode.getACL, path }, path, idempotent: true }, options);
    if (response.type !== OpCode.getACL) throw unexpected(response);
    return { acl: response.acl, stat: response.stat };
  }

  /** Replaces the ACL; `version` is the ACL version (Stat.aversion). */
  async setACL(path: string, acl: readonly Acl[], options: VersionOptions = {}): Promise<Stat> {
    validatePath(path);
    const version = options.version ?? -1;
    const response = await this.calls.run({ request: { type: OpCode.setACL, path, acl: [...acl], version }, path, idempotent: version !== -1 }, options);
    if (!('stat' in response)) throw unexpected(response);
    return response.stat;
  }

  /** Waits until the connected server has caught up with the leader as of now. */
  async sync(path: string, options: CallOptions = {}): Promise<void> {
    validatePath(path);
    await this.calls.run({ request: { type: OpCode.sync, path }, path, idempotent: true }, options);
  }

  /** A builder of create/delete/setData/check ops committed atomically. */
  transaction(): Transaction {
    return new Transaction((ops, options) => this.multi(ops, options));
  }

  /** Several reads in one round trip; each failed read is an `error` entry, not a rejection. */
  async multiRead(ops: readonly ReadOp[], options: CallOptions = {}): Promise<ReadOpResult[]> {
    if (ops.length > limits.multiOpsMax) throw new BadArgumentsError({ cause: new Error(`more than ${limits.multiOpsMax} ops`) });
    for (const op of ops) validatePath(op.path);
    const request: Request = {
      type: OpCode.multiRead,
      ops: ops.map((op) => ({ type: op.type === 'getData' ? OpCode.getData : OpCode.getChildren, path: op.path, watch: false })),
    };
    const response = await this.calls.run({ request, path: undefined, idempotent: true }, options);
    if (response.type !== OpCode.multiRead) throw unexpected(response);
    return response.results.map((result, index): ReadOpResult => {
      if (result.type === OpCode.getData) return { type: 'getData', data: copyBytes(result.data), stat: result.stat };
      if (result.type === OpCode.getChildren) return { type: 'getChildren', children: result.children };
      if (result.type === OpCode.error) return { type: 'error', error: errorForCode(result.err, { path: ops[index]?.path }) };
      throw unexpected(response);
    });
  }

  /** Adds a persistent (optionally recursive) watch calling `watcher` for every change until removed. */
  async addWatch(path: string, watcher: Watcher, options: CallOptions & { mode?: PersistentWatchMode } = {}): Promise<void> {
    validatePath(path);
    const mode = options.mode ?? 'persistent';
    const request: Request = { type: OpCode.addWatch, path, mode: AddWatchMode[mode] };
    await this.calls.run({ request, path, idempotent: true, watch: { on: mode, path, watcher } }, options);
  }

  /**
   * A persistent watch as an async iterable. Breaking out of the loop (or close()) removes it.
   * `stream.ready` resolves once the server registered it.
   */
  watch(path: string, options: { mode?: PersistentWatchMode; signal?: AbortSignal } = {}): WatchStream {
    const mode = options.mode ?? 'persistent';
    const stream: WatchStream = new WatchStream(
      (deliver) => this.addWatch(path, deliver, { mode, signal: options.signal }).catch((error: unknown) => {
        this.streams.delete(stream);
        throw error;
      }),
      async (deliver) => {
        this.streams.delete(stream);
        const remains = this.driver.core.removeWatcherLocally(mode, path, deliver);
        if (remains || this.driver.core.isFinal) return;
        await this.removeServerWatch(path, mode);
      },
    );
    this.streams.add(stream);
    options.signal?.addEventListener('abort', () => void stream.close(), { once: true });
    return stream;
  }

  /**
   * Removes this session's watches of a type on a path; their watchers get a *WatchRemoved event.
   * `local: true` removes them only here (works while disconnected; the server may still fire once).
   * 'persistent' and 'persistentRecursive' need a server that knows them (Meerkat, ZooKeeper 3.9);
   * ZooKeeper 3.8 answers MarshallingError, and removes persistent watches with 'any'.
   */
  async removeWatches(path: string, type: WatcherTypeName, options: CallOptions & { local?: boolean } = {}): Promise<void> {
    validatePath(path);
    const watcherType = WatcherType[type];
    if (options.local === true) {
      for (const { kind, watcher } of this.driver.core.removeWatchesLocally(path, watcherType)) {
        this.callWatcher(watcher, { type: removedEventFor[kind], path });
      }
      return;
    }
    const removal = { path, watcherType };
    await this.calls.run({ request: { type: OpCode.removeWatches, path, watcherType }, path, idempotent: false, removal }, options);
  }

  /**
   * Removes the server's persistent watch of this session on a path, once no local watcher needs it.
   * Servers before 3.9 know only the children/data/any watcher types (they answer MarshallingError):
   * then 'any' is sent if nothing else is watched on the path, else the watch stays on the server and
   * its events are ignored here.
   */
  private async removeServerWatch(path: string, mode: PersistentWatchMode): Promise<void> {
    const request: Request = { type: OpCode.removeWatches, path, watcherType: WatcherType[mode] };
    try {
      await this.calls.run({ request, path, idempotent: false }, {});
    } catch (error) {
      const unknownType = error instanceof MarshallingError || error instanceof UnimplementedError;
      if (!unknownType || this.driver.core.isWatched(path)) return;
      await this.calls.run({ request: { ...request, watcherType: WatcherType.any }, path, idempotent: false }, {}).catch(() => undefined);
    }
  }

  /** This session's ephemeral nodes whose paths start with `prefix`. */
  async getEphemerals(prefix = '/', options: CallOptions = {}): Promise<string[]> {
    validatePath(prefix);
    const response = await this.calls.run({ request: { type: OpCode.getEphemerals, prefixPath: prefix }, path: prefix, idempotent: true }, options);
    if (response.type !== OpCode.getEphemerals) throw unexpected(response);
    return response.ephemerals;
  }

  /** The number of descendants of a node (not counting itself). */
  async getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    validatePath(path);
    const response = await this.calls.run({ request: { type: OpCode.getAllChildrenNumber, path }, path, idempotent: true }, options);
    if (response.type !== OpCode.getAllChildrenNumber) throw unexpected(response);
    return response.totalNumber;
  }

  /** The identities this session is authenticated as. */
  async whoAmI(options: CallOptions = {}): Promise<WhoAmIEntry[]> {
    const response = await this.calls.run({ request: { type: OpCode.whoAmI }, path: undefined, idempotent: true }, options);
    if (response.type !== OpCode.whoAmI) throw unexpected(response);
    return response.clientInfo.map((info) => ({ scheme: info.authScheme, user: info.user }));
  }

  /**
   * Authenticates the session (e.g. 'digest', 'user:password'); replayed on every reconnect.
   * A refusal ends the session: the call rejects with AuthFailedError and 'authFailed' is emitted.
   */
  addAuth(scheme: string, auth: Uint8Array | string, options: Omit<CallOptions, 'retry'> = {}): Promise<void> {
    if (this.driver.core.isFinal) return Promise.reject(this.calls.finalError());
    return this.calls.waitFor({ deadline: undefined, path: undefined, ...options }, (call) => this.driver.addAuth(scheme, toBytes(auth), call)).then((outcome) => {
      if (!outcome.ok) throw this.calls.errorFor(outcome, undefined);
    });
  }

  /** Ends the session (its ephemerals go at once) and the connection. Idempotent. */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? closeTimeoutMsDefault;
    this.closing ??= new Promise<void>((resolve) => this.driver.close({ settle: () => resolve() }, timeoutMs));
    return this.closing;
  }

  // ---- machinery ------------------------------------------------------------------------------

  private async multi(ops: MultiWriteOp[], options: CallOptions): Promise<TransactionOpResult[]> {
    if (ops.length > limits.multiOpsMax) throw new BadArgumentsError({ cause: new Error(`more than ${limits.multiOpsMax} ops`) });
    const response = await this.calls.run({ request: { type: OpCode.multi, ops }, path: undefined, idempotent: false }, options);
    return transactionResults(ops, response);
  }

  private untilConnected(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new ConnectionLossError({ cause: new Error(`not connected within ${timeoutMs} ms`) })), timeoutMs);
      const onState = (state: SessionState): void => {
        if (state === 'connected' || state === 'connectedReadOnly') done();
        else if (state === 'expired' || state === 'authFailed' || state === 'closed') done(this.calls.finalError());
      };
      const onAbort = (): void => done(signal?.reason);
      const done = (error?: unknown): void => {
        clearTimeout(timer);
        this.off('state', onState);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.on('state', onState);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.driver.start();
    });
  }

  private stateChanged(state: SessionState, reason: string | undefined): void {
    this.emit('state', state, reason);
    switch (state) {
      case 'connected':
      case 'connectedReadOnly':
      case 'expired':
      case 'authFailed':
      case 'closed':
        this.emit(state);
        break;
      case 'disconnected':
        this.emit('disconnected', reason);
        break;
      case 'connecting':
        break;
    }
    if (state === 'expired' || state === 'authFailed' || state === 'closed') {
      const error = state === 'closed' ? undefined : this.calls.finalError();
      for (const stream of this.streams) stream.end(error);
      this.streams.clear();
    }
  }

  private dispatch(event: WatchEvent, watchers: Watcher[]): void {
    const type = eventTypeNames.get(event.type);
    if (type === undefined) return;
    for (const watcher of watchers) this.callWatcher(watcher, { type, path: event.path });
  }

  private callWatcher(watcher: Watcher, event: ClientWatchEvent): void {
    try {
      watcher(event);
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** Received bytes are views into socket chunks; a copy keeps a small node from pinning a big chunk. */
/** A copy the caller owns (the reply's bytes are a view of a reused read); null data stays null. */
function copyBytes(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes);
}

function unexpected(response: Response): ZooKeeperError {
  return new ZooKeeperError(-1, `unexpected response type ${response.type}`);
}
