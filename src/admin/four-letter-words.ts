// Four-letter words on the client port (ruok, srvr, stat, mntr, conf, cons, crst, dump, envi, wchs,
// wchc, wchp, dirs, isro, srst), answered line for line in ZooKeeper 3.8's text formats so existing
// probes and dashboards parse them; docs/four-letter-words.md lists where values differ and why.
// Words missing from 4lw.commands.whitelist get ZooKeeper's refusal text. This module reads the
// server through ServerCore's public state; it changes only statistics (counting the word as a
// packet, as ZooKeeper does, and the resets srst and crst ask for).

import type { MemberView, ServerCore } from '../server/index.js';
import { connectionLines, dump } from './connection-report.js';
import { fourDecimals, javaDouble } from './java-format.js';
import { monitorReport } from './monitor-report.js';
import type { FourLetterAsker, ServerProcess } from './server-process.js';
import { watchSummary, watchesByConnection, watchesByPath } from './watch-report.js';

/** Reported where ZooKeeper reports its version; tools that parse it see a 3.8-compatible server. */
export const serverVersion = '3.8.0-meerkat-0.1.0, built on 2026-11-24 00:00 UTC';

export interface FourLetterRequest {
  word: string;
  core: ServerCore;
  asker: FourLetterAsker;
  /** The port the client listener is bound to (the configuration may say 0). */
  clientPort: number;
  process: ServerProcess;
  /** The ensemble member this server is; null or absent for a standalone server. */
  member?: MemberView | null;
}

/** ZooKeeper's answer to most words while the server is not serving (looking, or syncing with a leader). */
export const notServingReply = 'This ZooKeeper instance is not currently serving requests';
/** The words a ZooKeeper member answers while it is not serving (isro says "null" then). */
const wordsWhileNotServing: ReadonlySet<string> = new Set(['ruok', 'envi', 'isro']);

type Handler = (request: FourLetterRequest) => string;

/** ZooKeeper's node count: its DataTree holds the root under both "" and "/", so it counts it twice. */
export function zooKeeperNodeCount(core: ServerCore): number {
  return core.tree.nodeCount + 1;
}

/** Connections as ZooKeeper counts them: every open one, the asker included. */
function connectionCount(core: ServerCore): number {
  return core.connections.size + 1;
}

/** `srvr`'s Zxid: ZooKeeper's last processed zxid (a member's leader reports its epoch, MemberView.reportedZxid). */
export function reportedZxid(core: ServerCore, member: MemberView | null | undefined): number {
  return member?.reportedZxid ?? core.lastZxid;
}

function serverSummary(request: FourLetterRequest, withClients: boolean): string {
  const { core, member } = request;
  const stats = core.stats;
  const sizes = member?.isLeader ? member.proposalSizes : null;
  return `Zookeeper version: ${serverVersion}\n` +
    (withClients ? `Clients:\n${connectionLines(core, { asker: request.asker, brief: true })}\n` : '') +
    `Latency min/avg/max: ${stats.latencyMinMs}/${javaDouble(fourDecimals(stats.latencyAverageMs))}/${stats.latencyMaxMs}\n` +
    `Received: ${stats.packetsReceived}\n` +
    `Sent: ${stats.packetsSent}\n` +
    `Connections: ${connectionCount(core)}\n` +
    `Outstanding: ${core.outstandingRequests}\n` +
    `Zxid: 0x${reportedZxid(core, member).toString(16)}\n` +
    `Mode: ${core.serverState}\n` +
    `Node count: ${zooKeeperNodeCount(core)}\n` +
    (sizes === null ? '' : `Proposal sizes last/min/max: ${sizes.last}/${sizes.min}/${sizes.max}\n`);
}

/** A data directory as ZooKeeper reports it: its `version-2` subdirectory. */
export const versionDir = (dir: string): string => `${dir.replace(/\/+$/, '')}/version-2`;

/** A member as ZooKeeper's QuorumServer prints it: `host:quorumPort:electionPort:type[;clientAddress:clientPort]`. */
export function memberLine(member: MemberView['members'][number]): string {
  const client = member.clientPort === undefined ? '' : `;${member.clientAddress ?? '0.0.0.0'}:${member.clientPort}`;
  return `server.${member.id}=${member.host}:${member.quorumPort}:${member.electionPort}:${member.role}${client}`;
}

/** A member's quorum keys, after serverId as QuorumPeerConfig prints them (electionAlg 3: fast leader election, the only one). */
function memberRows(member: MemberView, c: ServerCore['config']): Array<[string, string | number]> {
  const me = member.me;
  return [
    ['initLimit', c.initLimitTicks], ['syncLimit', c.syncLimitTicks], ['electionAlg', 3], ['electionPort', me.electionPort],
    ['quorumPort', me.quorumPort], ['peerType', me.role === 'observer' ? 1 : 0],
  ];
}

function conf({ core, clientPort, member }: FourLetterRequest): string {
  const c = core.config;
  const usage = core.diskUsage();
  // ZooKeeper's keys in its order (a member's quorum keys after serverId), then the Meerkat settings
  // ZooKeeper does not print, then a member's `membership:` block, last as in ZooKeeper (which ends
  // it with `version=0` and no newline: the dynamic-configuration version, always 0 here).
  const rows: Array<[string, string | number | boolean]> = [
    ['clientPort', clientPort], ['secureClientPort', -1], ['dataDir', versionDir(c.dataDir)], ['dataDirSize', usage.dataDirBytes],
    ['dataLogDir', versionDir(c.dataLogDir)], ['dataLogSize', usage.logDirBytes], ['tickTime', c.tickTimeMs],
    ['maxClientCnxns', c.maxClientConnections], ['minSessionTimeout', c.minSessionTimeoutMs],
    ['maxSessionTimeout', c.maxSessionTimeoutMs], ['clientPortListenBacklog', -1], ['serverId', c.serverId],
    ...(member ? memberRows(member, c) : []),
    ['clientPortAddress', c.host], ['snapCount', c.snapCount], ['forceSync', c.forceSync], ['jute.maxbuffer', c.maxFrameBytes],
    ['4lw.commands.whitelist', [...c.fourLetterWords].join(',')], ['maxCnxns', c.maxConnections],
    ['meerkat.connectionOutputSoftBytes', c.connectionOutputSoftBytes], ['meerkat.connectionOutputHardBytes', c.connectionOutputHardBytes],
    ['meerkat.connectionOutputStallMs', c.connectionOutputStallMs], ['meerkat.serverOutputBytes', c.serverOutputBytes],
    ['nio.sessionlessCnxnTimeout', c.handshakeTimeoutMs],
  ];
  const membership = member ? `membership: \n${member.members.map((m) => `${memberLine(m)}\n`).join('')}version=0` : '';
  // A member's server.N lines are in its membership block, in ZooKeeper's form.
  const extra = Object.entries(c.extra).filter(([key]) => !member || !/^server\.\d+$/.test(key));
  return rows.map(([key, value]) => `${key}=${value}\n`).join('') + extra.map(([key, value]) => `${key}=${value}\n`).join('') + membership;
}

/** Java's names for the OS and architecture, as `os.name` and `os.arch` print them. */
const javaOsNames: Record<string, string> = { linux: 'Linux', darwin: 'Mac OS X', win32: 'Windows', freebsd: 'FreeBSD', sunos: 'SunOS' };
const javaArchNames: Record<string, string> = { x64: 'amd64', arm64: 'aarch64', ia32: 'x86', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
/** ZooKeeper's own mark for a property that has no value. */
const notAvailable = '<NA>';
const megabytes = (bytes: number): string => `${Math.floor(bytes / (1024 * 1024))}MB`;

/**
 * `envi` and the AdminServer's `environment`: every key ZooKeeper prints, in its order (JVM
 * properties a Node process has not got say <NA>), then Meerkat's own two.
 */
export function environmentRows(process: ServerProcess): Array<[string, string]> {
  const env = process.environment;
  const memory = process.memory();
  return [
    ['zookeeper.version', serverVersion], ['host.name', env.hostName],
    ['java.version', notAvailable], ['java.vendor', notAvailable], ['java.home', notAvailable],
    ['java.class.path', notAvailable], ['java.library.path', notAvailable], ['java.io.tmpdir', env.tmpDir],
    ['java.compiler', notAvailable], ['os.name', javaOsNames[env.platform] ?? env.platform],
    ['os.arch', javaArchNames[env.arch] ?? env.arch], ['os.version', env.osRelease], ['user.name', env.userName],
    ['user.home', env.userHome], ['user.dir', env.workingDir], ['os.memory.free', megabytes(memory.heapFreeBytes)],
    ['os.memory.max', megabytes(memory.heapMaxBytes)], ['os.memory.total', megabytes(memory.heapTotalBytes)],
    ['node.version', env.nodeVersion], ['process.pid', String(env.pid)],
  ];
}

function envi({ process }: FourLetterRequest): string {
  return 'Environment:\n' + environmentRows(process).map(([key, value]) => `${key}=${value}\n`).join('');
}

const handlers: Record<string, Handler> = {
  ruok: () => 'imok',
  srvr: (request) => serverSummary(request, false),
  stat: (request) => serverSummary(request, true),
  mntr: ({ core, process, member }) => monitorReport(core, {
    version: serverVersion, nodeCount: zooKeeperNodeCount(core), connections: connectionCount(core), process, member: member ?? null,
  }),
  conf,
  cons: ({ core, asker }) => `${connectionLines(core, { asker, brief: false })}\n`,
  dump: ({ core, asker }) => dump(core, asker),
  envi,
  wchs: ({ core }) => watchSummary(core),
  wchc: ({ core }) => watchesByConnection(core),
  wchp: ({ core }) => watchesByPath(core),
  dirs: ({ core }) => {
    const usage = core.diskUsage();
    return `datadir_size: ${usage.dataDirBytes}\nlogdir_size: ${usage.logDirBytes}\n`;
  },
  // A member that is not serving has no ZooKeeperServer: ZooKeeper's IsroCommand prints "null".
  isro: ({ core, member }) => (core.serverState === 'read-only' ? 'ro' : member && !member.serving ? 'null' : 'rw'),
  srst: ({ core }) => {
    core.stats.reset();
    return 'Server stats reset.\n';
  },
  crst: ({ core }) => {
    for (const connection of core.connections) connection.stats.reset();
    return 'Connection stats reset.\n';
  },
};

export function isFourLetterWord(word: string): boolean {
  return Object.hasOwn(handlers, word);
}

/**
 * The reply to a four-letter word, or ZooKeeper's refusal when it is not whitelisted, or, from a
 * member not serving (looking, syncing), ZooKeeper's "not currently serving" line for every word but
 * ruok, envi and isro. As ZooKeeper, the word counts as a packet received before the reply is made,
 * and the reply as one sent after.
 */
export function fourLetterWordReply(request: FourLetterRequest): string {
  const { word, core, member } = request;
  core.stats.packetsReceived++;
  const enabled = core.config.fourLetterWords;
  const reply = !enabled.has('*') && !enabled.has(word)
    ? `${word} is not executed because it is not in the whitelist.\n`
    : member && !member.serving && !wordsWhileNotServing.has(word) ? `${notServingReply}\n` : handlers[word]!(request);
  core.stats.packetsSent++;
  return reply;
}
