// Counters the four-letter words and metrics report, as ZooKeeper's ServerStats: packets in and out,
// request latency (min/avg/max over every answer, pings included), response sizes (last/min/max),
// failed authentications, txns applied. Plain numbers, updated on the hot path without allocation.
// `srst` resets all but txnsApplied and authFailed (ZooKeeper's reset leaves its auth counter too).

export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  txnsApplied = 0;
  authFailed = 0;
  private latencyCount = 0;
  private latencyTotalMs = 0;
  latencyMinMs = 0;
  latencyMaxMs = 0;
  /** Bytes of the last reply or notification after its length prefix; -1 before any (as ZooKeeper). */
  lastResponseBytes = -1;
  minResponseBytes = -1;
  maxResponseBytes = -1;

  recordLatency(ms: number): void {
    if (this.latencyCount === 0 || ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.latencyCount++;
    this.latencyTotalMs += ms;
  }

  recordResponseBytes(bytes: number): void {
    this.lastResponseBytes = bytes;
    if (this.minResponseBytes < 0 || bytes < this.minResponseBytes) this.minResponseBytes = bytes;
    if (bytes > this.maxResponseBytes) this.maxResponseBytes = bytes;
  }

  get latencyAverageMs(): number {
    return this.latencyCount === 0 ? 0 : this.latencyTotalMs / this.latencyCount;
  }

  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latencyCount = 0;
    this.latencyTotalMs = 0;
    this.latencyMinMs = 0;
    this.latencyMaxMs = 0;
    this.lastResponseBytes = -1;
    this.minResponseBytes = -1;
    this.maxResponseBytes = -1;
  }
}
