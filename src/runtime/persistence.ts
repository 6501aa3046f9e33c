// Durability for a standalone server: recovery at start (with a first snapshot, durable before
// serving, when the data directory has none), the group-committed txn log, fuzzy snapshots every
// ~snapCount txns (written in chunks while the server keeps serving), and retention.

import type { Logger } from 'pino';
import type { ClientConnection, ServerConfig, ServerCore, UnpersistedTxn } from '../server/index.js';
import { type FileSystem, TxnLog, joinPath, purge, recover, versionDirName, writeSnapshotFile } from '../storage/index.js';
import { DataTree, arenaChunkBytes } from '../tree/index.js';
import { NodeFileSystem } from './node-file-system.js';
import { PrefaultedMemory } from './prefaulted-memory.js';
import { threadPrefixChecksums } from './prefix-checksums.js';

export interface PersistenceOptions {
  fs: FileSystem;
  config: ServerConfig;
  logger: Logger;
  /** Told of each snapshot written while serving (not the first one, made before serving). */
  onSnapshot?: (snapshot: { durationMs: number; bytes: number }) => void;
}

export class Persistence {
  private readonly log: TxnLog;
  private snapshotRunning: Promise<void> | null = null;
  private snapshotThreshold: number;

  private constructor(private readonly options: PersistenceOptions, lastZxid: number) {
    const { fs, config } = options;
    this.log = new TxnLog({
      fs, dir: joinPath(config.dataLogDir, versionDirName), preAllocBytes: config.preAllocBytes, forceSync: config.forceSync, lastZxid,
      // The next log file is made ready while this one is written: a roll then costs one rename.
      spareFile: config.forceSync && config.preAllocBytes > 0,
    });
    this.snapshotThreshold = Persistence.nextThreshold(config.snapCount);
  }

  /** ZooKeeper randomises the snapshot point in [snapCount/2, snapCount) so replicas do not snapshot together. */
  private static nextThreshold(snapCount: number): number {
    const half = Math.max(1, Math.floor(snapCount / 2));
    return half + Math.floor(Math.random() * half);
  }

  /** Recovers the data directory into `core` and returns the persistence ready for new txns. */
  static async open(core: ServerCore, options: PersistenceOptions): Promise<Persistence> {
    const { config, logger, fs } = options;
    const started = Date.now();
    // A snapshot loads into memory the second core pages in (only on the real disk, as below).
    const memory = fs instanceof NodeFileSystem
      ? new PrefaultedMemory(arenaChunkBytes, (error) => logger.warn({ err: error }, 'prefault thread failed; loading without it'))
      : undefined;
    const recovered = await recover<ClientConnection>({
      fs, dataDir: config.dataDir, dataLogDir: config.dataLogDir,
      createTree: (withSystemNodes) => new DataTree<ClientConnection>({ withSystemNodes, memory }),
      warn: (message) => logger.warn(message),
      // ZooKeeper will not start on a directory with logs but no snapshot: make one before serving.
      writeInitialSnapshot: true,
      // The snapshot's checksum is summed on the second core while this thread loads it (the thread
      // reads the file by path, so only for the real disk, not a wrapper tests inject failures with).
      prefixChecksums: fs instanceof NodeFileSystem ? threadPrefixChecksums : undefined,
    }).finally(() => memory?.close());
    core.restore(recovered.tree, recovered.sessions);
    logger.info({
      snapshot: recovered.snapshotFile, txnsReplayed: recovered.txnsReplayed, sessions: recovered.sessions.size,
      lastZxid: `0x${recovered.lastZxid.toString(16)}`, nodes: recovered.tree.nodeCount, digestMismatches: recovered.digestMismatches,
      ms: Date.now() - started,
    }, 'recovered data directory');
    if (recovered.digestMismatches > 0) {
      // The first mismatch was logged through `warn` with its zxid; this is the count, for alerting.
      logger.warn({ digestMismatches: recovered.digestMismatches }, 'recovered tree digest differs from the digests recorded in the data directory');
    }
    return new Persistence(options, recovered.lastZxid);
  }

  /** Serializes txns into the log's pending batch (no I/O); `flush` makes them durable. */
  append(batch: readonly UnpersistedTxn[]): void {
    for (const { header, txn } of batch) this.log.append(header, txn);
  }

  /** Txns appended and not yet handed to a write. */
  get pendingCount(): number {
    return this.log.pendingCount;
  }

  /**
   * Writes every appended txn durably (one write, one fsync) and resolves with the newest durable
   * zxid, once these txns and every earlier flush's are on disk; txns appended while it runs go in
   * the next flush.
   */
  async flush(): Promise<number> {
    await this.log.flush();
    return this.log.lastDurableZxid;
  }

  /** Starts a fuzzy snapshot when enough txns went to the current log file; the log rolls over. */
  maybeSnapshot(core: ServerCore): void {
    if (this.snapshotRunning !== null || this.log.txnsInFile < this.snapshotThreshold) return;
    this.log.roll();
    this.snapshotThreshold = Persistence.nextThreshold(this.options.config.snapCount);
    const sessions = new Map<bigint, number>();
    for (const session of core.sessions.all()) sessions.set(session.id, session.timeoutMs);
    this.snapshotRunning = this.writeSnapshot(core.tree, sessions)
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'snapshot failed; the log still holds every txn'))
      .finally(() => {
        this.snapshotRunning = null;
      });
  }

  private async writeSnapshot(tree: DataTree<ClientConnection>, sessions: Map<bigint, number>): Promise<void> {
    const { fs, config, logger } = this.options;
    const started = Date.now();
    // Between chunks the event loop runs (I/O, timers, requests), so serving never stalls on a snapshot.
    const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const written = await writeSnapshotFile(tree, {
      fs, dir: joinPath(config.dataDir, versionDirName), sessions, zxid: tree.lastProcessedZxid, pause,
    });
    logger.info({ file: written.path, bytes: written.bytes, ms: Date.now() - started }, 'snapshot written');
    this.options.onSnapshot?.({ durationMs: Date.now() - started, bytes: written.bytes });
    if (config.autopurgePurgeIntervalHours > 0) await this.purge();
  }

  async purge(): Promise<string[]> {
    const { fs, config } = this.options;
    const result = await purge(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir, retainSnapshots: config.autopurgeSnapRetainCount });
    if (result.removed.length > 0) this.options.logger.info({ removed: result.removed }, 'purged old snapshots and logs');
    return result.removed;
  }

  async close(): Promise<void> {
    await this.snapshotRunning;
    await this.log.close();
  }
}
