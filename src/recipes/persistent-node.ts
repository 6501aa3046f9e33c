// PersistentEphemeralNode: keeps an ephemeral (or ephemeral-sequential) node with given data in
// existence for as long as the recipe runs. An exists watch on the node notices a foreign delete
// and the node is created again. A ZooKeeperClient whose session expired is final (it cannot open a
// new session), so surviving expiry needs a factory, `newClient`, for a client with a fresh session:
// a RenewingSession calls it once per expiry and shares the new client with every recipe using it;
// the node is then re-created on that client. Without a factory an expiry ends the recipe ('error'
// with SessionExpiredError).
//
// Ownership: the client passed in stays the caller's; clients made by `newClient` belong to the
// RenewingSession (`session.client` is the current one, 'replaced' announces each) and are closed by
// its close() — which a node's close() calls when the node made the session itself.
// Limits: between a loss and the re-creation the node is absent (at least one round trip; after
// expiry, the server has already removed it with the old session). With a sequential mode each
// re-creation has a new name ('created' carries it; `path` is the current one). A node at the exact
// (non-sequential) path owned by another session is waited out, not taken over. A create whose
// reply is lost is resolved by looking (exists / getEphemerals), so it never leaves a second node;
// for that, two sequential nodes of one session must not share a prefix.

import { EventEmitter } from 'node:events';
import {
  ConnectionLossError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  type SessionState,
  type ZooKeeperClient,
} from '../client/index.js';
import { ensurePath, writeBarrier } from './paths.js';

/** Attempts of one create whose outcome stays unknown (connection loss) before the worker backs off. */
const createAttemptsMax = 5;
/** Pause before retrying after a failure, doubling up to the maximum. */
const retryDelayMsInitial = 100;
const retryDelayMsMax = 2000;

export interface PersistentEphemeralNodeOptions {
  /** The node's path; with 'ephemeralSequential', the prefix the server appends a sequence to. */
  path: string;
  data?: Uint8Array | string;
  /** Default 'ephemeral'. */
  mode?: 'ephemeral' | 'ephemeralSequential';
  /** A connected client with a new session, called after the current session expired. */
  newClient?: () => Promise<ZooKeeperClient>;
}

type RenewingSessionEvents = {
  /** A client with a new session replaced the expired one. */
  replaced: [client: ZooKeeperClient];
  /** The session expired and there is no factory: every user of this session is done. */
  ended: [error: SessionExpiredError];
  /** The factory failed; it is called again after a pause (doubling up to 2 s) until close(). */
  replaceFailed: [error: Error];
};

/** The current client of a session that is replaced after expiry by one factory call, shared by all users. */
export class RenewingSession extends EventEmitter<RenewingSessionEvents> {
  private current: ZooKeeperClient;
  private readonly owned: ZooKeeperClient[] = [];
  private closed = false;

  constructor(client: ZooKeeperClient, private readonly newClient?: () => Promise<ZooKeeperClient>) {
    super();
    this.current = client;
    client.on('expired', this.onExpired);
  }

  get client(): ZooKeeperClient {
    return this.current;
  }

  /** True when an expiry will be followed by a new client. */
  get renews(): boolean {
    return this.newClient !== undefined;
  }

  /** Stops renewing and closes the clients the factory made (not the one passed in). */
  async close(): Promise<void> {
    this.closed = true;
    this.current.off('expired', this.onExpired);
    await Promise.all(this.owned.map((client) => client.close()));
  }

  private readonly onExpired = (): void => {
    this.current.off('expired', this.onExpired);
    if (this.closed) return;
    if (this.newClient === undefined) this.emit('ended', new SessionExpiredError());
    else void this.replace(this.newClient);
  };

  private async replace(newClient: () => Promise<ZooKeeperClient>): Promise<void> {
    for (let delayMs = retryDelayMsInitial; !this.closed; delayMs = Math.min(delayMs * 2, retryDelayMsMax)) {
      try {
        const client = await newClient();
        this.owned.push(client);
        if (this.closed) return void (await client.close());
        this.current = client;
        client.on('expired', this.onExpired);
        this.emit('replaced', client);
        return;
      } catch (error) {
        this.emit('replaceFailed', error as Error);
        await sleep(delayMs);
      }
    }
  }
}

type PersistentNodeEvents = {
  /** The node exists again (also the first time), at this path. */
  created: [path: string];
  error: [error: Error];
};

export class PersistentEphemeralNode extends EventEmitter<PersistentNodeEvents> {
  readonly session: RenewingSession;
  private readonly ownsSession: boolean;
  private data: Uint8Array | string;
  private readonly mode: 'ephemeral' | 'ephemeralSequential';
  private nodePath: string | undefined;
  private checkWanted = false;
  private working: Promise<void> | undefined;
  private closed = false;
  private readonly initial: Promise<string>;
  private resolveInitial: (path: string) => void = () => undefined;

  /** With a RenewingSession, `options.newClient` is ignored (the session has its own factory). */
  constructor(client: ZooKeeperClient | RenewingSession, readonly options: PersistentEphemeralNodeOptions) {
    super();
    this.ownsSession = !(client instanceof RenewingSession);
    this.session = client instanceof RenewingSession ? client : new RenewingSession(client, options.newClient);
    this.data = options.data ?? '';
    this.mode = options.mode ?? 'ephemeral';
    this.initial = new Promise((resolve) => (this.resolveInitial = resolve));
  }

  /** The client the node currently lives on. */
  get client(): ZooKeeperClient {
    return this.session.client;
  }

  /** The node's current path (for a sequential node, once created); undefined before. */
  get path(): string | undefined {
    return this.nodePath;
  }

  /** Starts keeping the node; see waitForInitialCreate(). */
  start(): void {
    this.session.on('replaced', this.onReplaced);
    this.session.on('ended', this.onEnded);
    this.check();
  }

  /** Resolves with the node's path once first created; rejects with OperationTimeoutError past the bound. */
  async waitForInitialCreate(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new OperationTimeoutError({ path: this.options.path })), timeoutMs);
    });
    try {
      return await Promise.race([this.initial, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Changes the data, on the node now and on every re-creation. */
  async setData(data: Uint8Array | string): Promise<void> {
    this.data = data;
    if (this.nodePath === undefined) return;
    try {
      await this.client.setData(this.nodePath, data);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** Stops keeping the node and deletes it (and closes the session if the node made it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.off('replaced', this.onReplaced);
    this.session.off('ended', this.onEnded);
    await this.working;
    const path = this.nodePath;
    const client = this.client;
    try {
      const stat = path === undefined || isFinal(client.state) ? null : await client.exists(path);
      if (stat !== null && stat.ephemeralOwner === client.sessionId) await client.delete(path!, { version: stat.version });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    } finally {
      if (this.ownsSession) await this.session.close();
    }
  }

  private readonly onNodeEvent = (): void => this.check();

  private readonly onReplaced = (): void => {
    if (this.mode === 'ephemeralSequential') this.nodePath = undefined;
    this.check();
  };

  private readonly onEnded = (error: SessionExpiredError): void => {
    if (!this.closed) this.emit('error', error);
  };

  private check(): void {
    this.checkWanted = true;
    this.working ??= this.work().finally(() => {
      this.working = undefined;
      // A check asked for after the loop's last test but before this line would be lost.
      if (this.checkWanted && !this.closed) this.check();
    });
  }

  /** Makes sure the node exists and is watched, as long as something asks for a check. */
  private async work(): Promise<void> {
    let delayMs = retryDelayMsInitial;
    while (this.checkWanted && !this.closed) {
      this.checkWanted = false;
      const client = this.client;
      try {
        await this.ensureNode(client);
        delayMs = retryDelayMsInitial;
      } catch (error) {
        // An expired session is the RenewingSession's to handle ('replaced' asks for a check).
        if (client !== this.client || isFinal(client.state)) continue;
        if (!(error instanceof ConnectionLossError)) this.emit('error', error as Error);
        this.checkWanted = true;
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, retryDelayMsMax);
      }
    }
  }

  private async ensureNode(client: ZooKeeperClient): Promise<void> {
    if (this.nodePath !== undefined) {
      const stat = await client.exists(this.nodePath, { watch: this.onNodeEvent });
      // Ours: nothing to do. Another session's (exact path only): its deletion fires the watch.
      if (stat !== null) return;
    }
    const path = await this.createNode(client);
    this.nodePath = path;
    const stat = await client.exists(path, { watch: this.onNodeEvent });
    if (stat === null || stat.ephemeralOwner !== client.sessionId) return;
    this.resolveInitial(path);
    this.emit('created', path);
  }

  /** Creates the node; resolves to its path (or the exact path held by another session, to wait on). */
  private async createNode(client: ZooKeeperClient): Promise<string> {
    const { path } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await client.create(path, this.data, { mode: this.mode })).path;
      } catch (error) {
        if (error instanceof NodeExistsError) return path;
        if (error instanceof NoNodeError && attempt < createAttemptsMax) {
          await ensurePath(client, parentOf(path));
          continue;
        }
        if (!(error instanceof ConnectionLossError) || attempt >= createAttemptsMax) throw error;
      }
      const earlier = await this.findOwnNode(client);
      if (earlier !== undefined) return earlier;
    }
  }

  /** After a create with no reply: the node this session made, if it was made. */
  private async findOwnNode(client: ZooKeeperClient): Promise<string | undefined> {
    const { path } = this.options;
    await writeBarrier(client);
    if (this.mode === 'ephemeral') {
      const stat = await client.exists(path);
      return stat !== null && stat.ephemeralOwner === client.sessionId ? path : undefined;
    }
    const sequential = new RegExp(`^${escapeRegExp(path)}\\d{10}$`);
    return (await client.getEphemerals(parentOf(path))).filter((candidate) => sequential.test(candidate)).sort().at(-1);
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isFinal(state: SessionState): boolean {
  return state === 'expired' || state === 'authFailed' || state === 'closed';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
