// The AdminServer's commands (`GET /commands/<name>`), named, aliased and shaped as ZooKeeper 3.8's
// (Commands.java): every reply is a JSON object of the command's fields followed by `command` (its
// primary name) and `error` (null, or why it failed). Values come from the same reports the
// four-letter words print (monitor-report, connection-report, watch-report), so `mntr` and
// `/commands/monitor` cannot disagree. Commands that change state or list the tree's paths are
// marked `needsAuth`; the HTTP layer asks for credentials before running them (docs/admin.md).
// Ensemble-only commands (leader, voting_view, zabstate, observers) answer as a ZooKeeper 3.8 member
// does, and as a standalone ZooKeeper does on a standalone server. A member that is not serving
// answers only the commands ZooKeeper runs without a ZooKeeperServer (environment, system_properties,
// zabstate); the others carry ZooKeeper's "not currently serving" error.

import type { MemberView, ServerCore } from '../server/index.js';
import { connectionJson, ephemeralsBySession, sessionsByExpiry } from './connection-report.js';
import { environmentRows, notServingReply, reportedZxid, serverVersion, versionDir, zooKeeperNodeCount } from './four-letter-words.js';
import { fourDecimals, javaHex } from './java-format.js';
import { JavaDouble, type Json, type JsonObject } from './json-writer.js';
import { monitorValues } from './monitor-report.js';
import type { ServerProcess } from './server-process.js';
import { watchTotals, watchedPathsBySession, watchingSessionsByPath } from './watch-report.js';

/** What only the runtime can find out for the admin commands (files, the zoo.cfg it read). */
export interface AdminFacts {
  /** The newest snapshot in the data directory: its zxid and its file's modification time in seconds. */
  lastSnapshot(): { zxid: number; timestampSeconds: number } | null;
  /** The zoo.cfg text the server started from. */
  readonly initialConfiguration: string;
}

export interface AdminContext {
  core: ServerCore;
  process: ServerProcess;
  /** The port the client listener is bound to. */
  clientPort: number;
  facts: AdminFacts;
  /** The ensemble member this server is; null or absent for a standalone server. */
  member?: MemberView | null;
}

interface AdminCommand {
  /** The primary name first, then the aliases (ZooKeeper's order). */
  names: readonly string[];
  /** Changes state or reveals the tree's paths: credentials needed (docs/admin.md, "Authentication"). */
  needsAuth: boolean;
  /** Runs on a member that is not serving (ZooKeeper's CommandBase serverRequired = false). */
  withoutServer?: boolean;
  run(context: AdminContext): JsonObject;
}

function clientResponse(core: ServerCore): JsonObject {
  const stats = core.stats;
  return { last_buffer_size: stats.lastResponseBytes, min_buffer_size: stats.minResponseBytes, max_buffer_size: stats.maxResponseBytes };
}

/** `server_stats` (srvr): ZooKeeper's ServerStats fields, as its JSON names them. */
function serverStats({ core, process, member }: AdminContext): JsonObject {
  const stats = core.stats;
  const usage = core.diskUsage();
  const sizes = member?.isLeader ? member.proposalSizes : null;
  return {
    version: serverVersion,
    read_only: false,
    server_stats: {
      packets_sent: stats.packetsSent,
      packets_received: stats.packetsReceived,
      // Meerkat does not time single fsyncs against a threshold (fsync.warningthresholdms).
      fsync_threshold_exceed_count: 0,
      client_response_stats: clientResponse(core),
      data_dir_size: usage.dataDirBytes,
      log_dir_size: usage.logDirBytes,
      provider_null: false,
      server_state: core.serverState,
      last_processed_zxid: reportedZxid(core, member),
      outstanding_requests: core.outstandingRequests,
      avg_latency: new JavaDouble(fourDecimals(stats.latencyAverageMs)),
      max_latency: stats.latencyMaxMs,
      min_latency: stats.latencyMinMs,
      num_alive_client_connections: core.connections.size,
      uptime: process.uptimeMs(),
      auth_failed_count: stats.authFailed,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: clientResponse(core),
    // A leader's ServerStats adds its proposal sizes (LeaderZooKeeperServer's proposalStats).
    ...(sizes === null ? {} : { proposal_stats: { last_buffer_size: sizes.last, min_buffer_size: sizes.min, max_buffer_size: sizes.max } }),
    node_count: zooKeeperNodeCount(core),
  };
}

/** `leader`: who leads (ZooKeeper's LeaderCommand; a standalone server is no QuorumZooKeeperServer). */
function leader({ member }: AdminContext): JsonObject {
  if (!member) return { error: 'server is not initialized' };
  const leading = member.member(member.leaderId);
  return { is_leader: member.isLeader, leader_id: member.leaderId, leader_ip: leading?.host ?? '' };
}

/** ZooKeeper's MultipleAddresses as Jackson writes it, for one address. */
function addressJson(host: string, port: number): JsonObject {
  const address = `${host}:${port}`;
  return {
    empty: false, all_addresses: [address], all_reachable_addresses: [address], one: address, reachable_address: address,
    wildcard_addresses: [`0.0.0.0:${port}`], all_ports: [port], all_host_strings: [host], all_reachable_addresses_or_all: [address],
    reachable_or_one: address,
  };
}

/** A member's client address as ZooKeeper knows it: its own listener, another's only from its server.N line. */
function clientAddress(member: MemberView, id: number, context: AdminContext): string {
  if (id === member.myId) return `${context.core.config.host}:${context.clientPort}`;
  const other = member.member(id);
  return other?.clientPort === undefined ? '' : `${other.clientAddress ?? '0.0.0.0'}:${other.clientPort}`;
}

/** `voting_view`: every member of the configuration (ZooKeeper's VotingViewCommand lists observers too). */
function votingView(context: AdminContext): JsonObject {
  const { member } = context;
  if (!member) return { current_config: {} };
  const config = member.members.map((m): [string, Json] => [String(m.id), {
    server_addresses: [`${m.host}:${m.quorumPort}`], election_addresses: [`${m.host}:${m.electionPort}`],
    client_address: clientAddress(member, m.id, context), learner_type: m.role,
  }]);
  return { current_config: Object.fromEntries(config) };
}

/** `zabstate`: ZooKeeper's ZabStateCommand; a standalone server, or a member not serving, has no quorum server. */
function zabState(context: AdminContext): JsonObject {
  const { member, core } = context;
  if (!member || !member.serving) return { voting: false, zabstate: '' };
  const me = member.me;
  const zxid = reportedZxid(core, member);
  return {
    myid: member.myId, is_leader: member.isLeader, quorum_address: addressJson(me.host, me.quorumPort),
    election_address: addressJson(me.host, me.electionPort), client_address: clientAddress(member, member.myId, context),
    voting: me.role === 'participant', last_zxid: `0x${javaHex(zxid)}`, zab_epoch: Math.floor(zxid / 2 ** 32), zab_counter: zxid % 2 ** 32,
    zabstate: member.zabPhase,
  };
}

/**
 * `observers`: on the leader, its synced observers; each entry has the LearnerHandler fields Meerkat
 * knows (sid, and the zxid it has been synced to as last_zxid). Followers relay no observers (no
 * observer master), so they answer as ZooKeeper's follower without one: 0 and [].
 */
function observers({ member }: AdminContext): JsonObject {
  if (!member?.isLeader) return { synced_observers: 0, observers: [] };
  const synced = member.learners().filter((learner) => learner.observer && learner.phase === 'synced');
  return { synced_observers: synced.length, observers: synced.map((learner) => ({ sid: learner.id, last_zxid: learner.ackedZxid })) };
}

function connections(core: ServerCore, brief: boolean): JsonObject {
  // No TLS client port, so no secure connections.
  return { connections: [...core.connections].map((connection) => connectionJson(connection, brief)), secure_connections: [] };
}

/**
 * `system_properties`: the JVM properties a Node process has a value for (those `environment` also
 * shows, and the separators), then, as ZooKeeper turns zoo.cfg keys it does not know into
 * `zookeeper.<key>` properties, the same for Meerkat's unknown keys; sorted by name.
 */
function systemProperties({ core, process }: AdminContext): JsonObject {
  const windows = process.environment.platform === 'win32';
  const shown = new Set(['java.io.tmpdir', 'os.arch', 'os.name', 'os.version', 'user.dir', 'user.home', 'user.name', 'node.version']);
  const properties: Array<[string, string]> = [
    ...environmentRows(process).filter(([key]) => shown.has(key)),
    ['file.encoding', 'UTF-8'], ['file.separator', windows ? '\\' : '/'], ['path.separator', windows ? ';' : ':'],
    ['line.separator', windows ? '\r\n' : '\n'],
    ...Object.entries(core.config.extra).map(([key, value]): [string, string] => [`zookeeper.${key}`, value]),
  ];
  return Object.fromEntries(properties.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const byString = <Key extends { toString(): string }, Value extends Json>(map: Map<Key, Value>): JsonObject =>
  Object.fromEntries([...map].map(([key, value]) => [key.toString(), value]));

const commands: readonly AdminCommand[] = [
  {
    names: ['connection_stat_reset', 'crst'], needsAuth: true,
    run: ({ core }) => {
      for (const connection of core.connections) connection.stats.reset();
      return {};
    },
  },
  {
    names: ['configuration', 'conf', 'config'], needsAuth: false,
    // ZooKeeperServerConf.toMap: the standalone server's keys (the `conf` word prints more).
    run: ({ core, clientPort }) => {
      const c = core.config;
      return {
        client_port: clientPort, data_dir: versionDir(c.dataDir), data_log_dir: versionDir(c.dataLogDir), tick_time: c.tickTimeMs,
        max_client_cnxns: c.maxClientConnections, min_session_timeout: c.minSessionTimeoutMs, max_session_timeout: c.maxSessionTimeoutMs,
        server_id: c.serverId, client_port_listen_backlog: -1,
      };
    },
  },
  { names: ['connections', 'cons'], needsAuth: false, run: ({ core }) => connections(core, false) },
  {
    names: ['dirs'], needsAuth: false,
    run: ({ core }) => {
      const usage = core.diskUsage();
      return { datadir_size: usage.dataDirBytes, logdir_size: usage.logDirBytes };
    },
  },
  {
    names: ['dump'], needsAuth: true,
    run: ({ core }) => ({
      expiry_time_to_session_ids: byString(sessionsByExpiry(core)),
      session_id_to_ephemeral_paths: byString(ephemeralsBySession(core)),
    }),
  },
  { names: ['environment', 'env', 'envi'], needsAuth: false, withoutServer: true, run: ({ process }) => Object.fromEntries(environmentRows(process)) },
  { names: ['initial_configuration', 'icfg'], needsAuth: false, run: ({ facts }) => ({ initial_configuration: facts.initialConfiguration }) },
  { names: ['is_read_only', 'isro'], needsAuth: false, run: () => ({ read_only: false }) },
  {
    names: ['last_snapshot', 'lsnp'], needsAuth: false,
    run: ({ facts }) => {
      const snapshot = facts.lastSnapshot();
      return { zxid: javaHex(snapshot?.zxid ?? -1), timestamp: snapshot?.timestampSeconds ?? -1 };
    },
  },
  // A standalone ZooKeeper is no QuorumZooKeeperServer: it answers with an error in the body.
  { names: ['leader', 'lead'], needsAuth: false, run: leader },
  {
    names: ['monitor', 'mntr'], needsAuth: false,
    run: ({ core, process, member }) => Object.fromEntries(monitorValues(core, {
      version: serverVersion, nodeCount: zooKeeperNodeCount(core), connections: core.connections.size, process, member: member ?? null,
    })),
  },
  { names: ['observer_connection_stat_reset', 'orst'], needsAuth: true, run: () => ({}) },
  { names: ['observers', 'obsr'], needsAuth: false, run: observers },
  { names: ['ruok'], needsAuth: false, run: () => ({}) },
  { names: ['server_stats', 'srvr'], needsAuth: false, run: serverStats },
  { names: ['stats', 'stat'], needsAuth: false, run: (context) => ({ ...serverStats(context), ...connections(context.core, true) }) },
  {
    names: ['stat_reset', 'srst'], needsAuth: true,
    run: ({ core }) => {
      core.stats.reset();
      return {};
    },
  },
  {
    names: ['system_properties', 'sysp'], needsAuth: false, withoutServer: true,
    run: systemProperties,
  },
  { names: ['voting_view'], needsAuth: false, run: votingView },
  { names: ['watches', 'wchc'], needsAuth: true, run: ({ core }) => ({ session_id_to_watched_paths: byString(watchedPathsBySession(core)) }) },
  { names: ['watches_by_path', 'wchp'], needsAuth: true, run: ({ core }) => ({ path_to_session_ids: byString(watchingSessionsByPath(core)) }) },
  {
    names: ['watch_summary', 'wchs'], needsAuth: false,
    run: ({ core }) => {
      const totals = watchTotals(core);
      return { num_connections: totals.connections, num_paths: totals.paths, num_total_watches: totals.watches };
    },
  },
  { names: ['zabstate'], needsAuth: false, withoutServer: true, run: zabState },
];

const byName = new Map<string, AdminCommand>(commands.flatMap((command) => command.names.map((name) => [name, command] as const)));

/** Primary names, sorted, as ZooKeeper's `/commands` index lists them. */
export const adminCommandNames: readonly string[] = commands.map((command) => command.names[0]!).sort();

/** Whether `name` (primary or alias) needs credentials; false for unknown names. */
export function adminCommandNeedsAuth(name: string): boolean {
  return byName.get(name)?.needsAuth ?? false;
}

/**
 * Runs a command by any of its names. The reply ends with `command` (the primary name; the name as
 * asked for an unknown command) and `error`, as ZooKeeper's CommandResponse; a command that set its
 * own `error` keeps it (ZooKeeper's `leader` on a standalone server).
 */
export function runAdminCommand(name: string, context: AdminContext): JsonObject {
  const command = byName.get(name);
  if (command === undefined) return { command: name, error: `Unknown command: ${name}` };
  // ZooKeeper runs `monitor` without a server too, and fails with an NPE (HTTP 500): Meerkat answers
  // it like the other commands that need one.
  if (context.member && !context.member.serving && command.withoutServer !== true) return { command: command.names[0]!, error: notServingReply };
  const fields = command.run(context);
  return { ...fields, command: command.names[0]!, error: fields.error ?? null };
}
