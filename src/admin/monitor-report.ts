// `mntr`: ZooKeeper 3.8's tab-separated `zk_<key>\t<value>` lines. First its two non-metric lines
// (version, server state), then the gauges its ZooKeeperServer registers, in registration order
// (ZooKeeper itself prints them in a hash map's order, so no script can rely on an order), each
// with Meerkat's value. ZooKeeper's processor-pipeline metrics (commit processor, netty queues, JVM
// pauses, quorum latencies, ...) are left out rather than reported as a misleading 0; a few
// Meerkat-only lines follow the gauges. docs/four-letter-words.md lists the differences.

import type { ServerCore } from '../server/index.js';
import { fourDecimals, javaDouble, javaHex } from './java-format.js';
import type { ServerProcess } from './server-process.js';
import { watchCount } from './watch-report.js';

type Value = number | string | { double: number };

function format(value: Value): string {
  if (typeof value === 'object') return javaDouble(value.double);
  return String(value);
}

export function monitorReport(core: ServerCore, options: { version: string; nodeCount: number; connections: number; process: ServerProcess }): string {
  const stats = core.stats;
  const process = options.process;
  const memory = process.memory();
  const rows: Array<[string, Value]> = [
    ['version', options.version],
    ['server_state', 'standalone'],
    ['avg_latency', { double: fourDecimals(stats.latencyAverageMs) }],
    ['max_latency', stats.latencyMaxMs],
    ['min_latency', stats.latencyMinMs],
    ['packets_received', stats.packetsReceived],
    ['packets_sent', stats.packetsSent],
    ['num_alive_connections', options.connections],
    ['outstanding_requests', core.outstandingRequests],
    ['uptime', process.uptimeMs()],
    ['znode_count', options.nodeCount],
    ['watch_count', watchCount(core)],
    ['ephemerals_count', core.tree.ephemeralCount],
    ['approximate_data_size', core.tree.approximateDataBytes],
    ['global_sessions', core.sessions.size],
    // Every Meerkat session is global (ZooKeeper's local sessions are an opt-in it has not got).
    ['local_sessions', 0],
    ['open_file_descriptor_count', process.openFileDescriptors()],
    ['max_file_descriptor_count', process.maxFileDescriptors()],
    ['connection_drop_probability', { double: 0 }],
    ['last_client_response_size', stats.lastResponseBytes],
    ['max_client_response_size', stats.maxResponseBytes],
    ['min_client_response_size', stats.minResponseBytes],
    // No TLS client port: no handshakes, and no connection is mutually authenticated.
    ['outstanding_tls_handshake', 0],
    ['auth_failed_count', stats.authFailed],
    ['non_mtls_remote_conn_count', 0],
    ['non_mtls_local_conn_count', 0],
    // Meerkat only.
    ['last_zxid', `0x${javaHex(core.lastZxid)}`],
    ['tree_digest', core.tree.digest().toString(16)],
    ['txns_applied', stats.txnsApplied],
    ['resident_set_bytes', memory.residentBytes],
    ['heap_used_bytes', memory.heapUsedBytes],
  ];
  return rows.map(([key, value]) => `zk_${key}\t${format(value)}\n`).join('');
}
