// Prometheus metrics (prom-client's text exposition) under ZooKeeper's names where ZooKeeper has
// the metric, so dashboards built on ZooKeeper's Prometheus provider read Meerkat unchanged:
//  - every numeric `mntr` row as a gauge of the same name (znode_count, watch_count,
//    outstanding_requests, num_alive_connections, global_sessions, avg_latency, ...), sampled from
//    the same monitorValues the four-letter word prints, once per scrape;
//  - `fsynctime` and `snapshottime`, ZooKeeper's summaries of txn-log sync and snapshot times in
//    milliseconds (quantile 0.5, _sum, _count).
// Meerkat's own, under `meerkat_`: a histogram of log flush durations (write and fsync of one
// group-committed batch), the txns in each flush, the last snapshot's size, and txns applied. Node's process metrics (event-loop
// lag, GC pauses, heap, CPU, file descriptors) come from prom-client's default collectors under their
// usual `nodejs_` and `process_` names; they are process-wide, so one set serves every server here.

import { Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import type { MemberView, ServerCore } from '../server/index.js';
import { serverVersion, zooKeeperNodeCount } from './four-letter-words.js';
import { JavaDouble } from './json-writer.js';
import { meerkatOnlyMonitorKeys, monitorValues } from './monitor-report.js';
import type { ServerProcess } from './server-process.js';

let processRegistry: Registry | undefined;

/** The process-wide collectors, registered once however many servers run in this process. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Seconds: from a 0.1 ms fsync on a fast SSD to a 10 s stall. */
const flushBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Txns per flush: one (no concurrency) up to the log's batch bound. */
const flushTxnBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly gauges = new Map<string, Gauge>();
  private readonly fsyncTime: Summary;
  private readonly flushSeconds: Histogram;
  private readonly flushTxns: Histogram;
  private readonly txnsApplied: Gauge;
  private readonly snapshotTime: Summary;
  private readonly snapshotBytes: Gauge;
  readonly contentType = this.registry.contentType;

  /** The ensemble member this server is, or null standalone; its rows come and go with its role. */
  member: MemberView | null = null;

  constructor(private readonly core: ServerCore, private readonly process: ServerProcess) {
    this.fsyncTime = new Summary({ name: 'fsynctime', help: 'fsynctime', percentiles: [0.5], registers: [this.registry] });
    this.flushSeconds = new Histogram({
      name: 'meerkat_log_flush_seconds', help: 'Time to write and fsync one group-committed batch of txns to the log',
      buckets: flushBucketsSeconds, registers: [this.registry],
    });
    this.flushTxns = new Histogram({ name: 'meerkat_log_flush_txns', help: 'Txns in one log flush', buckets: flushTxnBuckets, registers: [this.registry] });
    this.txnsApplied = new Gauge({ name: 'meerkat_txns_applied', help: 'Txns applied to the tree since the server started', registers: [this.registry] });
    this.snapshotTime = new Summary({ name: 'snapshottime', help: 'snapshottime', percentiles: [0.5], registers: [this.registry] });
    this.snapshotBytes = new Gauge({ name: 'meerkat_snapshot_bytes', help: 'Size of the last snapshot written while serving', registers: [this.registry] });
  }

  private sample() {
    const core = this.core;
    // The scraper is no client connection, so it is not counted among them (mntr counts its asker).
    return monitorValues(core, {
      version: serverVersion, nodeCount: zooKeeperNodeCount(core), connections: core.connections.size, process: this.process, member: this.member,
    });
  }

  /** One log flush: its duration (write and fsync) and how many txns it made durable. */
  observeLogFlush(flush: { durationMs: number; txns: number }): void {
    this.fsyncTime.observe(flush.durationMs);
    this.flushSeconds.observe(flush.durationMs / 1000);
    this.flushTxns.observe(flush.txns);
  }

  /** One snapshot written while serving: how long it took (chunks interleaved with serving) and its size. */
  observeSnapshot(snapshot: { durationMs: number; bytes: number }): void {
    this.snapshotTime.observe(snapshot.durationMs);
    this.snapshotBytes.set(snapshot.bytes);
  }

  /**
   * The text exposition, with every gauge sampled now. A member's leader-only rows appear while it
   * leads and are dropped when it stops (ZooKeeper's gauges report nothing without a leader).
   */
  async scrape(): Promise<string> {
    const seen = new Set<string>();
    for (const [key, value] of this.sample()) {
      if (meerkatOnlyMonitorKeys.includes(key) || typeof value === 'string') continue;
      seen.add(key);
      let gauge = this.gauges.get(key);
      if (gauge === undefined) {
        gauge = new Gauge({ name: key, help: key, registers: [this.registry] });
        this.gauges.set(key, gauge);
      }
      gauge.set(value instanceof JavaDouble ? value.value : Number(value));
    }
    for (const key of [...this.gauges.keys()]) {
      if (seen.has(key)) continue;
      this.registry.removeSingleMetric(key);
      this.gauges.delete(key);
    }
    this.txnsApplied.set(this.core.stats.txnsApplied);
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}
