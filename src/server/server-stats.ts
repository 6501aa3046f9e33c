// Counters the four-letter words and metrics report: packets, request latency (min/avg/max, as
// ZooKeeper's ServerStats), txns applied. Plain numbers, updated on the hot path without allocation.

export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  txnsApplied = 0;
  private latencyCount = 0;
  private latencyTotalMs = 0;
  latencyMinMs = 0;
  latencyMaxMs = 0;

  recordLatency(ms: number): void {
    if (this.latencyCount === 0 || ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.latencyCount++;
    this.latencyTotalMs += ms;
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
  }
}
