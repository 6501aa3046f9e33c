// The connection and session listings of `stat`, `cons` and `dump`, field by field as ZooKeeper 3.8
// prints them (ServerCnxn.dumpConnectionInfo, SessionTrackerImpl and the NIO factory's expiry dumps,
// DataTree.dumpEphemerals). The connection that asked is listed too, as ZooKeeper lists it.

import { type ClientConnection, type ServerCore, operationName } from '../server/index.js';
import { javaDate, javaHex } from './java-format.js';
import type { JsonObject } from './json-writer.js';
import type { FourLetterAsker } from './server-process.js';

/** Interest ops in ZooKeeper's brackets: 1 (reading) for a client; 0 for the asker, mid-command. */
const readingInterest = '[1]';
const askerInterest = '[0]';

function address(host: string, port: number): string {
  return `/${host}:${port}`;
}

/** ` /ip:port[1](queued=…,recved=…,sent=…` then, unless brief and once it has a session, sid…maxlat. */
function connectionInfo(connection: ClientConnection, brief: boolean): string {
  const stats = connection.stats;
  let text = ` ${address(connection.remoteAddress, connection.remotePort)}${readingInterest}(queued=${connection.queue.length},` +
    `recved=${stats.packetsReceived},sent=${stats.packetsSent}`;
  const session = connection.session;
  if (!brief && session !== null) {
    text += `,sid=0x${javaHex(session.id)},lop=${operationName(stats.lastOperation)},est=${connection.establishedAtMs}` +
      `,to=${session.timeoutMs}${stats.lastCxid >= 0 ? `,lcxid=0x${javaHex(stats.lastCxid)}` : ''}` +
      `,lzxid=0x${javaHex(stats.lastZxid)},lresp=${stats.lastResponseAtMs},llat=${stats.lastLatencyMs}` +
      `,minlat=${Number.isFinite(stats.minLatencyMs) ? stats.minLatencyMs : 0},avglat=${stats.averageLatencyMs}` +
      `,maxlat=${stats.maxLatencyMs}`;
  }
  return `${text})\n`;
}

/**
 * The same facts as the AdminServer's `connections` (brief: `stats`) entry, named and typed as
 * ZooKeeper's ServerCnxn.getConnectionInfo: ids, zxids and times as integers, the last operation
 * as its four-letter name.
 */
export function connectionJson(connection: ClientConnection, brief: boolean): JsonObject {
  const stats = connection.stats;
  const counters = {
    remote_socket_address: `${connection.remoteAddress}:${connection.remotePort}`,
    interest_ops: 1,
    outstanding_requests: connection.queue.length,
    packets_received: stats.packetsReceived,
    packets_sent: stats.packetsSent,
  };
  if (brief) return counters;
  return {
    ...counters,
    session_id: connection.sessionId,
    last_operation: operationName(stats.lastOperation),
    established: connection.establishedAtMs,
    session_timeout: connection.session?.timeoutMs ?? 0,
    last_cxid: stats.lastCxid,
    last_zxid: stats.lastZxid,
    last_response_time: stats.lastResponseAtMs,
    last_latency: stats.lastLatencyMs,
    min_latency: Number.isFinite(stats.minLatencyMs) ? stats.minLatencyMs : 0,
    avg_latency: stats.averageLatencyMs,
    max_latency: stats.maxLatencyMs,
  };
}

/** The asker: it has sent its four letters (one packet) and nothing has been sent back yet. */
function askerInfo(asker: FourLetterAsker): string {
  return ` ${address(asker.address, asker.port)}${askerInterest}(queued=0,recved=1,sent=0)\n`;
}

/** One line per connection: brief for `stat` (counters only), full for `cons`. */
export function connectionLines(core: ServerCore, options: { asker: FourLetterAsker; brief: boolean }): string {
  let text = '';
  for (const connection of core.connections) text += connectionInfo(connection, options.brief);
  return text + askerInfo(options.asker);
}

/** `Sets (buckets)/(members):` then each bucket, oldest first: `N expire at <date>:` and its members. */
function expiryDump(buckets: Map<number, string[]>, members: number): string {
  let text = `Sets (${buckets.size})/(${members}):\n`;
  for (const expiresAtMs of [...buckets.keys()].sort((a, b) => a - b)) {
    const names = buckets.get(expiresAtMs)!;
    text += `${names.length} expire at ${javaDate(expiresAtMs)}:\n` + names.map((name) => `\t${name}\n`).join('');
  }
  return text;
}

function addTo(buckets: Map<number, string[]>, expiresAtMs: number, name: string): void {
  const names = buckets.get(expiresAtMs);
  if (names === undefined) buckets.set(expiresAtMs, [name]);
  else names.push(name);
}

/** Live sessions (not closing) by the time they expire unless touched, in session order within a time. */
export function sessionsByExpiry(core: ServerCore): Map<number, bigint[]> {
  const buckets = new Map<number, bigint[]>();
  for (const session of core.sessions.all()) {
    if (session.closing) continue;
    const ids = buckets.get(session.expiresAtMs);
    if (ids === undefined) buckets.set(session.expiresAtMs, [session.id]);
    else ids.push(session.id);
  }
  return buckets;
}

/** Each session that owns ephemeral nodes, and their paths, sorted. */
export function ephemeralsBySession(core: ServerCore): Map<bigint, string[]> {
  return new Map([...core.tree.ephemeralSessions()].map((owner) => [owner, [...core.tree.getEphemerals(owner)].sort()]));
}

/** Expiry rounded up to the next tick, as ZooKeeper's ExpiryQueue buckets it. */
function nextTick(timeMs: number, tickTimeMs: number): number {
  return (Math.floor(timeMs / tickTimeMs) + 1) * tickTimeMs;
}

/**
 * `dump`: live sessions by expiry bucket, ephemeral nodes by session, then connections by expiry. A
 * connection expires with its session; one without a session (the asker) when Meerkat would drop
 * it for not completing the handshake.
 */
export function dump(core: ServerCore, asker: FourLetterAsker): string {
  const sessions = new Map<number, string[]>();
  let sessionCount = 0;
  for (const [expiresAtMs, ids] of sessionsByExpiry(core)) {
    for (const id of ids) addTo(sessions, expiresAtMs, `0x${javaHex(id)}`);
    sessionCount += ids.length;
  }
  let text = 'SessionTracker dump:\nSession ' + expiryDump(sessions, sessionCount);

  const ephemerals = ephemeralsBySession(core);
  text += `ephemeral nodes dump:\nSessions with Ephemerals (${ephemerals.size}):\n`;
  for (const [owner, paths] of ephemerals) text += `0x${javaHex(owner)}:\n` + paths.map((path) => `\t${path}\n`).join('');

  const connections = new Map<number, string[]>();
  for (const connection of core.connections) {
    const expiresAtMs = connection.session?.expiresAtMs ?? nextTick(connection.establishedAtMs + core.config.handshakeTimeoutMs, core.config.tickTimeMs);
    addTo(connections, expiresAtMs, `ip: ${address(connection.remoteAddress, connection.remotePort)} sessionId: 0x${javaHex(connection.sessionId)}`);
  }
  addTo(connections, nextTick(asker.acceptedAtMs + core.config.handshakeTimeoutMs, core.config.tickTimeMs),
    `ip: ${address(asker.address, asker.port)} sessionId: 0x0`);
  return text + 'Connections dump:\nConnections ' + expiryDump(connections, core.connections.size + 1);
}
