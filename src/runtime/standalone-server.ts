// The driver of one standalone server: wires the deterministic ServerCore to the real world — the
// client listener, the wall clock, timers for session expiry and the container reaper, and the
// group-commit loop that hands prepared txns to the log and reports them durable.
//
// Group commit: the txns prepared from one socket read are serialized into the log's batch at once (a
// microtask later) and handed to the log as a flush when none is in flight; when a flush returns, the
// next (everything prepared meanwhile) is issued before the returned batch is applied and answered,
// so the disk does not wait for the event loop. `logFlushesInFlightMax` bounds the flushes in flight.
// Flushes resolve in order; nothing is applied or answered before its batch is durable.

import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import { ServerMetrics } from '../admin/index.js';
import { type ServerConfig, ServerCore, defaultConfig } from '../server/index.js';
import type { FileSystem } from '../storage/index.js';
import { limits } from '../util/index.js';
import { type AdminSettings, adminSettings } from './admin-config.js';
import { type RunningAdmin, startAdmin } from './admin-runtime.js';
import { ClientListener } from './client-listener.js';
import { directoryBytes } from './disk-usage.js';
import { startEnsembleMember } from './ensemble-member.js';
import { NodeFileSystem } from './node-file-system.js';
import { Persistence } from './persistence.js';
import { nodeServerProcess } from './process-view.js';

export interface StartServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  dataDir?: string;
  /** Overrides over the defaults (or over a zoo.cfg the caller read). */
  config?: Partial<ServerConfig>;
  /** pino level; 'silent' for tests. Default 'info'. */
  logLevel?: string;
  logger?: Logger;
  /** Where data goes; default the real disk. Tests pass a wrapper to inject disk failures. */
  fileSystem?: FileSystem;
  /**
   * The AdminServer: settings over zoo.cfg's admin.* keys (in `config.extra`). Given, it is enabled
   * unless it says `enabled: false`; omitted, zoo.cfg decides (admin-config.ts).
   */
  admin?: Partial<AdminSettings>;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for a client connection string. */
  readonly connectString: string;
  readonly core: ServerCore;
  /** The admin listeners (each null when not enabled). */
  readonly admin: RunningAdmin;
  close(): Promise<void>;
}

const wallClock = { now: (): number => Date.now() };

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config: ServerConfig = { ...defaultConfig(), ...options.config };
  if (options.host !== undefined) config.host = options.host;
  if (options.port !== undefined) config.port = options.port;
  if (options.dataDir !== undefined) {
    config.dataDir = options.dataDir;
    if (options.config?.dataLogDir === undefined) config.dataLogDir = options.dataDir;
  }
  const logger = options.logger ?? pino({ level: options.logLevel ?? 'info', base: undefined });
  if (config.ensemble !== null) return startMember(config, { logger, options });
  mkdirSync(config.dataDir, { recursive: true });

  const core = new ServerCore(config, wallClock);
  core.quotaWarning = (message) => logger.warn(message);
  core.diskUsage = () => ({ dataDirBytes: directoryBytes(config.dataDir), logDirBytes: directoryBytes(config.dataLogDir) });
  const { settings, serverProcess, metrics } = adminParts(core, { config, options });
  const persistence = await Persistence.open(core, {
    fs: options.fileSystem ?? new NodeFileSystem(), config, logger,
    ...(metrics === null ? {} : { onSnapshot: (snapshot: { durationMs: number; bytes: number }) => metrics.observeSnapshot(snapshot) }),
  });
  let flushScheduled = false;
  let flushesInFlight = 0;
  /** The newest flush; flushes settle in order, so awaiting it awaits them all. */
  let lastFlush: Promise<void> = Promise.resolve();
  let closed = false;

  /**
   * Serializes the txns prepared so far into the log's pending batch as soon as they are prepared,
   * also while writes are in flight, so no serialization stands between two writes.
   */
  const appendPrepared = (): void => {
    const room = limits.logBatchTxnsMax - persistence.pendingCount;
    if (room > 0 && core.hasUnpersisted) persistence.append(core.takeUnpersisted(room));
  };
  const flush = async (): Promise<void> => {
    let durable: number;
    const txns = persistence.pendingCount;
    const startedMs = performance.now();
    try {
      durable = await persistence.flush();
      metrics?.observeLogFlush({ durationMs: performance.now() - startedMs, txns });
    } catch (error) {
      // Every flush in flight fails with the first: report once.
      if (!core.writesRefused) logger.error({ err: error }, 'cannot write the txn log: refusing writes from now on');
      core.storageFailed();
      return;
    } finally {
      flushesInFlight--;
    }
    // Everything prepared while this batch was written goes to the disk before this batch is applied
    // and answered (apply order is unchanged: this batch is applied now, before that write returns).
    runFlushes();
    core.persisted(durable);
    listener.resumeDrained();
    persistence.maybeSnapshot(core);
  };
  const runFlushes = (): void => {
    flushScheduled = false;
    if (closed) return;
    appendPrepared();
    // Reads prepare no txn: leave without allocating anything.
    if (flushesInFlight >= limits.logFlushesInFlightMax || persistence.pendingCount === 0) return;
    flushesInFlight++;
    lastFlush = flush().finally(runFlushes);
  };
  const scheduleFlush = (): void => {
    if (flushScheduled || !core.hasUnpersisted) return;
    flushScheduled = true;
    queueMicrotask(runFlushes);
  };

  const listener = new ClientListener({ core, logger, onRequests: scheduleFlush });
  const address = await listener.listen(config.host, config.port);

  let admin: RunningAdmin;
  try {
    admin = await startAdmin({ core, settings, clientPort: address.port, process: serverProcess, metrics, logger });
  } catch (error) {
    await listener.close();
    await persistence.close();
    throw error;
  }

  const tickTimer = setInterval(() => {
    core.tick();
    scheduleFlush();
  }, Math.max(10, Math.floor(config.tickTimeMs / 2)));
  const reaperTimer = setInterval(() => {
    core.reapContainers();
    scheduleFlush();
  }, config.containerCheckIntervalMs);

  const purgeTimer = config.autopurgePurgeIntervalHours > 0
    ? setInterval(() => void persistence.purge().catch((error: unknown) => logger.error({ err: error }, 'purge failed')),
      config.autopurgePurgeIntervalHours * 3_600_000)
    : null;

  logger.info({ host: address.host, port: address.port, dataDir: config.dataDir }, 'meerkat serving');

  return {
    host: address.host,
    port: address.port,
    connectString: `${address.host}:${address.port}`,
    core,
    admin,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await admin.close();
      clearInterval(tickTimer);
      clearInterval(reaperTimer);
      if (purgeTimer !== null) clearInterval(purgeTimer);
      await listener.close();
      await lastFlush;
      await persistence.close();
      logger.info('meerkat stopped');
    },
  };
}

/** An ensemble member (ensemble-member.ts) with the same admin listeners as a standalone server. */
async function startMember(config: ServerConfig, context: { logger: Logger; options: StartServerOptions }): Promise<RunningServer> {
  const { logger, options } = context;
  const member = await startEnsembleMember({ config, logger, ...(options.fileSystem === undefined ? {} : { fileSystem: options.fileSystem }) });
  const core = member.replica.core;
  const { settings, serverProcess, metrics } = adminParts(core, { config, options });
  if (metrics !== null) metrics.member = member.member;
  let admin: RunningAdmin;
  try {
    admin = await startAdmin({ core, settings, clientPort: member.port, process: serverProcess, metrics, logger, member: member.member });
  } catch (error) {
    await member.close();
    throw error;
  }
  return {
    host: member.host, port: member.port, connectString: member.connectString, core, admin,
    async close(): Promise<void> {
      await admin.close();
      await member.close();
    },
  };
}

/** The admin settings (zoo.cfg's, under the caller's), the process view and — only for a server that serves them — the metrics. */
function adminParts(core: ServerCore, context: { config: ServerConfig; options: StartServerOptions }): {
  settings: AdminSettings; serverProcess: ReturnType<typeof nodeServerProcess>; metrics: ServerMetrics | null;
} {
  const { config, options } = context;
  const settings: AdminSettings = { ...adminSettings(config), ...(options.admin === undefined ? {} : { enabled: true, ...options.admin }) };
  const serverProcess = nodeServerProcess(Date.now());
  const metrics = settings.enabled || settings.metrics !== null ? new ServerMetrics(core, serverProcess) : null;
  return { settings, serverProcess, metrics };
}
