// How the shell prints: Stat in zkCli's layout (`cZxid = 0x...`, Java's Date.toString in UTC), ACLs
// as `'scheme,'id` / `: cdrwa`, lists as Java's `[a, b]`, watch events as zkCli's `WATCHER::` block,
// and ZooKeeper errors with zkCli's wording ("Node does not exist: /x").

import { ClientClosedError, Perms, ZooKeeperError, type Acl, type ClientWatchEvent, type Stat } from '../../client/index.js';
import { ErrorCode } from '../../proto/index.js';

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (value: number): string => String(value).padStart(2, '0');

/** Java's Date.toString() ("Tue Nov 24 01:43:00 UTC 2026"), always in UTC so output is stable. */
export function javaDate(epochMs: number): string {
  const date = new Date(epochMs);
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${two(date.getUTCDate())} ${time} UTC ${date.getUTCFullYear()}`;
}

/** Unsigned 64-bit hex, as zkCli prints zxids and session ids. */
export function hex64(value: number | bigint): string {
  return `0x${BigInt.asUintN(64, BigInt(value)).toString(16)}`;
}

export function formatStat(stat: Stat): string {
  return [
    `cZxid = ${hex64(stat.czxid)}`,
    `ctime = ${javaDate(stat.ctime)}`,
    `mZxid = ${hex64(stat.mzxid)}`,
    `mtime = ${javaDate(stat.mtime)}`,
    `pZxid = ${hex64(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex64(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ].join('\n') + '\n';
}

/** Java's List.toString(). */
export function formatList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

// zkCli writes permissions in this order.
const permLetters: Array<[number, string]> = [
  [Perms.create, 'c'], [Perms.delete, 'd'], [Perms.read, 'r'], [Perms.write, 'w'], [Perms.admin, 'a'],
];

export function formatPerms(perms: number): string {
  return permLetters.filter(([bit]) => (perms & bit) !== 0).map(([, letter]) => letter).join('');
}

export function formatAcl(acl: readonly Acl[]): string {
  return acl.map((entry) => `'${entry.id.scheme},'${entry.id.id}\n: ${formatPerms(entry.perms)}\n`).join('');
}

/** Parses `scheme:id:perms[,scheme:id:perms...]`; the id may itself contain ':' (digest user:hash). */
export function parseAcl(text: string): Acl[] | string {
  const acl: Acl[] = [];
  for (const part of text.split(',')) {
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    if (first < 0 || first === last) return `"${part}" is not scheme:id:perms`;
    let perms = 0;
    for (const letter of part.slice(last + 1)) {
      const found = permLetters.find(([, name]) => name === letter);
      if (found === undefined) return `unknown permission "${letter}" in "${part}" (use c, d, r, w, a)`;
      perms |= found[0];
    }
    acl.push({ perms, id: { scheme: part.slice(0, first), id: part.slice(first + 1, last) } });
  }
  return acl;
}

const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

export function formatWatchEvent(event: ClientWatchEvent): string {
  return `\nWATCHER::\n\nWatchedEvent state:SyncConnected type:${capitalized(event.type)} path:${event.path}\n`;
}

/** zkCli's wording for the errors users meet most; ZooKeeper's own message for the rest. */
export function describeError(error: unknown): string {
  if (error instanceof ClientClosedError) return 'Not connected (the client is closed)';
  if (!(error instanceof ZooKeeperError)) return error instanceof Error ? error.message : String(error);
  const path = error.path ?? '';
  switch (error.code) {
    case ErrorCode.noNode: return `Node does not exist: ${path}`;
    case ErrorCode.nodeExists: return `Node already exists: ${path}`;
    case ErrorCode.notEmpty: return `Node not empty: ${path}`;
    case ErrorCode.badVersion: return `version No is not valid : ${path}`;
    case ErrorCode.noAuth: return `Authentication is not valid : ${path}`;
    case ErrorCode.badArguments: return `Arguments are not valid : ${path} (${error.message})`;
    case ErrorCode.noChildrenForEphemerals: return `Ephemerals cannot have children: ${path}`;
    case ErrorCode.noWatcher: return `No such watcher: ${path}`;
    case ErrorCode.invalidAcl: return `Acl is not valid : ${path}`;
    case ErrorCode.notReadOnly: return `Not a read-only call: ${path}`;
    default: return `${error.name}: ${error.message}`;
  }
}
