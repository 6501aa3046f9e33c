// An ensemble member's data directory as its Replica sees it (server/replica.ts ReplicaDisk): txns
// go to the real group-committed TxnLog and are reported durable after each flush; truncations,
// snapshot installs and the two epoch files are written durably before the replica goes on (the
// promise it waits for); periodic snapshots are written in the background, and the log rolls to a
// new file at each, as ZooKeeper's does; with autopurge on, old snapshots and logs go after each.

import type { Logger } from 'pino';
import { JuteReader, readTxn, readTxnHeader } from '../proto/index.js';
import type { ReplicaDisk, ServerConfig } from '../server/index.js';
import { type FileSystem, TxnLog, joinPath, purge, versionDirName, writeEpoch, writeSnapshotChunks } from '../storage/index.js';
import type { PersistRecord } from '../zab/index.js';

export class NodeReplicaDisk implements ReplicaDisk {
  private readonly log: TxnLog;
  private flushScheduled = false;
  /**
   * Bumped by each truncation or snapshot install: a flush that completes across one reports
   * nothing (the zxids it made durable may be gone); the rewrite reports what is durable after it.
   */
  private generation = 0;
  private flushing: Promise<void> = Promise.resolve();
  private snapshotting: Promise<void> = Promise.resolve();
  /** Told each time a flush made txns durable (Replica.persisted). */
  onDurable: (zxid: number) => void = () => undefined;
  /** Told when the log cannot be written: the member must stop (a replica that cannot log cannot vote). */
  onFailure: (error: Error) => void = () => undefined;

  constructor(private readonly options: { fs: FileSystem; config: ServerConfig; logger: Logger; lastZxid: number }) {
    const { fs, config } = options;
    this.log = new TxnLog({
      fs, dir: joinPath(config.dataLogDir, versionDirName), preAllocBytes: config.preAllocBytes, forceSync: config.forceSync,
      lastZxid: options.lastZxid,
    });
  }

  write(record: PersistRecord): void | Promise<void> {
    const { fs, config } = this.options;
    switch (record.kind) {
      case 'txn': {
        const reader = new JuteReader(record.entry.data);
        const header = readTxnHeader(reader);
        this.log.append(header, readTxn(reader, header.type));
        this.scheduleFlush();
        return;
      }
      case 'truncate':
        return this.rewrite(() => this.log.truncate(record.zxid));
      case 'snapshot':
        // Every txn after it is dropped (TRUNC to its zxid); those before it are covered by it.
        return this.rewrite(async () => {
          await writeSnapshotChunks([record.data], { fs, dir: joinPath(config.dataDir, versionDirName), zxid: record.zxid });
          await this.log.truncate(record.zxid);
        });
      case 'acceptedEpoch':
      case 'currentEpoch':
        return writeEpoch(fs, config.dataDir, record.kind, record.epoch);
    }
  }

  saveSnapshot(zxid: number, data: Uint8Array): Promise<void> {
    const { fs, config, logger } = this.options;
    this.log.roll();
    const started = Date.now();
    const dir = joinPath(config.dataDir, versionDirName);
    // Between chunks the event loop runs, so serving does not stall on the write.
    const chunkBytes = 1 << 20;
    const chunks = function* (): Generator<Uint8Array> {
      for (let at = 0; at < data.length; at += chunkBytes) yield data.subarray(at, at + chunkBytes);
    };
    const written = this.snapshotting.then(() => writeSnapshotChunks(chunks(), {
      fs, dir, zxid, pause: () => new Promise((resolve) => setImmediate(resolve)),
    })).then(async (file) => {
      logger.info({ file: file.path, bytes: file.bytes, ms: Date.now() - started }, 'snapshot written');
      // Retention as the standalone server's (autopurge.*): DIFF needs no old file (it comes from the in-memory window).
      if (config.autopurgePurgeIntervalHours > 0) {
        const purged = await purge(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir, retainSnapshots: config.autopurgeSnapRetainCount });
        if (purged.removed.length > 0) logger.info({ removed: purged.removed }, 'purged old snapshots and logs');
      }
    });
    this.snapshotting = written.catch((error: unknown) => logger.error({ err: error }, 'snapshot failed; the log still holds every txn'));
    return written;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flushing = this.flushing.then(() => this.flush());
    });
  }

  private async flush(report = true): Promise<void> {
    const generation = this.generation;
    try {
      while (this.log.hasPending) {
        await this.log.flush();
        if (report && generation === this.generation) this.onDurable(this.log.lastDurableZxid);
      }
    } catch (error) {
      this.onFailure(error as Error);
    }
  }

  /** Rewrites the log's tail once every txn appended so far is flushed (TxnLog truncates only when idle). */
  private rewrite(action: () => Promise<void>): Promise<void> {
    this.generation++;
    this.flushScheduled = false;
    this.flushing = this.flushing.then(() => this.flush(false)).then(action).then(() => this.onDurable(this.log.lastDurableZxid));
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flushing.catch(() => undefined);
    await this.snapshotting;
    await this.log.close();
  }

  /** Txns appended and not yet handed to a write (bounded by the replica's Ready sizes). */
  get pendingTxns(): number {
    return this.log.pendingCount;
  }
}
