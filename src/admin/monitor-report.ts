// `mntr`: ZooKeeper 3.8's tab-separated `zk_<key>\t<value>` lines. First its two non-metric lines
// (version, server state), then the gauges its ZooKeeperServer registers, in registration order
// (ZooKeeper itself prints them in a hash map's order, so no script can rely on an order), each
// with Meerkat's value. ZooKeeper's processor-pipeline metrics (commit processor, netty queues, JVM
// pauses, quorum latencies, ...) are left out rather than reported as a misleading 0; a few
// Meerkat-only lines follow the gauges. docs/four-letter-words.md lists the differences.

import type { MemberView, ServerCore } from '../server/index.js';
import { fourDecimals, javaDouble, javaHex } from './java-format.js';
import { JavaDouble } from './json-writer.js';
import type { ServerProcess } from './server-process.js';
import { watchCount } from './watch-report.js';

export type MonitorValue = number | string | JavaDouble;

export interface MonitorOptions {
  version: string;
  nodeCount: number;
  /** Open client connections as the asker sees them (`mntr` counts its own connection). */
  connections: number;
  process: ServerProcess;
  /** The ensemble member this server is; null for a standalone server. */
  member: MemberView | null;
}

/** Meerkat's own rows, after ZooKeeper's: a reader comparing with ZooKeeper skips these. */
export const meerkatOnlyMonitorKeys: readonly string[] = [
  'last_zxid', 'tree_digest', 'txns_applied', 'resident_set_bytes', 'heap_used_bytes', 'followers', 'digest_comparisons_count',
];

/**
 * A member's rows, as QuorumZooKeeperServer and LeaderZooKeeperServer register them: the detailed
 * peer state, then on the leader its learners (every connected one), the synced voting followers
 * and observers, syncs waiting and its proposal sizes. Meerkat has no non-voting followers (they
 * exist only during a dynamic reconfiguration) and sequences a sync as a no-op txn through the
 * proposal pipeline, so no sync ever waits in a separate queue: both are always 0.
 */
function memberValues(member: MemberView): Array<[string, MonitorValue]> {
  const rows: Array<[string, MonitorValue]> = [['peer_state', member.peerState]];
  if (member.isLeader) {
    const sizes = member.proposalSizes;
    rows.push(
      ['learners', member.learners().length], ['synced_followers', member.syncedFollowers], ['synced_non_voting_followers', 0],
      ['synced_observers', member.syncedObservers], ['pending_syncs', 0], ['leader_uptime', member.leaderUptimeMs],
      ['last_proposal_size', sizes.last], ['max_proposal_size', sizes.max], ['min_proposal_size', sizes.min],
    );
  }
  rows.push(['quorum_size', member.quorumSize]);
  return rows;
}

/** The rows `mntr` prints and the AdminServer's `monitor` returns, in order, without the `zk_` prefix. */
export function monitorValues(core: ServerCore, options: MonitorOptions): Array<[string, MonitorValue]> {
  const stats = core.stats;
  const process = options.process;
  const memory = process.memory();
  return [
    ['version', options.version],
    ['server_state', core.serverState],
    ['avg_latency', new JavaDouble(fourDecimals(stats.latencyAverageMs))],
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
    ['connection_drop_probability', new JavaDouble(0)],
    ['last_client_response_size', stats.lastResponseBytes],
    ['max_client_response_size', stats.maxResponseBytes],
    ['min_client_response_size', stats.minResponseBytes],
    // No TLS client port: no handshakes, and no connection is mutually authenticated.
    ['outstanding_tls_handshake', 0],
    ['auth_failed_count', stats.authFailed],
    ['non_mtls_remote_conn_count', 0],
    ['non_mtls_local_conn_count', 0],
    ...(options.member === null ? [] : memberValues(options.member)),
    // Replicas that applied the same history with different trees (docs/zab.md, "Digest comparison").
    ['digest_mismatches_count', options.member?.digests.mismatches ?? 0],
    // Meerkat only.
    ['last_zxid', `0x${javaHex(core.lastZxid)}`],
    ['tree_digest', core.tree.digest().toString(16)],
    ['txns_applied', stats.txnsApplied],
    ['resident_set_bytes', memory.residentBytes],
    ['heap_used_bytes', memory.heapUsedBytes],
    ...(options.member === null ? [] : memberOnlyValues(options.member)),
  ];
}

/** Meerkat's own member rows: ZooKeeper 3.4's name for the leader's learner count, and digest comparisons made. */
function memberOnlyValues(member: MemberView): Array<[string, MonitorValue]> {
  return [...(member.isLeader ? [['followers', member.learners().length] as [string, MonitorValue]] : []), ['digest_comparisons_count', member.digests.comparisons]];
}

function format(value: MonitorValue): string {
  return value instanceof JavaDouble ? javaDouble(value.value) : String(value);
}

export function monitorReport(core: ServerCore, options: MonitorOptions): string {
  return monitorValues(core, options).map(([key, value]) => `zk_${key}\t${format(value)}\n`).join('');
}
