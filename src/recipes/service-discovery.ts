// ServiceDiscovery: service instances registered as ephemeral znodes `<base>/<name>/<id>` holding the
// instance as JSON, so an instance disappears when its process's session ends. Each registration is
// a PersistentEphemeralNode on one shared RenewingSession: a foreign delete is undone at once, and
// with `newClient` every registration is re-created on the new session after an expiry (without it,
// registrations end with the session). Queries read the tree directly; `watch(name)` keeps a
// TreeCache of one service and emits its instance list on every change (and re-starts the cache on
// the new client after an expiry, when the session renews).
// Guarantees and limits: an instance id held by a live session of another process is refused
// (NodeExistsError); between an expiry and the re-registration the instance is absent; a watcher's
// list lags the server like every cache; nodes whose data is not an instance's JSON are skipped.

import { EventEmitter } from 'node:events';
import { NodeExistsError, NoNodeError, SessionExpiredError, type ZooKeeperClient } from '../client/index.js';
import { PersistentEphemeralNode, RenewingSession } from './persistent-node.js';
import { TreeCache } from './tree-cache.js';

/** Default bound on register()'s wait for the instance's node to exist. */
const registerTimeoutMsDefault = 10_000;

export interface ServiceInstance<Payload = unknown> {
  name: string;
  id: string;
  address: string;
  port: number;
  payload?: Payload;
}

export interface ServiceDiscoveryOptions {
  /** The parent of every service, e.g. '/services'. */
  basePath: string;
  /** A connected client with a new session, called after an expiry: registrations and watches survive it. */
  newClient?: () => Promise<ZooKeeperClient>;
  /** Bound on register()'s wait for the node. Default 10000. */
  registerTimeoutMs?: number;
}

export class ServiceDiscovery {
  readonly session: RenewingSession;
  private readonly basePath: string;
  private readonly registerTimeoutMs: number;
  private readonly registrations = new Map<string, PersistentEphemeralNode>();
  private readonly watchers = new Set<ServiceWatcher>();

  constructor(client: ZooKeeperClient, options: ServiceDiscoveryOptions) {
    this.session = new RenewingSession(client, options.newClient);
    this.basePath = options.basePath === '/' ? '' : options.basePath;
    this.registerTimeoutMs = options.registerTimeoutMs ?? registerTimeoutMsDefault;
  }

  /** Registers (or re-registers with new data) an instance; resolves once its node exists. */
  async register(instance: ServiceInstance): Promise<void> {
    checkSegment('name', instance.name);
    checkSegment('id', instance.id);
    const path = this.instancePath(instance.name, instance.id);
    const data = JSON.stringify(instance);
    const existing = this.registrations.get(path);
    if (existing !== undefined) return existing.setData(data);
    const owner = (await this.session.client.exists(path))?.ephemeralOwner;
    if (owner !== undefined && owner !== this.session.client.sessionId) throw new NodeExistsError({ path });
    const node = new PersistentEphemeralNode(this.session, { path, data });
    this.registrations.set(path, node);
    node.on('error', () => undefined); // an expiry without newClient ends it; queries show the instance gone
    node.start();
    try {
      await node.waitForInitialCreate(this.registerTimeoutMs);
    } catch (error) {
      this.registrations.delete(path);
      await node.close().catch(() => undefined);
      throw error;
    }
  }

  /** Removes an instance this discovery registered. */
  async unregister(name: string, id: string): Promise<void> {
    const path = this.instancePath(name, id);
    const node = this.registrations.get(path);
    this.registrations.delete(path);
    await node?.close();
  }

  /** Names of the services with a node under the base path (possibly with no instance), sorted. */
  async queryForNames(): Promise<string[]> {
    try {
      return (await this.session.client.getChildren(this.basePath === '' ? '/' : this.basePath)).children.sort();
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /** The live instances of a service, sorted by id. */
  async queryForInstances(name: string): Promise<ServiceInstance[]> {
    checkSegment('name', name);
    const client = this.session.client;
    let ids: string[];
    try {
      ids = (await client.getChildren(`${this.basePath}/${name}`)).children;
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    const reads = await client.multiRead(ids.map((id) => ({ type: 'getData' as const, path: this.instancePath(name, id) })));
    return reads
      .flatMap((read) => (read.type === 'getData' ? [parseInstance(read.data ?? new Uint8Array(0))] : []))
      .filter((instance): instance is ServiceInstance => instance !== undefined)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A started watcher of one service's instances; listen to its 'change' events. */
  async watch(name: string): Promise<ServiceWatcher> {
    checkSegment('name', name);
    const watcher = new ServiceWatcher(this.session, `${this.basePath}/${name}`);
    this.watchers.add(watcher);
    watcher.once('closed', () => this.watchers.delete(watcher));
    await watcher.start();
    return watcher;
  }

  /** Unregisters every instance, stops every watcher, and closes the clients `newClient` made. */
  async close(): Promise<void> {
    await Promise.all([...this.registrations.values()].map((node) => node.close().catch(() => undefined)));
    this.registrations.clear();
    await Promise.all([...this.watchers].map((watcher) => watcher.close()));
    await this.session.close();
  }

  private instancePath(name: string, id: string): string {
    return `${this.basePath}/${name}/${id}`;
  }
}

type ServiceWatcherEvents = { change: [instances: ServiceInstance[]]; error: [error: Error]; closed: [] };

/** The instances of one service, kept by a TreeCache; 'change' carries the sorted list. */
export class ServiceWatcher extends EventEmitter<ServiceWatcherEvents> {
  current: ServiceInstance[] = [];
  private cache: TreeCache | undefined;
  private closed = false;

  constructor(private readonly session: RenewingSession, readonly servicePath: string) {
    super();
  }

  async start(): Promise<void> {
    this.session.on('replaced', this.onReplaced);
    await this.startCache(this.session.client);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session.off('replaced', this.onReplaced);
    await this.cache?.stop();
    this.emit('closed');
  }

  private readonly onReplaced = (client: ZooKeeperClient): void => {
    this.startCache(client).catch((error: unknown) => this.emit('error', error as Error));
  };

  private async startCache(client: ZooKeeperClient): Promise<void> {
    await this.cache?.stop();
    const cache = new TreeCache(client, this.servicePath);
    this.cache = cache;
    // The first walk adds nodes one by one: one 'change' after it, not one per instance.
    let walked = false;
    const changed = (): void => {
      if (walked && this.cache === cache && !this.closed) this.update(cache);
    };
    cache.on('nodeAdded', changed);
    cache.on('nodeUpdated', changed);
    cache.on('nodeRemoved', changed);
    cache.on('error', (error) => {
      // The session's expiry ends the cache; with a renewing session a new cache follows.
      if (!(error instanceof SessionExpiredError && this.session.renews)) this.emit('error', error);
    });
    await cache.start();
    walked = true;
    changed();
  }

  private update(cache: TreeCache): void {
    const next = cache
      .children(this.servicePath)
      .map((id) => parseInstance(cache.get(`${this.servicePath}/${id}`)!.data))
      .filter((instance): instance is ServiceInstance => instance !== undefined);
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emit('change', next);
  }
}

function parseInstance(data: Uint8Array): ServiceInstance | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const candidate = value as Record<string, unknown>;
    const valid = typeof candidate.name === 'string' && typeof candidate.id === 'string' && typeof candidate.address === 'string' && typeof candidate.port === 'number';
    return valid ? (candidate as unknown as ServiceInstance) : undefined;
  } catch {
    return undefined;
  }
}

function checkSegment(what: string, value: string): void {
  if (value === '' || value.includes('/') || value === '.' || value === '..') throw new RangeError(`a service ${what} must be one path segment, got '${value}'`);
}
