// The server's configuration: every setting with its ZooKeeper name, default and meaning. Parsing
// zoo.cfg text lives in runtime/; this module is the pure shape plus defaults and validation.

import { limits } from '../util/index.js';

export interface ServerConfig {
  /** The base time unit in milliseconds (tickTime). */
  tickTimeMs: number;
  host: string;
  port: number;
  dataDir: string;
  /** Where the txn log goes; defaults to dataDir (dataLogDir). */
  dataLogDir: string;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Connections from one IP (maxClientCnxns); 0 means unlimited, as in ZooKeeper. */
  maxClientConnections: number;
  /** Connections in all (maxCnxns); 0 means unlimited, as in ZooKeeper. */
  maxConnections: number;
  /** Requests outstanding over all connections before reading pauses (globalOutstandingLimit). */
  globalOutstandingLimit: number;
  /** Output of one connection past which its socket is not read (connectionOutputBytesSoftMax). */
  connectionOutputSoftBytes: number;
  /** Output of one connection past which its reads wait unexecuted (connectionOutputBytesHardMax). */
  connectionOutputHardBytes: number;
  /** Time past the hard bound, the peer taking nothing, before the connection is closed. */
  connectionOutputStallMs: number;
  /** Output over all connections past which only connections with nothing pending are answered. */
  serverOutputBytes: number;
  /** Time from accept within which the connect handshake must arrive (nio.sessionlessCnxnTimeout). */
  handshakeTimeoutMs: number;
  /** jute.maxbuffer: largest frame and znode data. */
  maxFrameBytes: number;
  /** Enabled four-letter words (4lw.commands.whitelist); '*' enables all. */
  fourLetterWords: ReadonlySet<string>;
  /** `super:base64(sha1(super:password))`, enabling the super user (superDigest). */
  superDigest: string | null;
  /** Container / TTL reaper period (znode.container.checkIntervalMs). */
  containerCheckIntervalMs: number;
  /** TTL nodes enabled (extendedTypesEnabled; ZooKeeper's default is off, ours on). */
  ttlNodesEnabled: boolean;
  /**
   * An ensemble member cut off from its quorum serves reads to clients that allow it (canBeReadOnly),
   * as ZooKeeper's ReadOnlyZooKeeperServer (readonlymode.enabled; default off, as in ZooKeeper).
   */
  readOnlyModeEnabled: boolean;
  /**
   * Writes past a quota's hard limit fail with QUOTAEXCEEDED (enforceQuota, or ZooKeeper's system
   * property name zookeeper.enforceQuota; default off, as in ZooKeeper). Stats are kept either way.
   */
  enforceQuota: boolean;
  /** Server id, placed in the top byte of session ids (myid). */
  serverId: number;
  /** Txns between snapshots (snapCount). */
  snapCount: number;
  /** fsync the txn log before answering writes (forceSync). */
  forceSync: boolean;
  /** Preallocation block for txn log files in bytes (preAllocSize is in KiB in zoo.cfg). */
  preAllocBytes: number;
  autopurgeSnapRetainCount: number;
  /** Hours between purges; 0 disables (autopurge.purgeInterval). */
  autopurgePurgeIntervalHours: number;
  /** Unrecognised zoo.cfg keys, kept so `conf` can show them. */
  extra: Readonly<Record<string, string>>;
  /** The ensemble this server is a member of (zoo.cfg server.N lines and myid); null: standalone. */
  ensemble: EnsembleMembership | null;
  /** Ticks a learner may take to connect and sync with its leader (initLimit). */
  initLimitTicks: number;
  /** Ticks a learner may be out of touch with its leader (syncLimit). */
  syncLimitTicks: number;
  /** ZooKeeper's request throttler (request-throttle.ts): requests in process before new ones wait; 0 off. */
  requestThrottleLimit: number;
  /** A request that waited in the throttler longer than this is answered THROTTLEDOP; 0 never. */
  throttledOpWaitTimeMs: number;
  /** Test-only: deliberately broken behaviour, to prove that the simulator's checkers bite. */
  injectedBugs?: ServerBugs;
}

/** One `server.N=host:quorumPort:electionPort[:role][;[clientAddress:]clientPort]` line. */
export interface EnsembleMember {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  role: 'participant' | 'observer';
  /** From `;[clientAddress:]clientPort`, when given. */
  clientAddress?: string;
  clientPort?: number;
}

/** The members of an ensemble, as zoo.cfg lists them. */
export interface EnsembleMembership {
  members: readonly EnsembleMember[];
  /** This server's id (myid); it names one of `members`. */
  myId: number;
}

/** Test-only broken behaviour of the server core (the simulator's planted bugs). */
export interface ServerBugs {
  /** Prep sees only the applied tree: two CAS writes on one version can both succeed. */
  prepIgnoresPending?: boolean;
  /** A new leader tracks only sessions created under it: older sessions never expire (ZOOKEEPER-2355's orphans). */
  newLeaderForgetsSessions?: boolean;
  /** A replicated server answers sync from its own state without the leader: a read after it may be stale. */
  localSync?: boolean;
  /** Sessions move without REVALIDATE and SESSIONMOVED: a learner reattaches on its own, and its old server's requests still apply. */
  skipRevalidate?: boolean;
}

/** Read-only four-letter words, enabled by default so health probes work out of the box. */
export const defaultFourLetterWords: readonly string[] = [
  'ruok', 'srvr', 'stat', 'mntr', 'conf', 'cons', 'envi', 'wchs', 'dirs', 'isro',
];

export function defaultConfig(): ServerConfig {
  const tickTimeMs = limits.tickTimeMsDefault;
  return {
    tickTimeMs,
    host: '127.0.0.1',
    port: 2181,
    dataDir: './data',
    dataLogDir: './data',
    minSessionTimeoutMs: tickTimeMs * limits.sessionTimeoutTicksMin,
    maxSessionTimeoutMs: tickTimeMs * limits.sessionTimeoutTicksMax,
    maxClientConnections: limits.connectionsPerIpMax,
    maxConnections: limits.connectionsMax,
    globalOutstandingLimit: limits.globalOutstandingRequestsMax,
    connectionOutputSoftBytes: limits.connectionOutputBytesSoftMax,
    connectionOutputHardBytes: limits.connectionOutputBytesHardMax,
    connectionOutputStallMs: limits.connectionOutputStallMsMax,
    serverOutputBytes: limits.serverOutputBytesMax,
    handshakeTimeoutMs: limits.handshakeTimeoutMsMax,
    maxFrameBytes: limits.frameBytesMax,
    fourLetterWords: new Set(defaultFourLetterWords),
    superDigest: null,
    containerCheckIntervalMs: limits.containerCheckIntervalMsDefault,
    ttlNodesEnabled: true,
    readOnlyModeEnabled: false,
    enforceQuota: false,
    serverId: 0,
    ensemble: null,
    requestThrottleLimit: 0,
    throttledOpWaitTimeMs: 0,
    initLimitTicks: limits.initLimitTicksDefault,
    syncLimitTicks: limits.syncLimitTicksDefault,
    snapCount: 100_000,
    forceSync: true,
    preAllocBytes: limits.preAllocBytesDefault,
    autopurgeSnapRetainCount: 3,
    autopurgePurgeIntervalHours: 0,
    extra: {},
  };
}

/** Clamps a requested session timeout into the configured bounds, as ZooKeeper negotiates it. */
export function negotiateSessionTimeout(config: ServerConfig, requestedMs: number): number {
  return Math.min(Math.max(requestedMs, config.minSessionTimeoutMs), config.maxSessionTimeoutMs);
}
