// Four-letter words on the client port (ruok, srvr, stat, mntr, conf, cons, envi, wchs, wchc, wchp,
// dirs, isro, srst, crst), answered in ZooKeeper's text formats so existing probes and dashboards
// parse them. Words missing from 4lw.commands.whitelist get ZooKeeper's refusal text. Read-only:
// this module only looks at the server through ServerCore's public state.

import type { ServerCore } from '../server/index.js';

/** Reported where ZooKeeper reports its version; tools that parse it see a 3.8-compatible server. */
export const serverVersion = '3.8.0-meerkat-0.1.0, built on 2026-11-24 00:00 UTC';

type Handler = (core: ServerCore) => string;

function hex(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

function latencyLine(core: ServerCore): string {
  const stats = core.stats;
  return `Latency min/avg/max: ${stats.latencyMinMs}/${stats.latencyAverageMs.toFixed(4)}/${stats.latencyMaxMs}\n`;
}

function connectionLines(core: ServerCore): string {
  let text = '';
  for (const connection of core.connections) {
    text += ` /${connection.remoteAddress}:${connection.remotePort}[1](queued=${connection.queue.length},` +
      `recved=${connection.packetsReceived},sent=${connection.packetsSent}` +
      (connection.session === null ? '' : `,sid=0x${BigInt.asUintN(64, connection.session.id).toString(16)}` +
        `,lzxid=${hex(connection.lastZxid)},to=${connection.session.timeoutMs}`) + ')\n';
  }
  return text;
}

function srvr(core: ServerCore, withClients: boolean): string {
  const stats = core.stats;
  return `Zookeeper version: ${serverVersion}\n` +
    (withClients ? `Clients:\n${connectionLines(core)}\n` : '') +
    latencyLine(core) +
    `Received: ${stats.packetsReceived}\n` +
    `Sent: ${stats.packetsSent}\n` +
    `Connections: ${core.connections.size}\n` +
    `Outstanding: ${core.outstandingRequests}\n` +
    `Zxid: ${hex(core.lastZxid)}\n` +
    'Mode: standalone\n' +
    `Node count: ${core.tree.nodeCount}\n`;
}

function mntr(core: ServerCore): string {
  const stats = core.stats;
  const memory = process.memoryUsage();
  const watches = core.tree.watches.stats();
  const rows: Array<[string, string | number]> = [
    ['zk_version', serverVersion],
    ['zk_server_state', 'standalone'],
    ['zk_avg_latency', stats.latencyAverageMs.toFixed(4)],
    ['zk_max_latency', stats.latencyMaxMs],
    ['zk_min_latency', stats.latencyMinMs],
    ['zk_packets_received', stats.packetsReceived],
    ['zk_packets_sent', stats.packetsSent],
    ['zk_num_alive_connections', core.connections.size],
    ['zk_outstanding_requests', core.outstandingRequests],
    ['zk_znode_count', core.tree.nodeCount],
    ['zk_watch_count', watches.totalWatches],
    ['zk_ephemerals_count', core.tree.ephemeralCount],
    ['zk_approximate_data_size', core.tree.approximateDataBytes],
    ['zk_global_sessions', core.sessions.size],
    ['zk_last_zxid', hex(core.lastZxid)],
    ['zk_tree_digest', core.tree.digest().toString(16)],
    ['zk_txns_applied', stats.txnsApplied],
    ['zk_resident_set_bytes', memory.rss],
    ['zk_heap_used_bytes', memory.heapUsed],
  ];
  return rows.map(([key, value]) => `${key}\t${value}\n`).join('');
}

function conf(core: ServerCore): string {
  const c = core.config;
  const rows: Array<[string, string | number | boolean]> = [
    ['clientPort', c.port], ['clientPortAddress', c.host], ['dataDir', c.dataDir], ['dataLogDir', c.dataLogDir],
    ['tickTime', c.tickTimeMs], ['maxClientCnxns', c.maxClientConnections], ['maxCnxns', c.maxConnections], ['minSessionTimeout', c.minSessionTimeoutMs],
    ['maxSessionTimeout', c.maxSessionTimeoutMs], ['serverId', c.serverId], ['snapCount', c.snapCount],
    ['forceSync', c.forceSync], ['jute.maxbuffer', c.maxFrameBytes], ['4lw.commands.whitelist', [...c.fourLetterWords].join(',')],
    ['meerkat.connectionOutputSoftBytes', c.connectionOutputSoftBytes], ['meerkat.connectionOutputHardBytes', c.connectionOutputHardBytes],
    ['meerkat.connectionOutputStallMs', c.connectionOutputStallMs], ['meerkat.serverOutputBytes', c.serverOutputBytes],
  ];
  return rows.map(([key, value]) => `${key}=${value}\n`).join('') +
    Object.entries(c.extra).map(([key, value]) => `${key}=${value}\n`).join('');
}

function envi(): string {
  const rows: Array<[string, string]> = [
    ['zookeeper.version', serverVersion],
    ['host.name', process.env.HOSTNAME ?? 'localhost'],
    ['node.version', process.version],
    ['os.name', process.platform],
    ['os.arch', process.arch],
    ['user.dir', process.cwd()],
    ['process.pid', String(process.pid)],
  ];
  return 'Environment:\n' + rows.map(([key, value]) => `${key}=${value}\n`).join('');
}

function wchs(core: ServerCore): string {
  const watches = core.tree.watches.stats();
  return `${core.connections.size} connections watching ${watches.watchedPaths} paths\n` +
    `Total watches:${watches.totalWatches}\n`;
}

function byWatcher(core: ServerCore): string {
  let text = '';
  for (const connection of core.connections) {
    const paths = core.tree.watches.pathsWatchedBy(connection);
    if (paths.length === 0) continue;
    text += `0x${BigInt.asUintN(64, connection.sessionId).toString(16)}\n` + paths.map((path) => `\t${path}\n`).join('');
  }
  return text;
}

function byPath(core: ServerCore): string {
  let text = '';
  for (const [path, watchers] of core.tree.watches.watchersByPath()) {
    text += `${path}\n` + watchers.map((w) => `\t0x${BigInt.asUintN(64, w.sessionId).toString(16)}\n`).join('');
  }
  return text;
}

const handlers: Record<string, Handler> = {
  ruok: () => 'imok',
  srvr: (core) => srvr(core, false),
  stat: (core) => srvr(core, true),
  mntr,
  conf,
  cons: (core) => connectionLines(core) + '\n',
  envi,
  wchs,
  wchc: byWatcher,
  wchp: byPath,
  dirs: (core) => {
    const usage = core.diskUsage();
    return `datadir_size: ${usage.dataDirBytes}\nlogdir_size: ${usage.logDirBytes}\n`;
  },
  isro: () => 'rw',
  srst: (core) => {
    core.stats.reset();
    return 'Server stats reset.\n';
  },
  crst: (core) => {
    for (const connection of core.connections) {
      connection.packetsReceived = 0;
      connection.packetsSent = 0;
    }
    return 'Connection stats reset.\n';
  },
};

export function isFourLetterWord(word: string): boolean {
  return Object.hasOwn(handlers, word);
}

/** The reply to a four-letter word, or ZooKeeper's refusal when it is not whitelisted. */
export function fourLetterWordReply(word: string, core: ServerCore): string {
  const enabled = core.config.fourLetterWords;
  if (!enabled.has('*') && !enabled.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  return handlers[word]!(core);
}
