// zoo.cfg: ZooKeeper's `key=value` configuration format (# comments, blank lines ignored), turned into
// a ServerConfig. Command-line flags are applied on top by the caller. Unknown keys are kept (shown by
// `conf`) rather than rejected, because real zoo.cfg files carry keys for features we do not have.

import { readFileSync } from 'node:fs';
import { type ServerConfig, defaultConfig } from '../server/index.js';
import { limits } from '../util/index.js';
import { AdminConfigError, adminSettings } from './admin-config.js';
import { type EnsembleConfig, EnsembleConfigError, parseEnsembleConfig } from './ensemble-config.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseZooCfgText(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new ConfigError(`zoo.cfg line ${index + 1}: expected key=value, got "${line}"`);
    const key = line.slice(0, equals).trim();
    // A member listed twice would be silently the last one (as java.util.Properties reads it).
    if (key.startsWith('server.') && entries.has(key)) throw new ConfigError(`zoo.cfg line ${index + 1}: ${key} is listed twice`);
    entries.set(key, line.slice(equals + 1).trim());
  }
  return entries;
}

/** ZooKeeper reads these keys as Java ints (Integer.parseInt), so a value outside one is an error there too. */
const javaIntRange = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function integer(key: string, value: string, range: { min: number; max: number } = javaIntRange): number {
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`${key}: expected an integer, got "${value}"`);
  const number = Number(value);
  if (!(number >= range.min && number <= range.max)) {
    throw new ConfigError(`${key}: ${value} is outside [${range.min}, ${range.max}]`);
  }
  return number;
}

/** A timer period in milliseconds: Node runs a longer one (or one under 1 ms) every millisecond instead. */
const periodMsRange = { min: 1, max: limits.timerPeriodMsMax };
const hourMs = 3_600_000;

function boolean(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'yes') return true;
  if (lower === 'false' || lower === 'no') return false;
  throw new ConfigError(`${key}: expected true/false or yes/no, got "${value}"`);
}

type Apply = (config: ServerConfig, value: string, key: string) => void;

/** The request throttler's keys (server/request-throttle.ts), with and without ZooKeeper's "zookeeper." prefix. */
function throttleKeys(): Record<string, Apply> {
  const keys: Record<string, Apply> = {
    request_throttle_max_requests: (c, v, k) => { c.requestThrottleLimit = integer(k, v, { min: 0, max: javaIntRange.max }); },
    throttled_op_wait_time: (c, v, k) => { c.throttledOpWaitTimeMs = integer(k, v, { min: 0, max: javaIntRange.max }); },
    // ZooKeeper re-checks a stalled throttler this often; Meerkat re-checks on every answer and tick, so it has no use for it.
    request_throttle_stall_time: (_c, v, k) => void integer(k, v, { min: 0, max: javaIntRange.max }),
    request_throttle_drop_stale: (_c, v, k) => {
      if (!boolean(k, v)) throw new ConfigError(`${k}=false is not supported: a request whose connection closed is always dropped`);
    },
  };
  for (const [key, apply] of Object.entries(keys)) keys[`zookeeper.${key}`] = apply;
  return keys;
}

const appliers: Record<string, Apply> = {
  tickTime: (c, v, k) => { c.tickTimeMs = integer(k, v, periodMsRange); },
  initLimit: (c, v, k) => { c.initLimitTicks = integer(k, v, { min: 1, max: limits.membershipLimitTicksMax }); },
  syncLimit: (c, v, k) => { c.syncLimitTicks = integer(k, v, { min: 1, max: limits.membershipLimitTicksMax }); },
  dataDir: (c, v) => { c.dataDir = v; },
  dataLogDir: (c, v) => { c.dataLogDir = v; },
  clientPort: (c, v, k) => { c.port = integer(k, v, { min: 0, max: 65535 }); },
  clientPortAddress: (c, v) => { c.host = v; },
  // -1 is ZooKeeper's "not set": the bound follows tickTime (configFromEntries).
  minSessionTimeout: (c, v, k) => { c.minSessionTimeoutMs = integer(k, v, { min: -1, max: javaIntRange.max }); },
  maxSessionTimeout: (c, v, k) => { c.maxSessionTimeoutMs = integer(k, v, { min: -1, max: javaIntRange.max }); },
  maxClientCnxns: (c, v, k) => { c.maxClientConnections = integer(k, v, { min: 0, max: javaIntRange.max }); },
  globalOutstandingLimit: (c, v, k) => { c.globalOutstandingLimit = integer(k, v, { min: 1, max: javaIntRange.max }); },
  'jute.maxbuffer': (c, v, k) => { c.maxFrameBytes = integer(k, v, { min: 1, max: javaIntRange.max }); },
  maxCnxns: (c, v, k) => { c.maxConnections = integer(k, v, { min: 0, max: javaIntRange.max }); },
  // ZooKeeper reads it as the system property zookeeper.nio.sessionlessCnxnTimeout (zoo.cfg prefixes
  // unknown keys with "zookeeper."); both spellings are accepted, as for enforceQuota.
  'nio.sessionlessCnxnTimeout': (c, v, k) => { c.handshakeTimeoutMs = integer(k, v, periodMsRange); },
  'zookeeper.nio.sessionlessCnxnTimeout': (c, v, k) => { c.handshakeTimeoutMs = integer(k, v, periodMsRange); },
  // Meerkat's own: ZooKeeper has no bound on a connection's unsent output.
  'meerkat.connectionOutputSoftBytes': (c, v, k) => { c.connectionOutputSoftBytes = integer(k, v, { min: 1, max: Number.MAX_SAFE_INTEGER }); },
  'meerkat.connectionOutputHardBytes': (c, v, k) => { c.connectionOutputHardBytes = integer(k, v, { min: 1, max: Number.MAX_SAFE_INTEGER }); },
  'meerkat.connectionOutputStallMs': (c, v, k) => { c.connectionOutputStallMs = integer(k, v, periodMsRange); },
  'meerkat.serverOutputBytes': (c, v, k) => { c.serverOutputBytes = integer(k, v, { min: 1, max: Number.MAX_SAFE_INTEGER }); },
  '4lw.commands.whitelist': (c, v) => {
    c.fourLetterWords = new Set(v.split(',').map((word) => word.trim()).filter((word) => word !== ''));
  },
  'DigestAuthenticationProvider.superDigest': (c, v) => { c.superDigest = v; },
  'znode.container.checkIntervalMs': (c, v, k) => { c.containerCheckIntervalMs = integer(k, v, periodMsRange); },
  extendedTypesEnabled: (c, v, k) => { c.ttlNodesEnabled = boolean(k, v); },
  // ZooKeeper's RequestThrottler system properties; ZooKeeper also takes any unknown zoo.cfg key as
  // the property "zookeeper.<key>", so both spellings are read.
  ...throttleKeys(),
  // A Java system property in ZooKeeper (-Dreadonlymode.enabled=true); a zoo.cfg key here.
  'readonlymode.enabled': (c, v, k) => { c.readOnlyModeEnabled = boolean(k, v); },
  // ZooKeeper's zoo.cfg turns an unknown key into the system property "zookeeper." + key, so
  // enforceQuota=true there sets zookeeper.enforceQuota; the property's own name is accepted too.
  enforceQuota: (c, v, k) => { c.enforceQuota = boolean(k, v); },
  'zookeeper.enforceQuota': (c, v, k) => { c.enforceQuota = boolean(k, v); },
  snapCount: (c, v, k) => { c.snapCount = integer(k, v, { min: 1, max: javaIntRange.max }); },
  forceSync: (c, v, k) => { c.forceSync = boolean(k, v); },
  preAllocSize: (c, v, k) => { c.preAllocBytes = integer(k, v, { min: 0, max: javaIntRange.max }) * 1024; },
  'autopurge.snapRetainCount': (c, v, k) => { c.autopurgeSnapRetainCount = Math.max(3, integer(k, v)); },
  // 0 or less disables purging, as in ZooKeeper.
  'autopurge.purgeInterval': (c, v, k) => {
    c.autopurgePurgeIntervalHours = Math.max(0, integer(k, v, { min: javaIntRange.min, max: Math.floor(limits.timerPeriodMsMax / hourMs) }));
  },
  // The top byte of session ids: 0-255 (myid is a long in ZooKeeper, but the id holds 8 bits of it).
  myid: (c, v, k) => { c.serverId = integer(k, v, { min: 0, max: 255 }); },
};

/**
 * The ensemble a zoo.cfg describes (server.N lines and myid), checked, or null for a standalone
 * server. A dynamicConfigFile is refused: reconfiguration is not built, and starting without the
 * members it lists would run a standalone server on an ensemble's data.
 */
function ensembleOf(entries: ReadonlyMap<string, string>): EnsembleConfig | null {
  if (entries.has('dynamicConfigFile')) {
    throw new ConfigError('dynamicConfigFile is not supported (no dynamic reconfiguration): list the members as server.N lines in zoo.cfg');
  }
  try {
    return parseEnsembleConfig(entries);
  } catch (error) {
    if (error instanceof EnsembleConfigError) throw new ConfigError(`bad ensemble configuration: ${error.message}`);
    throw error;
  }
}

/**
 * Builds a configuration from zoo.cfg entries over the defaults. Session timeout bounds follow
 * tickTime unless given explicitly, as in ZooKeeper.
 */
export function configFromEntries(entries: ReadonlyMap<string, string>): ServerConfig {
  const ensemble = ensembleOf(entries);
  const config = defaultConfig();
  const extra: Array<[string, string]> = [];
  for (const [key, value] of entries) {
    // Own keys only: "__proto__" or "toString" in a file are unknown keys, not Object.prototype's.
    if (Object.hasOwn(appliers, key)) appliers[key]!(config, value, key);
    else extra.push([key, value]);
  }
  if (config.minSessionTimeoutMs < 0 || !entries.has('minSessionTimeout')) config.minSessionTimeoutMs = config.tickTimeMs * limits.sessionTimeoutTicksMin;
  if (config.maxSessionTimeoutMs < 0 || !entries.has('maxSessionTimeout')) config.maxSessionTimeoutMs = config.tickTimeMs * limits.sessionTimeoutTicksMax;
  if (!entries.has('dataLogDir')) config.dataLogDir = config.dataDir;
  if (ensemble !== null) {
    config.ensemble = ensemble;
    config.serverId = ensemble.myId;
    // server.N=...;[clientAddress:]clientPort names this member's client port when clientPort does not.
    const me = ensemble.members.find((member) => member.id === ensemble.myId)!;
    if (me.clientPort !== undefined && !entries.has('clientPort')) config.port = me.clientPort;
    if (me.clientAddress !== undefined && !entries.has('clientPortAddress')) config.host = me.clientAddress;
  }
  // fromEntries defines properties, so even "__proto__" is kept as a key.
  config.extra = Object.fromEntries(extra);
  validateConfig(config);
  return config;
}

export function validateConfig(config: ServerConfig): void {
  if (config.tickTimeMs <= 0) throw new ConfigError('tickTime must be positive');
  if (config.minSessionTimeoutMs > config.maxSessionTimeoutMs) {
    throw new ConfigError('minSessionTimeout must not exceed maxSessionTimeout');
  }
  if (config.port < 0 || config.port > 65535) throw new ConfigError(`clientPort out of range: ${config.port}`);
  if (config.maxFrameBytes <= 0) throw new ConfigError('jute.maxbuffer must be positive');
  if (config.handshakeTimeoutMs <= 0) throw new ConfigError('nio.sessionlessCnxnTimeout must be positive');
  if (config.connectionOutputSoftBytes <= 0 || config.connectionOutputSoftBytes > config.connectionOutputHardBytes) {
    throw new ConfigError('meerkat.connectionOutputSoftBytes must be positive and at most meerkat.connectionOutputHardBytes');
  }
  if (config.connectionOutputStallMs <= 0) throw new ConfigError('meerkat.connectionOutputStallMs must be positive');
  if (config.serverOutputBytes <= 0) throw new ConfigError('meerkat.serverOutputBytes must be positive');
  // A TTL node's ephemeralOwner has the top byte 0xff, so session ids must not (ZooKeeper's EphemeralType rule).
  if (config.ttlNodesEnabled && config.serverId === 255) {
    throw new ConfigError('myid 255 is reserved while extendedTypesEnabled (TTL nodes) is on: use 0-254');
  }
  try {
    adminSettings(config);
  } catch (error) {
    if (error instanceof AdminConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * A configuration as zoo.cfg text that reads back to the same configuration (the AdminServer's
 * `initial_configuration`), every setting under its ZooKeeper key. The superDigest is left out: it
 * is a password hash, and the admin commands that show this text ask for no credentials.
 */
export function renderZooCfg(config: ServerConfig): string {
  const rows: Array<[string, string | number | boolean]> = [
    ['tickTime', config.tickTimeMs], ['dataDir', config.dataDir], ['dataLogDir', config.dataLogDir], ['clientPort', config.port],
    ['clientPortAddress', config.host], ['minSessionTimeout', config.minSessionTimeoutMs], ['maxSessionTimeout', config.maxSessionTimeoutMs],
    ['maxClientCnxns', config.maxClientConnections], ['maxCnxns', config.maxConnections], ['globalOutstandingLimit', config.globalOutstandingLimit],
    ['jute.maxbuffer', config.maxFrameBytes], ['nio.sessionlessCnxnTimeout', config.handshakeTimeoutMs],
    ['4lw.commands.whitelist', [...config.fourLetterWords].join(',')], ['znode.container.checkIntervalMs', config.containerCheckIntervalMs],
    ['extendedTypesEnabled', config.ttlNodesEnabled], ['enforceQuota', config.enforceQuota], ['snapCount', config.snapCount],
    ['forceSync', config.forceSync ? 'yes' : 'no'], ['preAllocSize', Math.floor(config.preAllocBytes / 1024)],
    ['autopurge.snapRetainCount', config.autopurgeSnapRetainCount], ['autopurge.purgeInterval', config.autopurgePurgeIntervalHours],
    ['myid', config.serverId], ['meerkat.connectionOutputSoftBytes', config.connectionOutputSoftBytes],
    ['meerkat.connectionOutputHardBytes', config.connectionOutputHardBytes], ['meerkat.connectionOutputStallMs', config.connectionOutputStallMs],
    ['meerkat.serverOutputBytes', config.serverOutputBytes],
    ...Object.entries(config.extra),
  ];
  return rows.map(([key, value]) => `${key}=${value}\n`).join('');
}

export function readZooCfg(path: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  return configFromEntries(parseZooCfgText(text));
}
